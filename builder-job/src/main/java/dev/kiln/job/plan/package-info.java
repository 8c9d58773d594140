/**
 * Decisions taken before training: {@link dev.kiln.job.plan.AutoIndex} resolves
 * {@code --index auto} against a memory budget, {@link dev.kiln.job.plan.MemoryCheck} refuses
 * a dimension and list count one Spark task cannot hold.
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, the loader's
 * {@code quantize}, Spark (for the executor memory); no stage, not the orchestrator or
 * {@code dev.kiln.cli}. The orchestrator calls it; {@code job.read} reports the dimension to it
 * through a callback rather than importing it.
 */
package dev.kiln.job.plan;
