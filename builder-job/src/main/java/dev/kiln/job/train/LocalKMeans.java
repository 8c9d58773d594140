package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.SubspaceProber;

/**
 * k-means on points held by one task: for PQ sub-spaces, k distinct points drawn uniformly as
 * seeds (as Faiss seeds; k-means++ seeds cost the PQ sub-spaces recall, see DESIGN.md); for
 * {@link TwoLevelKMeans}'s fine level, k-means++ seeds as the flat coarse step uses; then Lloyd
 * iterations
 * with the same blocked SIMD assignment and update as the distributed trainer
 * ({@link ClusterSums}). Used for the PQ sub-spaces and for the second level of
 * {@link TwoLevelKMeans}, which are small and independent.
 */
final class LocalKMeans {
  private LocalKMeans() {}

  /** Returns k x dim centroids of the {@code n} points (row-major) in {@code data}, by L2. */
  static float[] train(float[] data, int n, int dim, int k, int iterations, long seed) {
    return train(data, n, dim, KMeansSeeds.uniform(data, n, dim, k, seed), k, Metric.L2,
        iterations).centroids();
  }

  /**
   * k-means from {@code seeds} (k x dim, not modified) under {@code metric} (spherical for ip
   * and cosine, as {@link DistributedKMeans}): the centroids, with the last iteration's cluster
   * sizes and objective.
   */
  static DistributedKMeans.Result train(float[] data, int n, int dim, float[] seeds, int k,
      Metric metric, int iterations) {
    boolean spherical = metric != Metric.L2;
    float[] centroids = seeds.clone();
    if (spherical) {
      ClusterSums.normalizeRows(centroids, k, dim);
    }
    ClusterSums sums = null;
    for (int it = 0; it < iterations; it++) {
      sums = new ClusterSums(k, dim);
      CoarseQuantizer q = new CoarseQuantizer(centroids, k, dim, metric);
      sums.add(data, n, new CoarseAssigner(SubspaceProber.of(q), dim));
      sums.update(centroids, spherical);
    }
    return new DistributedKMeans.Result(centroids, sums.counts, sums.objective, iterations);
  }
}
