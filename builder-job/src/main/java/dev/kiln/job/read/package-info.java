/**
 * Stage read: lists the input files ({@link dev.kiln.job.read.InputFiles}), checks the schema,
 * sets invalid rows aside with a reason and counts them, finds duplicate ids
 * ({@link dev.kiln.job.read.InputReader}, {@link dev.kiln.job.read.ReadFailures}), and puts the
 * valid {@link dev.kiln.job.read.Item}s in the canonical order that makes builds
 * reproducible ({@link dev.kiln.job.read.CanonicalOrder}).
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code job.config}, the
 * loader's {@code quantize} (IndexModel.normalize) and {@code search} (QueryCheck), Spark and
 * Hadoop; no other stage, not the orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.read;
