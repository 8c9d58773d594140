package dev.kiln.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.SubspaceProber;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bounds change no answer: through Lloyd iterations on clustered points, every point gets
 * the list a full assignment gives, at its distance; and the bounds do skip (else the check is
 * empty). State from another run or a skipped iteration is not trusted.
 */
class KMeansBoundsTest {
  private static final int DIM = 32;
  private static final int K = 300;
  private static final int N = 6000;

  private static float[] clustered(Random rnd, int n, int latent) {
    float[][] basis = new float[latent][DIM];
    for (float[] b : basis) {
      for (int j = 0; j < DIM; j++) {
        b[j] = (float) rnd.nextGaussian();
      }
    }
    float[] x = new float[n * DIM];
    for (int i = 0; i < n; i++) {
      for (int l = 0; l < latent; l++) {
        float w = (float) rnd.nextGaussian() * (l < 4 ? 3 : 1);
        for (int j = 0; j < DIM; j++) {
          x[i * DIM + j] += w * basis[l][j];
        }
      }
      for (int j = 0; j < DIM; j++) {
        x[i * DIM + j] += 0.1f * (float) rnd.nextGaussian();
      }
    }
    return x;
  }

  private static CoarseAssigner assigner(float[] centroids) {
    CoarseQuantizer q = new CoarseQuantizer(centroids, K, DIM, Metric.L2);
    return new CoarseAssigner(SubspaceProber.of(q, CentroidSubspace.of(centroids, K, DIM)), DIM);
  }

  @Test
  void everyIterationAssignsAsTheFullStepDoes() {
    Random rnd = new Random(3);
    float[] x = clustered(rnd, N, 8);
    float[] centroids = new float[K * DIM];
    for (int c = 0; c < K; c++) {
      System.arraycopy(x, rnd.nextInt(N) * DIM, centroids, c * DIM, DIM);
    }
    long run = 77;
    float[] previous = null;
    long skipped = 0;
    for (int it = 0; it < 12; it++) {
      KMeansBounds.Moves moves =
          previous == null ? null : KMeansBounds.Moves.of(run, it, previous, centroids, K, DIM);
      CoarseAssigner q = assigner(centroids);
      int[] lists = new int[N];
      float[] dist = new float[N];
      int s = new KMeansBounds(q, DIM, moves, run, it).assign(x, N, lists, dist);
      if (it == 0) {
        assertEquals(0, s, "nothing to bound on the first iteration");
      }
      skipped += s;
      int[] full = new int[N];
      float[] fullDist = new float[N];
      assigner(centroids).assign(x, N, full, fullDist);
      assertArrayEquals(full, lists, "iteration " + it);
      for (int i = 0; i < N; i++) {
        assertEquals(fullDist[i], dist[i], 1e-5f * (1 + fullDist[i]), "point " + i);
      }
      ClusterSums sums = new ClusterSums(K, DIM);
      sums.add(x, N, lists, dist);
      previous = centroids;
      centroids = centroids.clone();
      sums.update(centroids, false);
    }
    assertTrue(skipped > N, "the bounds skipped " + skipped + " point assignments in 11 iterations");
  }

  @Test
  void stateOfAnotherRunOrIterationIsNotTrusted() {
    Random rnd = new Random(5);
    float[] x = clustered(rnd, 2000, 6);
    float[] centroids = new float[K * DIM];
    for (int c = 0; c < K; c++) {
      System.arraycopy(x, c * DIM, centroids, c * DIM, DIM);
    }
    int[] lists = new int[2000];
    float[] dist = new float[2000];
    new KMeansBounds(assigner(centroids), DIM, null, 1, 0).assign(x, 2000, lists, dist);
    // Unmoved centroids: every point would be skipped, but only from this run's iteration 0.
    KMeansBounds.Moves still = KMeansBounds.Moves.of(2, 1, centroids, centroids, K, DIM);
    assertEquals(0, new KMeansBounds(assigner(centroids), DIM, still, 2, 1)
        .assign(x, 2000, lists, dist), "another run");
    KMeansBounds.Moves later = KMeansBounds.Moves.of(2, 3, centroids, centroids, K, DIM);
    assertEquals(0, new KMeansBounds(assigner(centroids), DIM, later, 2, 3)
        .assign(x, 2000, lists, dist), "an iteration missed");
    // The next iteration, nothing moved: all but the near ties (within the margin) skipped.
    KMeansBounds.Moves next = KMeansBounds.Moves.of(2, 4, centroids, centroids, K, DIM);
    int skipped = new KMeansBounds(assigner(centroids), DIM, next, 2, 4)
        .assign(x, 2000, lists, dist);
    assertTrue(skipped > 1800, skipped + " of 2000 skipped");
  }
}
