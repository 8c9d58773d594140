package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upserts, deletes and swaps while four threads query: no result names an id twice (an id is
 * seen from the version or from the fresh set, never both), and no id deleted before a query
 * began is returned.
 */
class ServingIndexChurnTest {
  private static final int D = 16;
  private static final int N = 2000;

  @TempDir Path root;

  @ParameterizedTest(name = "fresh items by {0}")
  @ValueSource(strings = {"scan", "graph"})
  void queriesStayConsistentWhileItemsChangeAndVersionsSwap(String path) throws Exception {
    TestIndexes.index(TestIndexes.gaussian(new Random(1), N, D), Metric.L2, IndexSpec.pq(16, 4))
        .version("v0").publish(root);
    Set<Long> deleted = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    int threads = 4;
    try (ServingIndex serving = ServingIndex.open(root,
        ServingOptions.defaults().withPollInterval(Duration.ZERO)
            .withFreshGraphFrom(path.equals("graph") ? 1 : Integer.MAX_VALUE))) {
      CountDownLatch started = new CountDownLatch(threads);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random rnd = new Random(10 + t);
        Thread w = new Thread(() -> {
          try {
            boolean first = true;
            while (!stop.get()) {
              Set<Long> goneBefore = Set.copyOf(deleted);
              Neighbors n = serving.search(TestIndexes.gaussian(rnd, D), 50,
                  SearchParams.nprobe(1 + rnd.nextInt(16)));
              Set<Long> seen = new HashSet<>();
              for (long id : n.ids()) {
                assertTrue(seen.add(id), () -> "id " + id + " twice: " + n);
                assertTrue(!goneBefore.contains(id), () -> "deleted id " + id + " returned");
              }
              if (first) {
                first = false;
                started.countDown();
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }, "query-" + t);
        w.start();
        workers.add(w);
      }
      try {
        assertTrue(started.await(60, TimeUnit.SECONDS));
        Random rnd = new Random(2);
        for (int round = 1; round <= 5; round++) {
          for (int i = 0; i < 2000; i++) {
            long id = rnd.nextInt(N);
            if (deleted.contains(id)) {
              continue; // a deleted id stays deleted in this test
            }
            if (rnd.nextInt(10) == 0) {
              serving.delete(id);
              deleted.add(id);
            } else {
              // Near a random query: moved items compete for the top 50.
              serving.upsert(id, TestIndexes.gaussian(rnd, D));
            }
            if (i % 500 == 0) {
              serving.upsert(100_000L + round * 10_000L + i, TestIndexes.gaussian(rnd, D));
            }
          }
          TestIndexes.index(TestIndexes.gaussian(new Random(100 + round), N, D), Metric.L2,
              IndexSpec.pq(16, 4)).version("v" + round).publish(root);
          assertTrue(serving.refresh());
          assertTrue(errors.isEmpty(), () -> "query failed: " + errors.peek());
        }
      } finally {
        stop.set(true);
        for (Thread w : workers) {
          w.join();
        }
      }
      if (!errors.isEmpty()) {
        throw new AssertionError("a query failed", errors.peek());
      }
      ServingMetrics m = serving.metrics();
      assertEquals(5, m.swaps());
      assertEquals(0, m.failedQueries());
      // The versions were "built in 2025": nothing is covered, every change is still held.
      assertEquals(deleted.size(), m.deletedIds());
    }
  }
}
