package dev.kiln.job.config;

import java.util.Locale;

/**
 * How the coarse centroids are trained ({@code --coarse-training}). Flat k-means scores every
 * sample point against every centroid in each iteration, which grows with nlist squared (32
 * points per list x 65,536 lists x 65,536 centroids x 128 dims is 35 TFLOP an iteration);
 * two-level k-means (Faiss's {@code contrib.clustering.two_level_clustering}) trains about
 * √nlist top clusters, then splits each one on its own, which grows with nlist to the power 1.5.
 */
public enum CoarseTraining {
  /** Two-level from {@link #AUTO_TWO_LEVEL_NLIST} lists up, flat below. */
  AUTO,
  FLAT,
  TWO_LEVEL;

  /**
   * The smallest nlist {@link #AUTO} trains two-level: where flat training's cost runs to tens
   * of minutes on one machine (README, "Two-level coarse training", has the measurements).
   */
  public static final String AUTO_TWO_LEVEL_NLIST_TEXT = "16384";

  public static final int AUTO_TWO_LEVEL_NLIST = Integer.parseInt(AUTO_TWO_LEVEL_NLIST_TEXT);

  /** The choice for {@code nlist} lists: {@link #FLAT} or {@link #TWO_LEVEL}. */
  public CoarseTraining resolve(int nlist) {
    if (this != AUTO) {
      return this;
    }
    return nlist >= AUTO_TWO_LEVEL_NLIST ? TWO_LEVEL : FLAT;
  }

  /** As the CLI writes it: {@code auto}, {@code flat}, {@code two-level}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses the CLI's spelling (case-insensitive, {@code two_level} too). */
  public static CoarseTraining parse(String s) {
    for (CoarseTraining t : values()) {
      if (t.cliName().equalsIgnoreCase(s.replace('_', '-'))) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "--coarse-training must be auto, flat or two-level, not '" + s + "'");
  }

  @Override
  public String toString() {
    return cliName();
  }
}
