package dev.kiln.faiss;

import dev.kiln.search.Neighbors;
import java.util.Locale;

/**
 * How closely two searches of the same queries agree: the fraction of queries whose top-k ids
 * are identical, ties aside, and the largest relative difference between the distances at the
 * same rank.
 *
 * <p>Ties: positions whose distances are equal within {@link #TIE} (relative) are
 * interchangeable. A rank where the ids differ still counts as identical when both sides'
 * distances there agree within {@code TIE} and the other side's id is one Faiss ranks with an
 * equal distance (or the tie runs to the k-th position, past which Faiss's list was cut).
 */
final class Agreement {
  static final double TIE = 1e-5;

  private long queries;
  private long identical;
  private double maxRelative;
  private String firstMismatch;

  /** One query: Faiss's ids (as strings, null for Faiss's -1 padding) and distances, and Kiln's. */
  void add(int query, String[] faissIds, float[] faissD, Neighbors kiln) {
    queries++;
    int n = 0;
    while (n < faissIds.length && faissIds[n] != null) {
      n++;
    }
    float[] kd = kiln.scores();
    int common = Math.min(n, kiln.size());
    for (int i = 0; i < common; i++) {
      maxRelative = Math.max(maxRelative, relative(faissD[i], kd[i]));
    }
    String why = null;
    if (kiln.size() != n) {
      why = "Faiss found " + n + " results, Kiln " + kiln.size();
    } else {
      for (int i = 0; i < n && why == null; i++) {
        String id = kiln.idString(i);
        if (id.equals(faissIds[i])) {
          continue;
        }
        boolean tied = relative(faissD[i], kd[i]) <= TIE
            && (relative(faissD[i], faissD[n - 1]) <= TIE || tiedInFaiss(id, i, faissIds, faissD, n));
        if (!tied) {
          why = "rank " + i + ": Faiss " + faissIds[i] + " (" + faissD[i] + "), Kiln " + id + " ("
              + kd[i] + ")";
        }
      }
    }
    if (why == null) {
      identical++;
    } else if (firstMismatch == null) {
      firstMismatch = "query " + query + ": " + why;
    }
  }

  private static boolean tiedInFaiss(String id, int rank, String[] ids, float[] d, int n) {
    for (int j = 0; j < n; j++) {
      if (id.equals(ids[j]) && relative(d[j], d[rank]) <= TIE) {
        return true;
      }
    }
    return false;
  }

  static double relative(double a, double b) {
    if (a == b) {
      return 0;
    }
    return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
  }

  long queries() {
    return queries;
  }

  double identicalFraction() {
    return queries == 0 ? 0 : (double) identical / queries;
  }

  double maxRelative() {
    return maxRelative;
  }

  String firstMismatch() {
    return firstMismatch;
  }

  String summary() {
    return String.format(Locale.ROOT, "%7.2f%% identical top-k (%d/%d), max rel. distance error %.2e",
        100 * identicalFraction(), identical, queries, maxRelative)
        + (firstMismatch == null ? "" : "; first mismatch " + firstMismatch);
  }
}
