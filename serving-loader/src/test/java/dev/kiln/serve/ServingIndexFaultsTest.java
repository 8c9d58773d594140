package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14: what a hostile or careless caller, or a damaged root, does to a serving handle. */
class ServingIndexFaultsTest {
  private static final int D = 16;
  private static final int N = 500;
  private static final int K = 10;

  @TempDir Path root;

  private static ServingOptions manual() {
    return ServingOptions.defaults().withPollInterval(Duration.ZERO);
  }

  private TestIndexes.Published publish(int v) throws IOException {
    return TestIndexes.index(TestIndexes.gaussian(new Random(v), N, D), Metric.L2,
        IndexSpec.flat(8)).version("v" + v).publish(root);
  }

  /** Item 4: refused with the reason, counted as a failed query; nothing else changes. */
  @Test
  void nonFiniteQueriesAndOverflowingUpsertsAreRefused() throws IOException {
    publish(1);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      float[] q = TestIndexes.gaussian(new Random(5), D);
      Neighbors before = serving.search(q, K, SearchParams.nprobe(8));
      float[] nan = q.clone();
      nan[3] = Float.NaN;
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> serving.search(nan, K, SearchParams.nprobe(8)));
      assertEquals("query holds NaN at component 3 (components must be finite)", e.getMessage());
      float[] huge = new float[D];
      Arrays.fill(huge, 3e38f);
      e = assertThrows(IllegalArgumentException.class,
          () -> serving.search(huge, K, SearchParams.nprobe(8)));
      assertTrue(e.getMessage().startsWith("query has a squared norm of 1.440e+78"),
          e.getMessage());
      // Finite, as upsert already required, but its distances overflowed: 3e38 was accepted.
      e = assertThrows(IllegalArgumentException.class, () -> serving.upsert(7L, huge));
      assertTrue(e.getMessage().startsWith("vector has a squared norm of 1.440e+78"),
          e.getMessage());
      ServingMetrics m = serving.metrics();
      assertEquals(2, m.failedQueries());
      assertEquals(1, m.queries());
      assertEquals(0, m.freshItems());
      assertEquals(before, serving.search(q, K, SearchParams.nprobe(8)));
    }
  }
}
