/**
 * Stage evaluate: exact neighbours of the evaluation queries by distributed brute force
 * ({@code ExactNeighbors}), then the staged files searched with the real loader
 * ({@code KilnIndex}) for recall, latency and QPS per nprobe, and the publish gate
 * ({@link dev.kiln.job.evaluate.BuildEvaluation}, {@link dev.kiln.job.evaluate.EvalConfig},
 * {@link dev.kiln.job.evaluate.CurveTable}).
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code search}, {@code quantize} and
 * {@code vector}, {@code job.read} (queries are read as items), Spark and Hadoop; not
 * {@code dev.kiln.cli} or the orchestrator. Imports today: those, and also {@code dev.kiln.job}
 * (KilnException).
 */
package dev.kiln.job.evaluate;

// TODO(issue 15): imports dev.kiln.job.KilnException (exit codes, and a cycle with the
// orchestrator); throw a domain exception instead.
