/**
 * Decisions taken before training: {@link dev.kiln.job.plan.AutoIndex} resolves
 * {@code --index auto} against a memory budget, {@link dev.kiln.job.plan.MemoryCheck} refuses
 * a dimension and list count one Spark task cannot hold.
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code quantize}, Spark (for the
 * executor memory); not {@code dev.kiln.cli} or the orchestrator. Imports today:
 * {@code format}, {@code quantize}, Spark, and also {@code dev.kiln.job} (KilnException).
 */
package dev.kiln.job.plan;

// TODO(issue 15): imports dev.kiln.job.KilnException (exit codes, and a cycle with the
// orchestrator); throw a domain exception instead.
