package dev.kiln.search;

/**
 * Per-query knobs: either {@code nprobe}, how many inverted lists to scan (more is slower and
 * finds more of the true neighbours), as Faiss's {@code IndexIVF.nprobe}; or a
 * {@code targetRecall}, which the index turns into the smallest nprobe whose recall, as the build
 * measured it on held-out queries (the manifest's {@code quality.curve}), reaches the target.
 * Optionally a {@link IdFilter} that candidates must pass during the scan.
 *
 * @param nprobe lists to scan, or 0 when {@code targetRecall} is set
 * @param targetRecall recall@k to reach, in (0, 1], or 0 when {@code nprobe} is set
 * @param filter which items may be returned, or null for all
 */
public record SearchParams(int nprobe, double targetRecall, IdFilter filter) {
  public SearchParams {
    if (targetRecall == 0 && nprobe < 1) {
      throw new IllegalArgumentException("nprobe must be at least 1, got " + nprobe);
    }
    if (targetRecall != 0 && (nprobe != 0 || !(targetRecall > 0 && targetRecall <= 1))) {
      throw new IllegalArgumentException(
          "target recall must be in (0, 1] and comes without an nprobe, got " + targetRecall);
    }
  }

  public SearchParams(int nprobe, double targetRecall) {
    this(nprobe, targetRecall, null);
  }

  public static SearchParams nprobe(int nprobe) {
    return new SearchParams(nprobe, 0);
  }

  /**
   * The smallest measured nprobe whose recall reaches {@code recall}; if none does, the nprobe
   * that measured best. See {@link KilnIndex#nprobeFor(double)}.
   */
  public static SearchParams targetRecall(double recall) {
    return new SearchParams(0, recall);
  }

  /** These parameters with {@code filter} (null: none) applied during the scan. */
  public SearchParams withFilter(IdFilter filter) {
    return new SearchParams(nprobe, targetRecall, filter);
  }
}
