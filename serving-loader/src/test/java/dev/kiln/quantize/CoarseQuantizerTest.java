package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CoarseQuantizerTest {
  private static final int D = 11;
  private static final int NLIST = 13;

  /** The distance the quantizer minimizes, in double: squared L2 or minus the inner product. */
  private static double distance(Metric metric, float[] x, int xOff, float[] centroids, int c) {
    return metric == Metric.L2
        ? TestIndexes.squareDistance(x, xOff, centroids, c * D, D)
        : -TestIndexes.dot(x, xOff, centroids, c * D, D);
  }

  /** The assigned list is the brute-force nearest, unless the runner-up is a near-tie. */
  private static void assertNearest(Metric metric, float[] points, int i, float[] centroids,
      int assigned) {
    double[] dist = new double[NLIST];
    for (int c = 0; c < NLIST; c++) {
      dist[c] = distance(metric, points, i * D, centroids, c);
    }
    int best = 0;
    for (int c = 1; c < NLIST; c++) {
      if (dist[c] < dist[best]) {
        best = c;
      }
    }
    if (assigned != best) {
      TestIndexes.assertClose(dist[best], dist[assigned], "row " + i + " assigned to "
          + assigned + ", nearest is " + best);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void assignMatchesBruteForceInBlocksAndRemainder(Metric metric) {
    Random rnd = new Random(1);
    float[] centroids = TestIndexes.flatten(TestIndexes.gaussian(rnd, NLIST, D));
    CoarseQuantizer cq = new CoarseQuantizer(centroids, NLIST, D, metric);
    // n = 4q + r for every remainder r, so both the 4-row blocked path and the tail run.
    for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 101, 102, 103}) {
      float[] points = TestIndexes.flatten(TestIndexes.gaussian(rnd, n, D));
      int[] lists = new int[n];
      float[] scores = new float[n];
      cq.assign(points, n, lists, scores);
      int[] withoutScores = new int[n];
      cq.assign(points, n, withoutScores, null);
      assertArrayEquals(lists, withoutScores);
      for (int i = 0; i < n; i++) {
        assertNearest(metric, points, i, centroids, lists[i]);
        int c = lists[i];
        double expectedScore = metric == Metric.L2
            ? 0.5 * TestIndexes.dot(centroids, c * D, centroids, c * D, D)
                - TestIndexes.dot(points, i * D, centroids, c * D, D)
            : -TestIndexes.dot(points, i * D, centroids, c * D, D);
        TestIndexes.assertClose(expectedScore, scores[i], "score of row " + i);
        // One vector at a time (the tail path) agrees.
        int single = cq.assign(Arrays.copyOfRange(points, i * D, (i + 1) * D));
        if (single != c) {
          TestIndexes.assertClose(distance(metric, points, i * D, centroids, c),
              distance(metric, points, i * D, centroids, single), "row " + i + " single");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void exactTiesGoToTheLowerList(Metric metric) {
    Random rnd = new Random(2);
    float[][] rows = TestIndexes.gaussian(rnd, NLIST, D);
    for (int t = 0; t < D; t++) {
      rows[4][t] *= 10; // far from the rest and long: nearest by L2 and by inner product
    }
    rows[9] = rows[4].clone(); // lists 4, 9 and 11 are the same centroid
    rows[11] = rows[4].clone();
    float[] centroids = TestIndexes.flatten(rows);
    CoarseQuantizer cq = new CoarseQuantizer(centroids, NLIST, D, metric);
    // 7 points on the duplicated centroid: one block of four, then three through the tail.
    float[][] points = new float[7][];
    Arrays.fill(points, rows[9]);
    int[] lists = new int[points.length];
    cq.assign(TestIndexes.flatten(points), points.length, lists, null);
    int[] fours = new int[points.length];
    Arrays.fill(fours, 4);
    assertArrayEquals(fours, lists);
    assertEquals(4, cq.assign(rows[11]));
  }

  /** Expected probe order: by the kernel's own float distance, then by list id. */
  private static Integer[] expectedOrder(Metric metric, float[] q, float[] centroids, int nlist) {
    VectorKernels k = VectorizationProvider.kernels();
    float[] dist = new float[nlist];
    for (int c = 0; c < nlist; c++) {
      dist[c] = metric == Metric.L2
          ? k.squareDistance(q, 0, centroids, c * D, D)
          : -k.dot(q, 0, centroids, c * D, D);
    }
    return IntStream.range(0, nlist).boxed()
        .sorted(Comparator.<Integer>comparingDouble(c -> dist[c]).thenComparingInt(c -> c))
        .toArray(Integer[]::new);
  }

  private static void assertProbes(Metric metric, float[] centroids, int nlist, float[] q) {
    CoarseQuantizer cq = new CoarseQuantizer(centroids, nlist, D, metric);
    Integer[] order = expectedOrder(metric, q, centroids, nlist);
    for (int nprobe = 1; nprobe <= nlist + 3; nprobe++) {
      long[] lists = new long[nprobe];
      float[] dist = new float[nprobe];
      int p = cq.probe(q, nprobe, new TopK(), lists, dist, new float[cq.scratchLength()]);
      assertEquals(Math.min(nprobe, nlist), p);
      for (int i = 0; i < p; i++) {
        assertEquals((long) order[i], lists[i], "nprobe=" + nprobe + " rank " + i);
        TestIndexes.assertClose(distance(metric, q, 0, centroids, (int) lists[i]), dist[i],
            "distance to list " + lists[i]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void probeReturnsTheNearestListsNearestFirst(Metric metric) {
    Random rnd = new Random(3);
    float[] centroids = TestIndexes.flatten(TestIndexes.gaussian(rnd, 40, D));
    for (int i = 0; i < 20; i++) {
      assertProbes(metric, centroids, 40, TestIndexes.gaussian(rnd, D));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void probeBreaksTiesTowardTheLowerList(Metric metric) {
    Random rnd = new Random(4);
    // 20 lists over 4 distinct centroids: every distance is shared by five lists.
    float[][] distinct = TestIndexes.gaussian(rnd, 4, D);
    int[] pattern = new int[20];
    for (int c = 0; c < 20; c++) {
      pattern[c] = rnd.nextInt(4);
    }
    float[][] rows = new float[20][];
    for (int c = 0; c < 20; c++) {
      rows[c] = distinct[pattern[c]];
    }
    float[] centroids = TestIndexes.flatten(rows);
    for (int i = 0; i < 10; i++) {
      float[] q = TestIndexes.gaussian(rnd, D);
      assertProbes(metric, centroids, 20, q);
      // Within each group of equal distance, the lists come in ascending order.
      CoarseQuantizer cq = new CoarseQuantizer(centroids, 20, D, metric);
      long[] lists = new long[20];
      float[] dist = new float[20];
      cq.probe(q, 20, new TopK(), lists, dist, new float[cq.scratchLength()]);
      for (int r = 1; r < 20; r++) {
        assertTrue(dist[r - 1] < dist[r] || (dist[r - 1] == dist[r] && lists[r - 1] < lists[r]),
            "rank " + r + ": " + Arrays.toString(lists));
      }
    }
  }

  /**
   * Found by LoaderFuzzTest: a model whose centroid had become NaN (a damaged model.kiln opened
   * without verifying checksums) made probe rescore the slots the ranking had not filled, which
   * still held the previous query's lists: a list probed twice, and every item in it returned
   * twice. The NaN list is now left out.
   */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void fuzzFoundNaNCentroidProbesStaleListsTwice(Metric metric) {
    Random rnd = new Random(11);
    float[] centroids = TestIndexes.flatten(TestIndexes.gaussian(rnd, NLIST, D));
    centroids[5 * D + 3] = Float.NaN;
    CoarseQuantizer cq = new CoarseQuantizer(centroids, NLIST, D, metric);
    long[] lists = new long[NLIST];
    float[] dist = new float[NLIST];
    TopK heap = new TopK();
    float[] scratch = new float[cq.scratchLength()];
    for (int query = 0; query < 3; query++) { // later queries find earlier ones' lists in place
      float[] q = TestIndexes.gaussian(rnd, D);
      int p = cq.probe(q, NLIST, heap, lists, dist, scratch);
      assertEquals(NLIST - 1, p);
      long[] probed = Arrays.copyOf(lists, p);
      assertEquals(p, Arrays.stream(probed).distinct().count(), Arrays.toString(probed));
      assertTrue(Arrays.stream(probed).noneMatch(l -> l == 5), Arrays.toString(probed));
    }
  }
}
