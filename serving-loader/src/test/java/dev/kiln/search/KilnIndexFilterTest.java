package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Filters apply during the scan: with 10% of the items allowed, a query still gets k results
 * whenever k allowed items lie in the probed lists, and they are the best k of those.
 */
class KilnIndexFilterTest {
  private static final int N = 4000;
  private static final int D = 16;
  private static final int NLIST = 16;
  private static final int K = 10;

  @TempDir Path root;

  private static float[][] queries() {
    return TestIndexes.gaussian(new Random(77), 40, D);
  }

  /** Checks every query against brute force over the probed lists' items the filter accepts. */
  private static void assertFiltered(Published p, KilnIndex index, boolean[] accepted,
      IdFilter filter, int nprobe) {
    int full = 0;
    for (float[] q : queries()) {
      double[] exact = new double[p.size()];
      boolean[] eligible = p.probed(q, nprobe);
      int available = 0;
      for (int i = 0; i < p.size(); i++) {
        exact[i] = TestIndexes.score(p.model().metric(), q, p.vectors()[i]);
        eligible[i] &= accepted[i];
        available += eligible[i] ? 1 : 0;
      }
      Neighbors n = index.search(q, K, SearchParams.nprobe(nprobe).withFilter(filter));
      p.assertTopK(exact, eligible, K, n);
      full += available >= K ? 1 : 0;
    }
    // The point of the test: most queries had k accepted items in their lists, and got them.
    assertTrue(full >= queries().length / 2, "too few queries with k allowed items: " + full);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Metric.class)
  void allowListOfTenPercentStillReturnsKFromTheProbedLists(Metric metric) throws IOException {
    long[] ids = TestIndexes.randomIds(new Random(2), N);
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(1), N, D), metric,
        IndexSpec.flat(NLIST)).ids(ids).shards(2).publish(root);
    Set<Long> allowed = new HashSet<>();
    boolean[] accepted = new boolean[N];
    Random rnd = new Random(3);
    for (int i = 0; i < N; i++) {
      if (rnd.nextInt(10) == 0) {
        allowed.add(ids[i]);
        accepted[i] = true;
      }
    }
    try (KilnIndex index = p.open()) {
      assertFiltered(p, index, accepted, IdFilter.ids(allowed::contains), 4);
      assertFiltered(p, index, accepted, IdFilter.ids(allowed::contains), NLIST);
      boolean[] denied = new boolean[N];
      for (int i = 0; i < N; i++) {
        denied[i] = !accepted[i];
      }
      // A deny-list: the same set, negated.
      assertFiltered(p, index, denied, IdFilter.ids(allowed::contains).negate(), 4);
    }
  }

  @Test
  void stringKeysAreFilteredOnTheKey() throws IOException {
    String[] keys = TestIndexes.randomKeys(new Random(5), N);
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(4), N, D), Metric.L2,
        IndexSpec.flat(NLIST)).keys(keys).shards(3).publish(root);
    boolean[] accepted = new boolean[N];
    Set<String> blocked = new HashSet<>();
    for (int i = 0; i < N; i++) {
      // Deny the keys holding a non-ASCII suffix: about five in six.
      accepted[i] = keys[i].chars().allMatch(c -> c < 128);
      if (!accepted[i]) {
        blocked.add(keys[i]);
      }
    }
    try (KilnIndex index = p.open()) {
      assertFiltered(p, index, accepted, IdFilter.keys(blocked::contains).negate(), 4);
      IdFilter wrongKind = IdFilter.ids(id -> true);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> index.search(queries()[0], K, SearchParams.nprobe(2).withFilter(wrongKind)));
      assertTrue(e.getMessage().contains("string ids"), e.getMessage());
    }
  }

  @Test
  void filterThatRejectsEverythingReturnsNothingAndUnfilteredSearchIsUnchanged()
      throws IOException {
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(6), N, D), Metric.IP,
        IndexSpec.pq(NLIST, 4)).publish(root);
    try (KilnIndex index = p.open()) {
      float[] q = queries()[0];
      Neighbors before = index.search(q, K, SearchParams.nprobe(4));
      assertEquals(0,
          index.search(q, K, SearchParams.nprobe(4).withFilter(IdFilter.ids(id -> false))).size());
      // Accept-all gives the unfiltered answer; a filtered query leaves no filter behind.
      assertEquals(before,
          index.search(q, K, SearchParams.nprobe(4).withFilter(IdFilter.ids(id -> true))));
      assertEquals(before, index.search(q, K, SearchParams.nprobe(4)));
    }
  }
}
