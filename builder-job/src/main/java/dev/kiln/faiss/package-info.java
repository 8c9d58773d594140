/**
 * Faiss 1.7.x serialization of {@code IndexIVFPQ} / {@code IndexIVFFlat} (docs/FAISS.md):
 * {@link dev.kiln.faiss.FaissIndexWriter} exports a published version,
 * {@link dev.kiln.faiss.FaissIndexReader} and {@link dev.kiln.faiss.FaissImporter} import a
 * Faiss file and publish it as a version; {@link dev.kiln.faiss.FaissHnsw} carries the graph of
 * an {@code IndexHNSWFlat} coarse quantizer both ways.
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code dev.kiln.store}, the
 * loader's {@code search} and {@code quantize}, Hadoop and Jackson; to publish an import as a
 * build does, {@code job.publish} (Publisher, BuildFingerprint), {@code job.report},
 * {@code job.write} (ListCounts.statistics) and {@code job.config} (the shard size target,
 * KilnVersion). Not the orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.faiss;
