/**
 * HNSW graphs in memory, while they grow: {@link dev.kiln.graph.GraphRows} (rows of links over
 * a float array of vectors, Faiss's neighbour selection), {@link dev.kiln.graph.GraphInsert}
 * (Faiss's and hnswlib's insertion rule) and {@link dev.kiln.graph.GraphBeam} (the descent and
 * the beam search, for an insertion or a query). The builder's graphs (centroids, shards) are
 * made with them and then stored ({@code HnswSection}, walked in place by {@code
 * dev.kiln.quantize.GraphWalk}); the serving fresh set keeps one that it grows item by item
 * while queries read it.
 *
 * <p>May import: {@code dev.kiln.format}, {@code dev.kiln.vector} and {@code dev.kiln.quantize}
 * (its heaps). Not {@code search} or {@code serve} (they use it), nor anything of builder-job.
 */
package dev.kiln.graph;
