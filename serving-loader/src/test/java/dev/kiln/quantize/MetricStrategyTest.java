package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MetricStrategyTest {
  private static final VectorKernels K = VectorizationProvider.kernels();
  private static final int D = 13;

  @ParameterizedTest
  @EnumSource(Metric.class)
  void mapsEachMetricToItsStrategy(Metric metric) {
    MetricStrategy m = MetricStrategy.of(metric);
    assertSame(metric, m.metric());
    assertSame(m, MetricStrategy.of(metric));
    assertEquals(metric == Metric.L2, m.tablesPerList());
  }

  /** The distances are exactly the kernels' values the scan used before the strategy. */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void distancesAreTheKernelsSquaredL2OrMinusDot(Metric metric) {
    MetricStrategy m = MetricStrategy.of(metric);
    Random rnd = new Random(7);
    float[] q = TestIndexes.flatten(TestIndexes.gaussian(rnd, 1, D));
    int n = 5;
    float[] x = TestIndexes.flatten(TestIndexes.gaussian(rnd, n, D));
    ByteBuffer buf = ByteBuffer.allocate(8 + 4 * n * D).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(8);
    buf.asFloatBuffer().put(x);
    buf.position(0);
    float[] bulk = new float[n];
    m.distances(q, buf, 8, n, D, bulk);
    for (int i = 0; i < n; i++) {
      float want = metric == Metric.L2
          ? K.squareDistance(q, 0, x, i * D, D)
          : -K.dot(q, 0, x, i * D, D);
      assertEquals(want, m.distance(q, 0, x, i * D, D));
      assertEquals(want, m.distance(q, buf, 8 + 4 * i * D, D));
      assertEquals(want, bulk[i]);
    }
  }

  @ParameterizedTest
  @EnumSource(Metric.class)
  void scoresMapDistancesBackAndForth(Metric metric) {
    MetricStrategy m = MetricStrategy.of(metric);
    for (float d : new float[] {0f, 1.5f, -2.25f, 1e30f}) {
      float score = m.score(d);
      assertEquals(metric.higherIsBetter() ? -d : d, score);
      assertEquals(d, m.distanceOf(score));
    }
  }

  @Test
  void onlyCosineChangesTheQuery() {
    float[] q = {3, 4, 0};
    MetricStrategy.L2.prepareQuery(q, 0, 3);
    MetricStrategy.IP.prepareQuery(q, 0, 3);
    assertArrayEquals(new float[] {3, 4, 0}, q);
    float[] padded = {9, 3, 4, 0, 9};
    MetricStrategy.COSINE.prepareQuery(padded, 1, 3);
    assertArrayEquals(new float[] {9, 0.6f, 0.8f, 0, 9}, padded, 1e-7f);
  }

  @Test
  void onlyInnerProductNegatesTheQueryTable() {
    float[] t = {1, -2, 3, 4};
    MetricStrategy.L2.signQueryTable(t, 3);
    assertArrayEquals(new float[] {1, -2, 3, 4}, t);
    MetricStrategy.COSINE.signQueryTable(t, 3);
    assertArrayEquals(new float[] {-1, 2, -3, 4}, t);
    assertFalse(MetricStrategy.IP.tablesPerList());
    assertTrue(MetricStrategy.L2.tablesPerList());
  }
}
