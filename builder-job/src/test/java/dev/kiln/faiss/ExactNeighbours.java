package dev.kiln.faiss;

import dev.kiln.format.Metric;
import java.util.Arrays;

/** Exact nearest neighbours by brute force, in double precision: the truth recall is measured on. */
final class ExactNeighbours {
  private ExactNeighbours() {}

  /** Each query's {@code k} nearest base rows (largest inner product for ip), nearest first. */
  static int[][] top(float[][] queries, float[][] base, Metric metric, int k) {
    int[][] out = new int[queries.length][k];
    double[] best = new double[k];
    for (int q = 0; q < queries.length; q++) {
      float[] x = queries[q];
      Arrays.fill(best, Double.POSITIVE_INFINITY);
      for (int r = 0; r < base.length; r++) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
          double v = base[r][j];
          s += metric == Metric.L2 ? (x[j] - v) * (x[j] - v) : -x[j] * v;
        }
        // Insertion into the sorted top k.
        int i = k;
        while (i > 0 && s < best[i - 1]) {
          if (i < k) {
            best[i] = best[i - 1];
            out[q][i] = out[q][i - 1];
          }
          i--;
        }
        if (i < k) {
          best[i] = s;
          out[q][i] = r;
        }
      }
    }
    return out;
  }
}
