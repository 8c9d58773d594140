package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch search ({@link KilnIndex#search(float[][], int, SearchParams)} and {@code searchBatch})
 * runs the coarse step on blocks of queries with another kernel than single search, and scans a
 * block's lists list by list rather than query by query; the answers must be identical, query by
 * query, ids and scores, whatever the block boundaries, with and without a filter.
 */
class BatchSearchTest {
  private static final int K = 10;

  @TempDir Path root;

  static Stream<Arguments> indexes() {
    List<Arguments> out = new ArrayList<>();
    for (Metric m : Metric.values()) {
      out.add(Arguments.of(m, IndexSpec.flat(16), 1, false, 12));
      out.add(Arguments.of(m, IndexSpec.pq(16, 4), 2, false, 12));
      out.add(Arguments.of(m, IndexSpec.pq(16, 4).withRefine(IndexSpec.Refine.SQ8), 2, true, 12));
      // 83 dimensions: Flat lists scanned four queries at once by the Vector API kernel (at
      // least 64 floats), with a 16-float step and a scalar tail after the 64-float ones.
      out.add(Arguments.of(m, IndexSpec.flat(16), 2, false, 83));
    }
    // nlist 3000: a block holds fewer queries (1 MiB of dots), and tiles run past nlist.
    out.add(Arguments.of(Metric.L2, IndexSpec.flat(3000), 1, false, 12));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}, {2} shard(s), string keys {3}, d {4}")
  @MethodSource("indexes")
  void batchAnswersEqualSingleAnswers(Metric metric, IndexSpec spec, int shards, boolean keys,
      int dim) throws IOException {
    float[][] data = TestIndexes.gaussian(new Random(1), 4000, dim);
    TestIndexes.Build b = TestIndexes.index(data, metric, spec).shards(shards);
    Published p = (keys ? b.keys(TestIndexes.randomKeys(new Random(2), data.length)) : b)
        .publish(root);
    // 150 queries: two full blocks of 64 and a last one of 22, not a multiple of four.
    float[][] queries = TestIndexes.gaussian(new Random(3), 150, dim);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (KilnIndex index = p.open()) {
      IdFilter filter = keys
          ? IdFilter.keys(key -> key.hashCode() % 3 != 0)
          : IdFilter.ids(id -> id % 3 != 0);
      for (SearchParams params : new SearchParams[] {SearchParams.nprobe(1),
          SearchParams.nprobe(5).withRefineFactor(2), SearchParams.nprobe(spec.nlist()),
          SearchParams.nprobe(7).withFilter(filter)}) {
        Neighbors[] batch = index.search(queries, K, params);
        Neighbors[] pooled = index.searchBatch(queries, K, params, pool);
        for (int i = 0; i < queries.length; i++) {
          Neighbors single = index.search(queries[i], K, params);
          assertSame(single, batch[i], "query " + i + " " + params);
          assertSame(single, pooled[i], "query " + i + " " + params + " on a pool");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertSame(Neighbors expected, Neighbors actual, String what) {
    assertEquals(expected.hasStringIds(), actual.hasStringIds(), what);
    if (expected.hasStringIds()) {
      assertArrayEquals(expected.keys(), actual.keys(), what);
    } else {
      assertArrayEquals(expected.ids(), actual.ids(), what);
    }
    assertArrayEquals(expected.scores(), actual.scores(), what);
  }

  @Test
  void aQueryOfTheWrongDimensionFailsTheBatch() throws IOException {
    float[][] data = TestIndexes.gaussian(new Random(1), 500, 8);
    Published p = TestIndexes.index(data, Metric.L2, IndexSpec.flat(4)).publish(root);
    float[][] queries = {new float[8], new float[7]};
    try (KilnIndex index = p.open()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> index.search(queries, K, SearchParams.nprobe(2)));
      assertEquals("query 1 has 7 dimensions, the index has 8", e.getMessage());
    }
  }
}
