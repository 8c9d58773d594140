package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingMetricsTest {
  private static final int D = 8;

  @TempDir Path root;

  @Test
  void countsMatchWhatWasRun() throws IOException {
    TestIndexes.index(TestIndexes.gaussian(new Random(1), 600, D), Metric.L2, IndexSpec.flat(4))
        .version("a").publish(root);
    try (ServingIndex serving = ServingIndex.open(root,
        ServingOptions.defaults().withPollInterval(Duration.ZERO))) {
      ServingMetrics start = serving.metrics();
      assertEquals("a", start.version());
      assertEquals(0, start.queries());
      assertEquals(0, start.latency().total());
      assertEquals(0, start.latency().quantileUpperBoundNanos(0.5));
      assertNull(start.lastSwapFailure());

      Random rnd = new Random(2);
      int answered = 137;
      for (int i = 0; i < answered; i++) {
        serving.search(TestIndexes.gaussian(rnd, D), 5, SearchParams.nprobe(2));
      }
      for (int i = 0; i < 3; i++) {
        assertThrows(IllegalArgumentException.class,
            () -> serving.search(new float[D + 1], 5, SearchParams.nprobe(2)));
      }
      for (long id = 1000; id < 1012; id++) {
        serving.upsert(id, TestIndexes.gaussian(rnd, D));
      }
      serving.upsert(1000L, TestIndexes.gaussian(rnd, D)); // a replacement, not a new item
      serving.delete(1001L);
      serving.delete(5L);
      serving.delete(6L);
      TestIndexes.index(TestIndexes.gaussian(new Random(3), 600, D), Metric.L2,
          IndexSpec.flat(4)).version("b").publish(root);
      serving.refresh();

      ServingMetrics m = serving.metrics();
      assertEquals("b", m.version());
      assertEquals(answered, m.queries());
      assertEquals(3, m.failedQueries());
      assertEquals(answered, m.latency().total());
      long p50 = m.latency().quantileUpperBoundNanos(0.5);
      long p99 = m.latency().quantileUpperBoundNanos(0.99);
      assertTrue(p50 > 0 && p50 <= p99, p50 + " " + p99);
      assertEquals(1, m.swaps());
      assertEquals(0, m.failedSwaps());
      // TestIndexes versions were built "in 2025": the changes made now are not covered.
      assertEquals(11, m.freshItems());
      assertEquals(3, m.deletedIds());
      assertEquals(0, m.drainingVersions());
    }
  }

  @Test
  void quantilesKeepThreeSignificantDigits() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < 90; i++) {
      h.record(1_500);
    }
    for (int i = 0; i < 9; i++) {
      h.record(1_000_000);
    }
    h.record(12_345_678); // one slow query: the p999 and the max
    LatencyHistogram.Snapshot s = h.snapshot();
    assertEquals(100, s.total());
    assertWithin(1_500, s.quantileUpperBoundNanos(0.5));
    assertWithin(1_500, s.quantileUpperBoundNanos(0.9));
    assertWithin(1_000_000, s.quantileUpperBoundNanos(0.91));
    assertWithin(1_000_000, s.quantileUpperBoundNanos(0.99));
    assertWithin(12_345_678, s.quantileUpperBoundNanos(0.999));
    assertWithin(12_345_678, s.maxNanos());
    // Printed as counts and quantiles, not as an array's identity.
    assertEquals("100 searches, p50 1.5 us, p99 1,000.4 us, p999 12,353.5 us", s.toString());
    assertEquals(0, new LatencyHistogram().snapshot().quantileUpperBoundNanos(0.99));
  }

  /** An upper bound within 0.1% of the value (three significant digits). */
  private static void assertWithin(long value, long bound) {
    assertTrue(bound >= value && bound <= value * 1.001, value + " read as " + bound);
  }
}
