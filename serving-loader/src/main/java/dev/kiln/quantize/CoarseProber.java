package dev.kiln.quantize;

/**
 * The coarse step of search: which inverted lists a query scans. {@link CoarseQuantizer} scores
 * every centroid; {@link HnswProber} walks an HNSW graph over them ({@code IVF{n}_HNSW{M}}),
 * chosen where the index's model is built ({@link IndexModel#prober()}). Queries come prepared by
 * the metric (cosine: normalized).
 */
public interface CoarseProber {
  /** How many lists there are. */
  int nlist();

  /**
   * The {@code min(nprobe, nlist)} lists nearest to the query at {@code q[qOff ..]}, nearest
   * first, with their distances; ties go to the lower list id. Fills {@code out} and returns it.
   * {@code efSearch} is the graph's search breadth (0: derived from nprobe); a flat quantizer,
   * which is exact, ignores it.
   */
  Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out);

  /** How many queries {@link #probeBlock} takes at most per call. */
  int blockSize();

  /**
   * {@link #probe} for {@code n} (at most {@link #blockSize}) queries at once, rows of
   * {@code queries} (stride dim): {@code out[i]} for row i, with the same answers as one probe
   * each, faster per query.
   */
  void probeBlock(float[] queries, int n, int nprobe, int efSearch, Probe[] out);
}
