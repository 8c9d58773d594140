package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KilnIndexConcurrencyTest {
  private static final int THREADS = 4;
  private static final int ROUNDS = 5;
  private static final int D = 16;

  @TempDir Path root;

  /** One search call; k and nprobe vary so each thread's scratch space grows and is reused. */
  private record Call(float[] query, int k, int nprobe) {}

  static Stream<Arguments> indexes() {
    return Stream.of(
        Arguments.of(Metric.L2, IndexSpec.pq(8, 4), true),
        Arguments.of(Metric.COSINE, IndexSpec.pq(8, 8), false),
        Arguments.of(Metric.IP, IndexSpec.flat(8), false));
  }

  @ParameterizedTest(name = "{0} {1}, string ids: {2}")
  @MethodSource("indexes")
  void concurrentSearchesMatchSingleThreaded(Metric metric, IndexSpec spec, boolean stringIds)
      throws IOException, InterruptedException, ExecutionException {
    int n = 1500;
    TestIndexes.Build build = TestIndexes.index(
        TestIndexes.gaussian(new Random(1), n, D), metric, spec).shards(3);
    if (stringIds) {
      build.keys(TestIndexes.randomKeys(new Random(2), n));
    } else {
      build.ids(TestIndexes.randomIds(new Random(2), n));
    }
    build.publish(root);

    Random rnd = new Random(3);
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      calls.add(new Call(TestIndexes.gaussian(rnd, D), 1 + rnd.nextInt(40), 1 + rnd.nextInt(10)));
    }

    try (KilnIndex index = KilnIndex.open(root)) {
      List<Neighbors> expected = new ArrayList<>();
      for (Call c : calls) {
        expected.add(index.search(c.query(), c.k(), SearchParams.nprobe(c.nprobe())));
      }

      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Callable<List<Neighbors>>> tasks = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          // Each thread runs the calls in its own order, several times over.
          List<Integer> order = new ArrayList<>();
          for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < calls.size(); i++) {
              order.add(i);
            }
          }
          Collections.shuffle(order, new Random(100 + t));
          tasks.add(() -> {
            List<Neighbors> got = new ArrayList<>(Collections.nCopies(calls.size(), null));
            for (int i : order) {
              Call c = calls.get(i);
              Neighbors result = index.search(c.query(), c.k(), SearchParams.nprobe(c.nprobe()));
              if (got.get(i) != null && !got.get(i).equals(result)) {
                throw new AssertionError("call " + i + " answered differently on a thread");
              }
              got.set(i, result);
            }
            return got;
          });
        }
        for (Future<List<Neighbors>> f : pool.invokeAll(tasks)) {
          List<Neighbors> got = f.get();
          for (int i = 0; i < calls.size(); i++) {
            assertEquals(expected.get(i), got.get(i), "call " + i);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}, string ids: {2}")
  @MethodSource("indexes")
  void batchSearchEqualsOneByOneInQueryOrder(Metric metric, IndexSpec spec, boolean stringIds)
      throws IOException {
    int n = 1200;
    TestIndexes.Build build = TestIndexes.index(
        TestIndexes.gaussian(new Random(4), n, D), metric, spec).shards(2);
    if (stringIds) {
      build.keys(TestIndexes.randomKeys(new Random(5), n));
    } else {
      build.ids(TestIndexes.randomIds(new Random(5), n));
    }
    build.publish(root);
    float[][] queries = new float[257][];
    Random rnd = new Random(6);
    for (int i = 0; i < queries.length; i++) {
      queries[i] = TestIndexes.gaussian(rnd, D);
    }
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (KilnIndex index = KilnIndex.open(root)) {
      Neighbors[] batch = index.searchBatch(queries, 7, SearchParams.nprobe(3), pool);
      assertEquals(queries.length, batch.length);
      for (int i = 0; i < queries.length; i++) {
        assertEquals(index.search(queries[i], 7, SearchParams.nprobe(3)), batch[i], "query " + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
