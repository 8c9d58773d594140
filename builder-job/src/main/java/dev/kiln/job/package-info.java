/**
 * The build job's orchestrator: {@link dev.kiln.job.KilnBuildJob} runs the stages in order
 * (read, train, encode, write, evaluate, publish; docs/DESIGN.md), with
 * {@link dev.kiln.job.BuildResult}, progress and stage timing.
 *
 * <p>May import: the stage packages {@code dev.kiln.job.*}, {@code dev.kiln.errors},
 * {@code dev.kiln.format}, the loader's {@code quantize}, {@code search} and {@code vector},
 * Spark and Hadoop. No stage imports it back (checked by {@code dev.kiln.it.ArchitectureTest}),
 * nor do {@code dev.kiln.cli}'s neighbours: only the CLI runs it.
 */
package dev.kiln.job;
