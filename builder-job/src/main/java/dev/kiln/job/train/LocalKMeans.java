package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseQuantizer;

/**
 * k-means on points held by one task: k distinct points drawn uniformly as seeds (as Faiss
 * seeds; k-means++ seeds cost the PQ sub-spaces recall, see DESIGN.md), then Lloyd iterations
 * with the same blocked SIMD assignment and update as the distributed trainer
 * ({@link ClusterSums}).
 * Used for the PQ sub-spaces, which are small and independent.
 */
final class LocalKMeans {
  private LocalKMeans() {}

  /** Returns k x dim centroids of the {@code n} points (row-major) in {@code data}. */
  static float[] train(float[] data, int n, int dim, int k, int iterations, long seed) {
    float[] centroids = KMeansSeeds.uniform(data, n, dim, k, seed);
    for (int it = 0; it < iterations; it++) {
      ClusterSums sums = new ClusterSums(k, dim);
      sums.add(data, n, new CoarseQuantizer(centroids, k, dim, Metric.L2));
      sums.update(centroids, false);
    }
    return centroids;
  }
}
