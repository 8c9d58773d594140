/**
 * Stage publish: the staging directory, the manifest written last, the atomic rename to
 * {@code versions/ID}, {@code LATEST}, liveness and cleanup of killed builds' staging
 * ({@link dev.kiln.job.publish.Publisher}, {@link dev.kiln.job.publish.OutputRoot}), and
 * {@link dev.kiln.job.publish.BuildFingerprint}, which recognises a re-run of a published build.
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code dev.kiln.store}
 * (the index root it stages into and commits), {@code job.config} and {@code job.read.InputFiles}
 * (what the fingerprint hashes), {@code job.write.WrittenFile} (what it commits), Hadoop; not
 * the orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.publish;
