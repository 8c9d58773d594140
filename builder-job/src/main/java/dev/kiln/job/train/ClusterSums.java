package dev.kiln.job.train;

import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.IndexModel;
import java.io.Serializable;

/**
 * One Lloyd step's partial result over some points: per cluster, the vector sum and the count,
 * plus the objective. Sums from different partitions merge; the driver (or a local trainer)
 * turns the merged sums into new centroids. The one k-means step both trainers share.
 */
final class ClusterSums implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Relative perturbation when splitting a cluster to fill an empty one (as Faiss). */
  private static final float SPLIT_EPS = 1f / 1024;
  /**
   * Relative spread below which a cluster's points count as one point: far above the rounding of
   * double sums of floats, far below any real spread (1e-9 of the squared norms is a distance of
   * about 3e-5 of the norm).
   */
  private static final double SAME_POINT = 1e-9;

  final int k;
  final int dim;
  final double[] sums;
  final long[] counts;
  /** Per cluster, the sum of its points' squared norms: with the sums, how spread it is. */
  final double[] squares;
  /** Sum of squared distances (L2) or of negated inner products (spherical). */
  double objective;
  /** Points whose list the bounds kept without a full assignment ({@link KMeansBounds}). */
  long skipped;

  ClusterSums(int k, int dim) {
    this.k = k;
    this.dim = dim;
    this.sums = new double[k * dim];
    this.counts = new long[k];
    this.squares = new double[k];
  }

  /** Assigns {@code rows} points of {@code x} to their nearest centroid and adds them up. */
  void add(float[] x, int rows, CoarseAssigner q) {
    int[] lists = new int[rows];
    float[] dist = new float[rows];
    q.assign(x, rows, lists, dist);
    add(x, rows, lists, dist);
  }

  /** Adds up {@code rows} points of {@code x}, assigned to {@code lists} at {@code dist}. */
  void add(float[] x, int rows, int[] lists, float[] dist) {
    for (int i = 0; i < rows; i++) {
      int c = lists[i];
      counts[c]++;
      int s = c * dim;
      int o = i * dim;
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        float v = x[o + j];
        sums[s + j] += v;
        norm += (double) v * v;
      }
      squares[c] += norm;
      objective += dist[i];
    }
  }

  ClusterSums merge(ClusterSums o) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += o.sums[i];
    }
    for (int i = 0; i < k; i++) {
      counts[i] += o.counts[i];
      squares[i] += o.squares[i];
    }
    objective += o.objective;
    skipped += o.skipped;
    return this;
  }

  /**
   * The next centroids: each non-empty cluster's mean; each empty one refilled by splitting the
   * largest cluster that has two distinct points (the two centroids nudged apart; the next
   * assignment divides its points). A cluster of identical points is never split: its halves
   * could not divide it, and one would be empty again. Spherical k-means (inner product,
   * cosine) then normalizes every centroid.
   *
   * @return how many empty clusters were refilled
   */
  int update(float[] centroids, boolean spherical) {
    for (int c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (int j = 0; j < dim; j++) {
          centroids[c * dim + j] = (float) (sums[c * dim + j] / counts[c]);
        }
      }
    }
    int split = splitEmpty(centroids, counts.clone(), spread(), k, dim);
    if (spherical) {
      normalizeRows(centroids, k, dim);
    }
    return split;
  }

  /** Scales each of the k rows to unit length: spherical k-means's centroids. */
  static void normalizeRows(float[] centroids, int k, int dim) {
    for (int c = 0; c < k; c++) {
      IndexModel.normalize(centroids, c * dim, dim);
    }
  }

  /** Empty clusters this step leaves (before any split). */
  int empty() {
    int n = 0;
    for (long c : counts) {
      if (c == 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Which clusters hold at least two distinct points: their points' squared distances to the
   * mean, sum(|x|^2) - |sum x|^2 / n, are more than rounding (relative to sum(|x|^2)).
   */
  boolean[] spread() {
    boolean[] out = new boolean[k];
    for (int c = 0; c < k; c++) {
      if (counts[c] < 2) {
        continue;
      }
      double sq = 0;
      for (int j = 0; j < dim; j++) {
        double s = sums[c * dim + j];
        sq += s * s;
      }
      out[c] = squares[c] - sq / counts[c] > SAME_POINT * squares[c];
    }
    return out;
  }

  /**
   * Refills each empty cluster by splitting the largest cluster marked in {@code spread}; the
   * halves count half its points each and can be split again. Stops when no cluster is left to
   * split (fewer distinct points than clusters).
   */
  static int splitEmpty(float[] centroids, long[] counts, boolean[] spread, int k, int dim) {
    int split = 0;
    for (int ci = 0; ci < k; ci++) {
      if (counts[ci] > 0) {
        continue;
      }
      int cj = -1;
      for (int c = 0; c < k; c++) {
        if (spread[c] && counts[c] >= 2 && (cj < 0 || counts[c] > counts[cj])) {
          cj = c;
        }
      }
      if (cj < 0) {
        break; // fewer distinct points than clusters: nothing left to split
      }
      for (int j = 0; j < dim; j++) {
        float v = centroids[cj * dim + j];
        float sign = (j % 2 == 0) ? 1 : -1;
        centroids[ci * dim + j] = v * (1 + sign * SPLIT_EPS);
        centroids[cj * dim + j] = v * (1 - sign * SPLIT_EPS);
      }
      counts[ci] = counts[cj] / 2;
      counts[cj] -= counts[ci];
      spread[ci] = true;
      split++;
    }
    return split;
  }
}
