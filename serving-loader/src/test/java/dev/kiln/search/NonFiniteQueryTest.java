package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14, item 4: a query whose distances are not numbers is refused, not answered. Before,
 * a NaN query returned nothing, +Inf returned k arbitrary ids scored Infinity, and a query of
 * 3e38 values returned 1 result for k = 10.
 */
class NonFiniteQueryTest {
  private static final int D = 16;
  private static final int K = 10;

  @TempDir Path root;

  static Stream<Arguments> indexes() {
    return Stream.of(Arguments.of(Metric.L2, IndexSpec.flat(8)),
        Arguments.of(Metric.L2, IndexSpec.pq(8, 4)),
        Arguments.of(Metric.IP, IndexSpec.pq(8, 4)),
        Arguments.of(Metric.COSINE, IndexSpec.flat(8)));
  }

  private Published publish(Metric metric, IndexSpec spec) throws IOException {
    return TestIndexes.index(TestIndexes.gaussian(new Random(1), 500, D), metric, spec)
        .publish(root);
  }

  private static float[] with(float[] q, int at, float v) {
    float[] out = q.clone();
    out[at] = v;
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("indexes")
  void nonFiniteOrOverflowingQueriesAreRefused(Metric metric, IndexSpec spec) throws IOException {
    Published p = publish(metric, spec);
    float[] good = TestIndexes.gaussian(new Random(2), D);
    float[] huge = new float[D];
    Arrays.fill(huge, 3e38f);
    try (KilnIndex index = p.open()) {
      Neighbors before = index.search(good, K, SearchParams.nprobe(8));
      assertEquals(K, before.size());
      assertRefused(index, with(good, 3, Float.NaN), "query holds NaN at component 3");
      assertRefused(index, with(good, 0, Float.POSITIVE_INFINITY),
          "query holds Infinity at component 0");
      assertRefused(index, with(good, 15, Float.NEGATIVE_INFINITY),
          "query holds -Infinity at component 15");
      assertRefused(index, huge, "query has a squared norm of 1.440e+78, above the limit"
          + " 8.507e+37 (Float.MAX_VALUE / 4): its distances would overflow float");
      // Finite components whose squares overflow in float: 2e19^2 = 4e38.
      assertRefused(index, with(good, 7, 2e19f), "query has a squared norm of 4.000e+38");

      // Batch search names the query; nothing is searched.
      float[][] batch = {good, good, with(good, 5, Float.NaN), huge};
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> index.search(batch, K, SearchParams.nprobe(8)));
      assertEquals("query 2 holds NaN at component 5 (components must be finite)",
          e.getMessage());
      ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>());
      try {
        e = assertThrows(IllegalArgumentException.class,
            () -> index.searchBatch(batch, K, SearchParams.nprobe(8), pool));
        assertEquals("query 2 holds NaN at component 5 (components must be finite)",
            e.getMessage());
        assertEquals(0, pool.getTaskCount(), "tasks submitted for a refused batch");
        e = assertThrows(IllegalArgumentException.class, () -> index.searchBatch(
            new float[][] {good, null}, K, SearchParams.nprobe(8), pool));
        assertEquals("query 1 is null", e.getMessage());
      } finally {
        pool.shutdownNow();
      }

      // Nothing changed: the same query answers the same.
      Neighbors after = index.search(good, K, SearchParams.nprobe(8));
      assertEquals(before, after);
    }
  }

  /**
   * The bound is the one documented: a query just inside it is answered with k finite scores
   * (the data are Gaussian, well inside it too), one just outside is refused.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("indexes")
  void queriesUpToTheBoundAreAnsweredWithFiniteScores(Metric metric, IndexSpec spec)
      throws IOException {
    Published p = publish(metric, spec);
    float edge = (float) Math.sqrt(QueryCheck.MAX_SQUARED_NORM) * 0.999f;
    float[] q = new float[D];
    q[2] = edge;
    try (KilnIndex index = p.open()) {
      Neighbors n = index.search(q, K, SearchParams.nprobe(8));
      assertEquals(K, n.size());
      for (float s : n.scores()) {
        assertTrue(Float.isFinite(s), () -> "score " + s + " in " + n);
      }
      assertEquals(K, index.search(new float[][] {q}, K, SearchParams.nprobe(8))[0].size());
      q[2] = (float) Math.sqrt(QueryCheck.MAX_SQUARED_NORM) * 1.001f;
      assertRefused(index, q, "query has a squared norm of ");
    }
  }

  /**
   * The other end: a cosine query of subnormal values. Its norm's inverse overflowed float in
   * normalization, the query became infinite and NaN, and the search returned nothing.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("indexes")
  void tinyQueriesAreAnsweredLikeTheirScaledUpSelves(Metric metric, IndexSpec spec)
      throws IOException {
    if (metric != Metric.COSINE) {
      return;
    }
    Published p = publish(metric, spec);
    float[] tiny = new float[D];
    tiny[4] = Float.MIN_VALUE;
    tiny[9] = -2 * Float.MIN_VALUE;
    float[] scaled = new float[D];
    scaled[4] = 1;
    scaled[9] = -2;
    try (KilnIndex index = p.open()) {
      Neighbors n = index.search(tiny, K, SearchParams.nprobe(8));
      assertEquals(K, n.size());
      assertEquals(index.search(scaled, K, SearchParams.nprobe(8)), n);
    }
  }

  private static void assertRefused(KilnIndex index, float[] q, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> index.search(q, K, SearchParams.nprobe(8)));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }
}
