package dev.kiln.faiss;

import dev.kiln.format.HnswSection;
import dev.kiln.format.ShardFile;
import java.io.IOException;

/**
 * One shard of an {@code HNSW{M}} version as Faiss's {@code IndexIDMap} ({@code IxMp}) over an
 * {@code IndexHNSWFlat} ({@code IHNf}), as faiss 1.7.x {@code write_index} lays them out:
 *
 * <pre>
 * IxMp, Index header (d, ntotal, metric)
 *   IHNf, Index header
 *     HNSW structure: Kiln's graph of the shard ({@link FaissHnsw}), efSearch 16 (Faiss's default)
 *     IxF2 (l2) or IxFI (ip, cosine), Index header, vector&lt;float&gt; the shard's vectors
 *                                                    in ordinal order (node i = item i)
 *   vector&lt;int64&gt; id_map: the Faiss id of node i
 * </pre>
 *
 * A version with several shards keeps a graph per shard, and Faiss's {@code IndexHNSWFlat}
 * holds one, so a multi-shard version is exported shard by shard ({@code --shard N}).
 */
final class FaissHnswFlatWriter {
  private FaissHnswFlatWriter() {}

  /**
   * Writes shard {@code shard} with its graph; Faiss ids are Kiln's ids, or for string ids the
   * global ordinals starting at {@code base}.
   */
  static void write(FaissOutput f, ShardFile shard, HnswSection graph, int metric,
      boolean stringIds, long base) throws IOException {
    int d = shard.dim();
    long n = shard.count();
    f.tag(FaissFormat.ID_MAP);
    FaissIndexWriter.indexHeader(f, d, n, metric);
    f.tag(FaissFormat.HNSW_FLAT);
    FaissIndexWriter.indexHeader(f, d, n, metric);
    FaissHnsw.write(f, graph);
    f.tag(metric == FaissFormat.METRIC_L2 ? FaissFormat.FLAT_L2 : FaissFormat.FLAT_IP);
    FaissIndexWriter.indexHeader(f, d, n, metric);
    f.int64(n * d); // IndexFlat's codes, counted in floats
    // One Flat list: float32 little-endian rows in ordinal order, as IndexFlat stores them.
    f.bytes(shard.buffer(), shard.codesOffset(0), Math.multiplyExact((int) n, 4 * d));
    f.int64(n);
    if (stringIds) {
      for (long i = 0; i < n; i++) {
        f.int64(base + i);
      }
    } else {
      f.bytes(shard.buffer(), shard.idsOffset(0), Math.multiplyExact((int) n, 8));
    }
  }
}
