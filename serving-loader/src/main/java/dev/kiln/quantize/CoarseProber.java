package dev.kiln.quantize;

/**
 * The coarse step of search: which inverted lists a query scans. {@link CoarseQuantizer} scores
 * every centroid; {@link HnswProber} walks an HNSW graph over them ({@code IVF{n}_HNSW{M}}),
 * chosen where the index's model is built ({@link IndexModel#prober()}). Queries come prepared by
 * the metric (cosine: normalized).
 */
public interface CoarseProber {
  /**
   * How many lists there are.
   *
   * @return nlist, the number of centroids
   */
  int nlist();

  /**
   * The {@code min(nprobe, nlist)} lists nearest to the query at {@code q[qOff ..]}, nearest
   * first, with their distances; ties go to the lower list id. Fills {@code out} and returns it.
   * {@code efSearch} is the graph's search breadth (0: derived from nprobe); a flat quantizer,
   * which is exact, ignores it.
   *
   * @param q holds the query, prepared (normalized for cosine)
   * @param qOff where its dim floats start in {@code q}
   * @param nprobe how many lists are wanted, at least 1
   * @param efSearch the graph's beam width, or 0 for one derived from nprobe
   * @param out the caller's reusable probe, overwritten
   * @return {@code out}
   */
  Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out);

  /**
   * How many queries {@link #probeBlock} takes at most per call.
   *
   * @return the block size, at least 1
   */
  int blockSize();

  /**
   * {@link #probe} for {@code n} (at most {@link #blockSize}) queries at once, rows of
   * {@code queries} (stride dim): {@code out[i]} for row i, with the same answers as one probe
   * each, faster per query.
   *
   * @param queries the queries, row-major from index 0, prepared as for {@link #probe}
   * @param n how many, at most {@link #blockSize()}
   * @param nprobe how many lists are wanted per query, at least 1
   * @param efSearch the graph's beam width, or 0 for one derived from nprobe
   * @param out the caller's reusable probes, one per query, overwritten
   */
  void probeBlock(float[] queries, int n, int nprobe, int efSearch, Probe[] out);
}
