package dev.kiln.job.train;

import smile.clustering.PartitionClustering;
import smile.math.MathEx;

/** Initial centroids by k-means++ (D^2 sampling), from Smile, with a fixed seed. */
public final class KMeansSeeds {
  private KMeansSeeds() {}

  /**
   * Picks k of the {@code n} points (row-major in {@code data}) by k-means++.
   *
   * @return k x dim floats
   */
  public static float[] kmeansPlusPlus(float[] data, int n, int dim, int k, long seed) {
    if (n < k) {
      throw new IllegalArgumentException("k-means++ needs at least k=" + k + " points, got " + n);
    }
    double[][] points = new double[n][dim];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < dim; j++) {
        points[i][j] = data[i * dim + j];
      }
    }
    double[][] medoids = new double[k][];
    MathEx.setSeed(seed); // Smile's generator is per thread: this makes the choice repeatable
    PartitionClustering.seed(points, medoids, new int[n], MathEx::squaredDistance);
    float[] out = new float[k * dim];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < dim; j++) {
        out[c * dim + j] = (float) medoids[c][j];
      }
    }
    return out;
  }
}
