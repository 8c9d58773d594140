/**
 * HNSW graphs as Kiln stores them ({@link dev.kiln.format.HnswSection}): {@link
 * dev.kiln.job.graph.HnswBuilder} inserts nodes by Faiss's rule (the loader's {@code
 * dev.kiln.graph}, which the serving fresh set uses too) in batches whose nodes are placed in
 * parallel, and {@link dev.kiln.job.graph.HnswRepair} links any node the pruning left
 * unreachable. One builder serves both graphs: over the centroids of {@code IVF{n}_HNSW{M}}
 * (stage train.graph, on the driver) and over each shard's items of {@code HNSW{M}} (in the
 * task that writes the shard).
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code graph}; not Spark, the
 * orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.graph;
