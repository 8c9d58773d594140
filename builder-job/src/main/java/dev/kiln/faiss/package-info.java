/**
 * Faiss 1.7.x serialization of {@code IndexIVFPQ} / {@code IndexIVFFlat} (docs/FAISS.md):
 * {@link dev.kiln.faiss.FaissIndexWriter} exports a published version,
 * {@link dev.kiln.faiss.FaissIndexReader} and {@link dev.kiln.faiss.FaissImporter} import a
 * Faiss file and publish it as a version.
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code search} and {@code quantize},
 * Hadoop and Jackson; not {@code dev.kiln.cli}. Imports today: {@code format},
 * {@code search} (KilnIndex), {@code quantize} (IndexModel), and also the build job's
 * {@code dev.kiln.job} (BuildConfig.TARGET_SHARD_BYTES, KilnException, KilnVersion),
 * {@code job.publish} (Publisher, OutputRoot, BuildFingerprint), {@code job.report}
 * (BuildReport) and {@code job.write} (ListCounts.statistics).
 */
package dev.kiln.faiss;

// TODO(issue 15): depends on the build job's packages for publishing (Publisher, OutputRoot,
// BuildFingerprint, BuildReport), shared defaults and statistics (BuildConfig, ListCounts) and
// exit codes (KilnException); the storage layer and domain exceptions should stand in for them.
