package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The subspace-bounded coarse step against the exact answer: on centroids with a few dominant
 * directions (as embeddings have), every probe must return exactly the nprobe centroids of best
 * full score, as one query and in blocks alike; where no small subspace exists the flat
 * quantizer serves.
 */
public class SubspaceProberTest {
  private static final int D = 64;
  private static final int NLIST = 512;
  private static final int LATENT = 6;

  /** Rows near a LATENT-dimensional subspace of R^D, plus {@code noise} in every direction. */
  public static float[] lowRank(Random rnd, int n, float[] mixing, float noise, boolean unit) {
    float[] out = new float[n * D];
    for (int i = 0; i < n; i++) {
      double[] z = new double[LATENT];
      for (int f = 0; f < LATENT; f++) {
        z[f] = rnd.nextGaussian();
      }
      for (int j = 0; j < D; j++) {
        double v = noise * rnd.nextGaussian();
        for (int f = 0; f < LATENT; f++) {
          v += mixing[j * LATENT + f] * z[f];
        }
        out[i * D + j] = (float) v;
      }
      if (unit) {
        IndexModel.normalize(out, i * D, D);
      }
    }
    return out;
  }

  public static float[] mixing(Random rnd) {
    float[] a = new float[D * LATENT];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void returnsExactlyTheBestScoredCentroidsAsSingleQueriesAndInBlocks(Metric metric) {
    Random rnd = new Random(11);
    boolean unit = metric == Metric.IP; // spherical centroids and normalized queries: cosine
    float[] a = mixing(rnd);
    float[] centroids = lowRank(rnd, NLIST, a, 0.05f, unit);
    CoarseQuantizer flat = new CoarseQuantizer(centroids, NLIST, D, metric);
    SubspaceProber prober = assertInstanceOf(SubspaceProber.class, SubspaceProber.of(flat));
    assertTrue(prober.rank() <= D / 4, "rank " + prober.rank());
    int n = Math.min(prober.blockSize(), 40);
    float[] queries = lowRank(rnd, n, a, 0.4f, unit);
    int agree = 0;
    int total = 0;
    for (int nprobe : new int[] {1, 7, 32, 128, 129, NLIST + 5}) {
      Probe[] block = IntStream.range(0, n).mapToObj(i -> new Probe()).toArray(Probe[]::new);
      prober.probeBlock(queries, n, nprobe, 0, block);
      Probe single = new Probe();
      Probe reference = new Probe();
      for (int i = 0; i < n; i++) {
        prober.probe(queries, i * D, nprobe, 0, single);
        int p = Math.min(nprobe, NLIST);
        assertEquals(p, single.size());
        assertEquals(p, block[i].size());
        int[] expected = bestByFullScore(flat, queries, i, p);
        flat.probe(queries, i * D, nprobe, 0, reference);
        float qq = dot(queries, i * D, queries, i * D);
        for (int r = 0; r < p; r++) {
          String where = "nprobe " + nprobe + " query " + i + " rank " + r;
          assertEquals(single.list(r), block[i].list(r), where);
          assertEquals(single.distance(r), block[i].distance(r), where);
          if ((long) nprobe * 4 <= NLIST) {
            // The bounded path: exactly the best under the full scores it ranks by.
            assertEquals(expected[r], single.list(r), where);
          }
          // Against the flat step's panel kernel: the same lists but for last-bit ties, and
          // the same distances within rounding.
          agree += single.list(r) == reference.list(r) ? 1 : 0;
          total++;
          float scale = qq + dot(centroids, single.list(r) * D, centroids, single.list(r) * D);
          assertEquals(reference.distance(r), single.distance(r), 1e-5f * scale, where);
        }
      }
    }
    assertTrue(agree >= 0.995 * total, agree + " of " + total + " ranks agree with flat");
  }

  /** The {@code p} centroids of best {@link CoarseQuantizer#scores}, ties to the lower id. */
  private static int[] bestByFullScore(CoarseQuantizer flat, float[] queries, int i, int p) {
    int[] ids = IntStream.range(0, NLIST).toArray();
    float[] scores = new float[NLIST];
    flat.scores(queries, i * D, ids, NLIST, scores);
    return IntStream.range(0, NLIST).boxed()
        .sorted(Comparator.<Integer>comparingDouble(c -> scores[c]).thenComparingInt(c -> c))
        .limit(p).mapToInt(Integer::intValue).toArray();
  }

  @Test
  void liftedScoresBoundTheFullScoresFromBelowWithAnOrthonormalBasis() {
    Random rnd = new Random(5);
    float[] a = mixing(rnd);
    float[] centroids = lowRank(rnd, NLIST, a, 0.05f, false);
    CentroidSubspace s = CentroidSubspace.of(centroids, NLIST, D);
    assertNotNull(s);
    assertOrthonormal(s);
    float[] lifted = s.liftAll(centroids, NLIST);
    int w = s.rank + 1;
    float[] q = lowRank(rnd, 200, a, 1f, false); // far from the subspace too
    float[] ql = new float[w];
    for (int i = 0; i < 200; i++) {
      s.lift(q, i * D, dot(q, i * D, q, i * D), ql, 0);
      for (int c = 0; c < NLIST; c++) {
        float qc = dot(q, i * D, centroids, c * D);
        float bound = dot(ql, 0, lifted, c * w, w);
        float scale = dot(q, i * D, q, i * D) + dot(centroids, c * D, centroids, c * D);
        assertTrue(qc <= bound + 1e-5f * scale, "query " + i + " centroid " + c);
        float cc = dot(lifted, c * w, lifted, c * w, w);
        assertEquals(dot(centroids, c * D, centroids, c * D), cc, 1e-5f * scale);
      }
    }
  }

  @Test
  void aSubspaceOfAGivenRankIsOrthonormalHoldsMoreAndItsLiftBoundsDistances() {
    Random rnd = new Random(6);
    float[] a = mixing(rnd);
    float[] centroids = lowRank(rnd, NLIST, a, 0.05f, false);
    CentroidSubspace narrow = CentroidSubspace.of(centroids, NLIST, D);
    CentroidSubspace wide = CentroidSubspace.ofRank(centroids, NLIST, D, 24);
    assertNotNull(narrow);
    assertNotNull(wide);
    assertEquals(24, wide.rank);
    assertTrue(narrow.rank < wide.rank, "of() stops at " + narrow.rank);
    assertOrthonormal(wide);
    // More directions hold more of the centroids' energy: the rest (|c⊥|) is smaller.
    float[] ln = narrow.liftAll(centroids, NLIST);
    float[] lw = wide.liftAll(centroids, NLIST);
    double restNarrow = 0;
    double restWide = 0;
    for (int c = 0; c < NLIST; c++) {
      restNarrow += (double) ln[c * narrow.width() + narrow.rank] * ln[c * narrow.width()
          + narrow.rank];
      restWide += (double) lw[c * wide.width() + wide.rank] * lw[c * wide.width() + wide.rank];
    }
    assertTrue(restWide < restNarrow, restWide + " not below " + restNarrow);
    int w = wide.width();
    float[] q = lowRank(rnd, 100, a, 1f, false);
    float[] ql = new float[w];
    for (int i = 0; i < 100; i++) {
      wide.lift(q, i * D, ql, 0);
      for (int c = 0; c < NLIST; c++) {
        double full = 0;
        for (int j = 0; j < D; j++) {
          double d = q[i * D + j] - centroids[c * D + j];
          full += d * d;
        }
        double lifted = 0;
        for (int j = 0; j < w; j++) {
          double d = ql[j] - lw[c * w + j];
          lifted += d * d;
        }
        assertTrue(lifted <= full * (1 + 1e-4) + 1e-4, "query " + i + " centroid " + c);
      }
    }
    assertThrows(IllegalArgumentException.class,
        () -> CentroidSubspace.ofRank(centroids, NLIST, D, 12));
    assertThrows(IllegalArgumentException.class,
        () -> CentroidSubspace.ofRank(centroids, NLIST, D, 0));
    assertThrows(IllegalArgumentException.class,
        () -> CentroidSubspace.ofRank(centroids, NLIST, D, D + 8));
    float[] damaged = centroids.clone();
    damaged[5] = Float.POSITIVE_INFINITY;
    assertNull(CentroidSubspace.ofRank(damaged, NLIST, D, 24));
  }

  @Test
  void theFlatQuantizerServesWhereNoSmallSubspaceHoldsTheCentroids() {
    Random rnd = new Random(7);
    float[] full = new float[NLIST * D]; // isotropic: every direction holds as much
    for (int i = 0; i < full.length; i++) {
      full[i] = (float) rnd.nextGaussian();
    }
    CoarseQuantizer isotropic = new CoarseQuantizer(full, NLIST, D, Metric.L2);
    assertSame(isotropic, SubspaceProber.of(isotropic));

    float[] damaged = lowRank(rnd, NLIST, mixing(rnd), 0.05f, false);
    damaged[3 * D + 5] = Float.NaN;
    CoarseQuantizer nan = new CoarseQuantizer(damaged, NLIST, D, Metric.L2);
    assertSame(nan, SubspaceProber.of(nan));

    int few = CentroidSubspace.MIN_LISTS - 1;
    float[] small = Arrays.copyOf(lowRank(rnd, NLIST, mixing(rnd), 0.05f, false), few * D);
    CoarseQuantizer fewLists = new CoarseQuantizer(small, few, D, Metric.L2);
    assertSame(fewLists, SubspaceProber.of(fewLists));
  }

  private static void assertOrthonormal(CentroidSubspace s) {
    for (int i = 0; i < s.rank; i++) {
      for (int j = 0; j <= i; j++) {
        assertEquals(i == j ? 1f : 0f, dot(s.basis, i * D, s.basis, j * D), 1e-5f);
      }
    }
  }

  private static float dot(float[] a, int ao, float[] b, int bo) {
    return dot(a, ao, b, bo, D);
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    double s = 0;
    for (int j = 0; j < n; j++) {
      s += (double) a[ao + j] * b[bo + j];
    }
    return (float) s;
  }
}
