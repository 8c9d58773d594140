package dev.kiln.search;

/**
 * Per-query knobs: either {@code nprobe}, how many inverted lists to scan (more is slower and
 * finds more of the true neighbours), as Faiss's {@code IndexIVF.nprobe}; or a
 * {@code targetRecall}, which the index turns into the smallest nprobe whose recall, as the build
 * measured it on held-out queries (the manifest's {@code quality.curve}), reaches the target.
 * Optionally a {@link IdFilter} that candidates must pass during the scan.
 *
 * <p>On an index with a refine stage ({@code ,RFlat} or {@code ,Refine(SQ8)}), the list scan keeps
 * the {@code k * refineFactor} best candidates by their PQ codes and re-ranks them by their
 * stored vectors (Faiss's {@code IndexRefine.k_factor}); other indexes ignore the factor.
 *
 * <p>On an index whose lists are picked through an HNSW graph over the centroids
 * ({@code IVF{n}_HNSW{M}}), {@code efSearch} is how many centroids the graph search keeps in its
 * beam (Faiss's {@code efSearch}; at least nprobe): larger finds the true nearest lists more
 * often and costs more. 0 derives it from nprobe
 * ({@link dev.kiln.quantize.HnswProber#defaultEfSearch}); {@link #FLAT_COARSE} skips the graph
 * and scores every centroid, as an index without a graph does. Other indexes ignore it.
 *
 * <p>On an {@code HNSW{M}} index (a graph over each shard's items), {@code efSearch} is the beam
 * of the walk over the items, as Faiss's {@code IndexHNSW} {@code efSearch}: at least k is used;
 * 0 for the default (64); {@link #FLAT_COARSE} scores every item, the exact answer. nprobe is
 * ignored there (one list); {@link #efSearch(int)} makes such params.
 *
 * @param nprobe lists to scan, or 0 when {@code targetRecall} is set
 * @param targetRecall recall@k to reach, in (0, 1], or 0 when {@code nprobe} is set
 * @param refineFactor shortlist size, as a multiple of k, that a refine stage re-ranks
 * @param filter which items may be returned, or null for all
 * @param efSearch the graph search's beam, 0 for the default, or {@link #FLAT_COARSE}
 */
