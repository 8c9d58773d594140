/**
 * Stage encode: on the executors, assigns each item to its list and encodes it with the
 * broadcast model (the loader's {@code IndexModel}, so build and serving agree on codes), and
 * hashes it to its shard ({@link dev.kiln.job.encode.Encoder},
 * {@link dev.kiln.job.encode.EncodedItem}, {@link dev.kiln.job.encode.ModelBroadcast}).
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code quantize} and {@code vector},
 * {@code job.read.Item} (its input), Spark; no other stage, not the orchestrator or
 * {@code dev.kiln.cli}.
 */
package dev.kiln.job.encode;
