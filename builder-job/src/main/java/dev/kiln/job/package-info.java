/**
 * The build job: {@link dev.kiln.job.KilnBuildJob} runs the stages in order (read, train,
 * encode, write, evaluate, publish; docs/DESIGN.md), with {@link dev.kiln.job.BuildConfig}
 * (every build parameter and its default), {@link dev.kiln.job.BuildResult}, progress and stage
 * timing, {@link dev.kiln.job.KilnVersion} and {@link dev.kiln.job.KilnException}.
 *
 * <p>May import: the stage packages {@code dev.kiln.job.*}, {@code dev.kiln.format}, the
 * loader's {@code quantize}, {@code search} and {@code vector}, Spark and Hadoop. Not
 * {@code dev.kiln.cli} or {@code dev.kiln.faiss}. Imports today: {@code job.read},
 * {@code job.train}, {@code job.encode}, {@code job.write}, {@code job.evaluate},
 * {@code job.plan}, {@code job.publish}, {@code job.report}, {@code format}, {@code quantize}.
 */
package dev.kiln.job;

// TODO(issue 15): this root package holds both the orchestrator and types the stages share
// (BuildConfig, KilnException), so job.read, job.plan, job.publish and job.evaluate import it
// while it imports them: an import cycle. Move the shared types below the orchestrator.
// TODO(issue 15): KilnException carries process exit codes although read, publish and faiss
// code throw it; throw domain exceptions and map them to exit codes in dev.kiln.cli alone.
