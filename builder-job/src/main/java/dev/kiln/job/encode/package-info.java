/**
 * Stage encode: on the executors, assigns each item to its list and encodes it with the
 * broadcast model (the loader's {@code IndexModel}, so build and serving agree on codes), and
 * hashes it to its shard ({@link dev.kiln.job.encode.Encoder},
 * {@link dev.kiln.job.encode.EncodedItem}, {@link dev.kiln.job.encode.ModelBroadcast}).
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code quantize} and {@code vector},
 * {@code job.read.Item}, Spark; not {@code dev.kiln.cli} or the orchestrator. Imports today:
 * {@code format}, {@code quantize}, {@code job.read}: as allowed.
 */
package dev.kiln.job.encode;
