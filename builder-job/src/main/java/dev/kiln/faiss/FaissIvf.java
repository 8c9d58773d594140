package dev.kiln.faiss;

import dev.kiln.format.HnswSection;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.io.IOException;

/**
 * An {@code IndexIVFPQ} or {@code IndexIVFFlat} read from a Faiss file: the model in memory, the
 * inverted lists left in the file (their offsets known), and the {@code IndexIDMap}'s ids if the
 * index was wrapped in one.
 *
 * @param tag the file's outer type tag ({@code IxMp}, {@code IxM2}, {@code IwPQ} or {@code IwFl})
 * @param spec Kiln's description: {@code IVF{nlist},PQ{M}} or {@code IVF{nlist},Flat}, with
 *     {@code _HNSW{M}} after nlist for an HNSW quantizer
 * @param metric l2 or ip
 * @param centroids the flat quantizer's vectors, nlist x d
 * @param codebooks PQ centroids, M x 256 x d/M (null for Flat)
 * @param graph the HNSW graph of an {@code IndexHNSWFlat} quantizer, or null for a flat one
 * @param listSizes items per list
 * @param listOffsets absolute file offset of each list's codes (its ids follow them)
 * @param idMap the IndexIDMap's ids by internal id, or null when the lists hold the ids
 */
record FaissIvf(
    int tag,
    IndexSpec spec,
    Metric metric,
    int dim,
    long ntotal,
    float[] centroids,
    float[] codebooks,
    HnswSection graph,
    int codeSize,
    long[] listSizes,
    long[] listOffsets,
    long[] idMap) {

  int nlist() {
    return spec.nlist();
  }

  /** Faiss's class name of the outer index, for messages and the manifest. */
  String typeName() {
    String inner = (spec.encoding() == IndexSpec.Encoding.PQ ? "IndexIVFPQ" : "IndexIVFFlat")
        + (graph != null ? " with an IndexHNSWFlat quantizer" : "");
    if (tag == FaissFormat.ID_MAP) {
      return "IndexIDMap(" + inner + ")";
    }
    if (tag == FaissFormat.ID_MAP2) {
      return "IndexIDMap2(" + inner + ")";
    }
    return inner;
  }

  /**
   * Reads list {@code l}: its codes into {@code codes} (size x codeSize bytes) and its ids into
   * {@code ids} (mapped through the IndexIDMap when there is one). The arrays must be large
   * enough.
   */
  void readList(FaissInput in, int l, byte[] codes, long[] ids) throws IOException {
    int n = (int) listSizes[l];
    in.readBytes(listOffsets[l], codes, n * codeSize);
    in.readLongs(listOffsets[l] + (long) n * codeSize, ids, n);
    if (idMap != null) {
      for (int i = 0; i < n; i++) {
        long internal = ids[i];
        if (internal < 0 || internal >= idMap.length) {
          throw in.error("list " + l + " holds internal id " + internal + ", outside the "
              + "IndexIDMap's " + idMap.length + " ids");
        }
        ids[i] = idMap[(int) internal];
      }
    }
  }
}
