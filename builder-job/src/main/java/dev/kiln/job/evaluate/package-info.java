/**
 * Stage evaluate: exact neighbours of the evaluation queries by distributed brute force
 * ({@code ExactNeighbors}), then the staged files searched with the real loader
 * ({@code KilnIndex}) for recall, latency and QPS per nprobe, and the publish gate
 * ({@link dev.kiln.job.evaluate.BuildEvaluation}, {@link dev.kiln.job.config.EvalConfig},
 * {@link dev.kiln.job.evaluate.CurveTable}).
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code job.config}
 * (EvalConfig), {@code job.read} (queries are read as items), {@code dev.kiln.tools} (Recall),
 * the loader's {@code search}, {@code quantize} and {@code vector}, Spark and Hadoop; not the
 * orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.evaluate;