public record SearchParams(
    int nprobe, double targetRecall, int refineFactor, IdFilter filter, int efSearch) {
  /** The refine shortlist factor unless one is given: Faiss's benchmarks use 4 as well. */
  public static final int DEFAULT_REFINE_FACTOR = 4;

  /**
   * {@code HNSW{M}}'s efSearch when none is given. Measured with {@code kiln bench --ef}: on
   * Fashion-MNIST and synth-1m-128 {@code HNSW32} reaches recall@10 0.99 at 64 (README, "HNSW").
   */
  public static final int DEFAULT_GRAPH_EF_SEARCH = 64;

  /** The {@code efSearch} that bypasses the graph over the centroids: every centroid scored. */
  public static final int FLAT_COARSE = -1;

  /**
   * Checks the parameters.
   *
   * @param nprobe lists to scan, or 0 when {@code targetRecall} is set
   * @param targetRecall recall@k to reach, in (0, 1], or 0 when {@code nprobe} is set
   * @param refineFactor shortlist size, as a multiple of k, that a refine stage re-ranks
   * @param filter which items may be returned, or null for all
   * @param efSearch the graph search's beam, 0 for the default, or {@link #FLAT_COARSE}
   * @throws IllegalArgumentException when {@code refineFactor} is below 1; {@code nprobe} is
   *     below 1 without a target; the target is outside (0, 1], NaN, or comes with an nprobe;
   *     or {@code efSearch} is below {@link #FLAT_COARSE}
   */
  public SearchParams {
    if (refineFactor < 1) {
      throw new IllegalArgumentException("refine factor must be at least 1, got " + refineFactor);
    }
    if (targetRecall == 0 && nprobe < 1) {
      throw new IllegalArgumentException("nprobe must be at least 1, got " + nprobe);
    }
    if (targetRecall != 0 && (nprobe != 0 || !(targetRecall > 0 && targetRecall <= 1))) {
      throw new IllegalArgumentException(
          "target recall must be in (0, 1] and comes without an nprobe, got " + targetRecall);
    }
    if (efSearch < FLAT_COARSE) {
      throw new IllegalArgumentException(
          "efSearch must be at least 1 (or 0 for the default), got " + efSearch);
    }
  }

  /**
   * An nprobe or a target recall, with the default refine factor
   * ({@value #DEFAULT_REFINE_FACTOR}), no filter and the default efSearch (0).
   *
   * @param nprobe lists to scan, or 0 when {@code targetRecall} is set
   * @param targetRecall recall@k to reach, in (0, 1], or 0 when {@code nprobe} is set
   * @throws IllegalArgumentException as the canonical constructor does
   */
  public SearchParams(int nprobe, double targetRecall) {
    this(nprobe, targetRecall, DEFAULT_REFINE_FACTOR, null, 0);
  }

  /**
   * Scan {@code nprobe} lists per query, with the defaults otherwise.
   *
   * @param nprobe lists to scan, at least 1 (more than nlist scans them all)
   * @return the params
   * @throws IllegalArgumentException when {@code nprobe} is below 1
   */
  public static SearchParams nprobe(int nprobe) {
    return new SearchParams(nprobe, 0);
  }

  /**
   * Params for an {@code HNSW{M}} index: the walk's beam {@code ef} (see above).
   *
   * @param ef the beam (at least k is used), 0 for {@link #DEFAULT_GRAPH_EF_SEARCH}, or
   *     {@link #FLAT_COARSE} to score every item
   * @return params with nprobe 1 and that efSearch
   * @throws IllegalArgumentException when {@code ef} is below {@link #FLAT_COARSE}
   */
  public static SearchParams efSearch(int ef) {
    return nprobe(1).withEfSearch(ef);
  }

  /**
   * These parameters with another refine shortlist factor.
   *
   * @param factor the shortlist the refine stage re-ranks, as a multiple of k; at least 1
   * @return new params; these are unchanged
   * @throws IllegalArgumentException when {@code factor} is below 1
   */
  public SearchParams withRefineFactor(int factor) {
    return new SearchParams(nprobe, targetRecall, factor, filter, efSearch);
  }

  /**
   * The smallest measured nprobe whose recall reaches {@code recall}; if none does, the nprobe
   * that measured best. See {@link KilnIndex#nprobeFor(double)}. On an {@code HNSW{M}} index,
   * the smallest measured efSearch ({@link KilnIndex#efSearchFor(double)}).
   *
   * @param recall the recall@k to reach, in (0, 1]
   * @return params with that target and no nprobe
   * @throws IllegalArgumentException when {@code recall} is outside (0, 1] or NaN (an index
   *     without a measured curve refuses the target at search time, with an
   *     {@link IllegalStateException})
   */
  public static SearchParams targetRecall(double recall) {
    return new SearchParams(0, recall);
  }

  /**
   * These parameters with {@code filter} (null: none) applied during the scan.
   *
   * @param filter the filter, replacing any these params had (combine with
   *     {@link IdFilter#and}), or null for none
   * @return new params; these are unchanged
   */
  public SearchParams withFilter(IdFilter filter) {
    return new SearchParams(nprobe, targetRecall, refineFactor, filter, efSearch);
  }

  /**
   * These parameters with the graph search's beam {@code ef} (at least 1; 0 for the default,
   * {@link #FLAT_COARSE} for no graph search).
   *
   * @param ef the beam, 0 for the default, or {@link #FLAT_COARSE}
   * @return new params; these are unchanged
   * @throws IllegalArgumentException when {@code ef} is below {@link #FLAT_COARSE}
   */
  public SearchParams withEfSearch(int ef) {
    return new SearchParams(nprobe, targetRecall, refineFactor, filter, ef);
  }
}
