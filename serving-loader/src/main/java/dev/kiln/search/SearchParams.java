package dev.kiln.search;

/**
 * Per-query knobs. {@code nprobe}: how many inverted lists to scan (more is slower and finds
 * more of the true neighbours), as Faiss's {@code IndexIVF.nprobe}.
 */
public record SearchParams(int nprobe) {
  public SearchParams {
    if (nprobe < 1) {
      throw new IllegalArgumentException("nprobe must be at least 1, got " + nprobe);
    }
  }

  public static SearchParams nprobe(int nprobe) {
    return new SearchParams(nprobe);
  }
}
