/**
 * Stage read: lists the input files ({@link dev.kiln.job.read.InputFiles}), checks the schema,
 * sets invalid rows aside with a reason and counts them, finds duplicate ids
 * ({@link dev.kiln.job.read.InputReader}, {@link dev.kiln.job.read.ReadFailures}), and puts the
 * valid {@link dev.kiln.job.read.Item}s in the canonical order that makes builds
 * reproducible ({@link dev.kiln.job.read.CanonicalOrder}).
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code quantize}, {@code search} and
 * {@code vector}, Spark and Hadoop; not {@code dev.kiln.cli}, nor other stages. Imports today:
 * {@code format}, {@code quantize} (IndexModel.normalize), {@code search} (QueryCheck), and
 * also {@code dev.kiln.job} (BuildConfig, KilnException) and {@code job.plan} (MemoryCheck).
 */
package dev.kiln.job.read;

// TODO(issue 15): imports dev.kiln.job (BuildConfig, KilnException), which imports this package
// (a cycle), and job.plan.MemoryCheck (a stage importing a stage).
