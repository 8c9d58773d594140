/**
 * Stage publish: the staging directory, the manifest written last, the atomic rename to
 * {@code versions/ID}, {@code LATEST}, liveness and cleanup of killed builds' staging
 * ({@link dev.kiln.job.publish.Publisher}, {@link dev.kiln.job.publish.OutputRoot}), and
 * {@link dev.kiln.job.publish.BuildFingerprint}, which recognises a re-run of a published build.
 *
 * <p>May import: {@code dev.kiln.format} and Hadoop; not {@code dev.kiln.cli} or the
 * orchestrator. Imports today: {@code format}, Hadoop, and also {@code dev.kiln.job}
 * (BuildConfig, KilnException), {@code job.read} (InputFiles) and {@code job.write}
 * (WrittenFile).
 */
package dev.kiln.job.publish;

// TODO(issue 15): imports dev.kiln.job (BuildConfig for the fingerprint, KilnException), which
// imports this package: a cycle. The storage layer of issue 15 (index root: stage, commit,
// promote LATEST, atomic small-file write) is meant to replace Publisher's Hadoop code here,
// in SyncCommand, ReportCommand and FaissIndexWriter.
