package dev.kiln.tools;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * Synthetic item embeddings shaped like a two-tower model's: a latent-factor model with
 * clustered structure (low intrinsic dimension), as the benchmarks' {@code synth()} data set.
 * Each vector is drawn as
 *
 * <pre>
 *   c ~ uniform(0, CLUSTERS),  z = centre[c] + N(0, I_LATENT),  x = z P + 0.1 N(0, I_dim)
 * </pre>
 *
 * with {@code centre ~ 2 N(0, I)} ({@value #CLUSTERS} of them in {@value #LATENT} latent
 * dimensions) and the projection {@code P ~ N(0, 1/LATENT)} ({@value #LATENT} x dim). Queries
 * are further draws from the same model. Ground truth is the exact top-{@value #GROUND_TRUTH_K}
 * by L2, brute force. The same sizes and seed give the same vectors.
 */
public record SyntheticData(float[][] base, float[][] queries) {
  public static final int LATENT = 24;
  public static final int CLUSTERS = 200;
  public static final double NOISE = 0.1;
  public static final double CENTRE_SCALE = 2.0;
  public static final int GROUND_TRUTH_K = 100;

  /** Heap the vectors, the model and the ground truth take: generated in memory, all of it. */
  public static long heapBytes(int n, int queries, int dim) {
    return ((long) n + queries) * (16 + 4L * dim) + 4L * LATENT * dim
        + (long) queries * (16 + 4L * GROUND_TRUTH_K);
  }

  /**
   * Draws the model, then the base vectors, then the queries, each from its own stream seeded
   * from {@code seed}, so the queries do not depend on {@code n}. {@link Random} is used because
   * its sequence, {@code nextGaussian} included, is specified: the data is the same on every JVM.
   */
  public static SyntheticData generate(int n, int nq, int dim, long seed) {
    Random model = new Random(stream(seed, 0));
    float[] proj = new float[LATENT * dim];
    double projScale = 1 / Math.sqrt(LATENT);
    for (int i = 0; i < proj.length; i++) {
      proj[i] = (float) (model.nextGaussian() * projScale);
    }
    float[] centres = new float[CLUSTERS * LATENT];
    for (int i = 0; i < centres.length; i++) {
      centres[i] = (float) (model.nextGaussian() * CENTRE_SCALE);
    }
    float[][] base = draw(new Random(stream(seed, 1)), n, dim, proj, centres);
    float[][] qs = draw(new Random(stream(seed, 2)), nq, dim, proj, centres);
    return new SyntheticData(base, qs);
  }

  /** A well-mixed seed for stream {@code i} (SplitMix64's finalizer): no correlated streams. */
  private static long stream(long seed, int i) {
    long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static float[][] draw(Random rnd, int m, int dim, float[] proj, float[] centres) {
    float[][] out = new float[m][];
    double[] z = new double[LATENT];
    for (int r = 0; r < m; r++) {
      int c = rnd.nextInt(CLUSTERS);
      for (int j = 0; j < LATENT; j++) {
        z[j] = centres[c * LATENT + j] + rnd.nextGaussian();
      }
      float[] x = new float[dim];
      for (int i = 0; i < dim; i++) {
        double v = 0;
        for (int j = 0; j < LATENT; j++) {
          v += z[j] * proj[j * dim + i];
        }
        x[i] = (float) (v + NOISE * rnd.nextGaussian());
      }
      out[r] = x;
    }
    return out;
  }

  /**
   * The ids (row numbers) of each query's {@code min(k, base.length)} nearest base vectors by
   * squared L2, nearest first. Distances are computed in double precision from the float
   * values, so the answer does not depend on the JVM's vector kernels; equal distances are
   * ordered by id. Queries run in parallel; the result does not depend on the scheduling.
   */
  public static int[][] groundTruth(float[][] base, float[][] queries, int k) {
    int kk = Math.min(k, base.length);
    int[][] out = new int[queries.length][];
    IntStream.range(0, queries.length).parallel()
        .forEach(q -> out[q] = nearest(base, queries[q], kk));
    return out;
  }

  private static int[] nearest(float[][] base, float[] q, int k) {
    double[] bestD = new double[k];
    int[] bestI = new int[k];
    int size = 0;
    for (int i = 0; i < base.length; i++) {
      double d = squareDistance(q, base[i]);
      // Ids arrive in increasing order, so an equal distance never displaces a kept item.
      if (size == k && d >= bestD[k - 1]) {
        continue;
      }
      int at = size == k ? k - 1 : size++;
      while (at > 0 && bestD[at - 1] > d) {
        bestD[at] = bestD[at - 1];
        bestI[at] = bestI[at - 1];
        at--;
      }
      bestD[at] = d;
      bestI[at] = i;
    }
    return bestI;
  }

  public static double squareDistance(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("dimensions differ: " + a.length + " and " + b.length);
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double t = (double) a[i] - b[i];
      s += t * t;
    }
    return s;
  }
}
