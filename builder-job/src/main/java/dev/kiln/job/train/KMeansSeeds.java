package dev.kiln.job.train;

import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;
import java.util.SplittableRandom;
import smile.clustering.PartitionClustering;
import smile.math.MathEx;

/**
 * Initial centroids by k-means++ (D^2 sampling), from Smile, with a fixed seed. Smile picks the
 * seeds; the n x k squared distances it asks for are computed on the float32 rows with Kiln's
 * SIMD kernel rather than Smile's scalar double loop, which took a sixth of a Fashion-MNIST build
 * (issue 16).
 */
public final class KMeansSeeds {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private KMeansSeeds() {}

  /**
   * k distinct points of the {@code n} (row-major in {@code data}) drawn uniformly with a fixed
   * seed, as Faiss seeds its k-means: the first k of a seeded random permutation.
   *
   * @return k x dim floats
   */
  public static float[] uniform(float[] data, int n, int dim, int k, long seed) {
    if (n < k) {
      throw new IllegalArgumentException("k-means needs at least k=" + k + " points, got " + n);
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] out = new float[k * dim];
    for (int c = 0; c < k; c++) {
      int j = c + rnd.nextInt(n - c);
      int t = perm[c];
      perm[c] = perm[j];
      perm[j] = t;
      System.arraycopy(data, perm[c] * dim, out, c * dim, dim);
    }
    return out;
  }

  /**
   * Picks k of the {@code n} points (row-major in {@code data}) by k-means++.
   *
   * @return k x dim floats
   */
  public static float[] kmeansPlusPlus(float[] data, int n, int dim, int k, long seed) {
    if (n < k) {
      throw new IllegalArgumentException("k-means++ needs at least k=" + k + " points, got " + n);
    }
    float[][] points = new float[n][];
    for (int i = 0; i < n; i++) {
      points[i] = Arrays.copyOfRange(data, i * dim, (i + 1) * dim);
    }
    float[][] medoids = new float[k][];
    MathEx.setSeed(seed); // Smile's generator is per thread: this makes the choice repeatable
    PartitionClustering.seed(points, medoids, new int[n],
        (a, b) -> K.squareDistance(a, 0, b, 0, dim));
    float[] out = new float[k * dim];
    for (int c = 0; c < k; c++) {
      System.arraycopy(medoids[c], 0, out, c * dim, dim);
    }
    return out;
  }
}
