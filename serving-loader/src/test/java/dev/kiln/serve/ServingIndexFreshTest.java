package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.IdFilter;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Upserts and deletes while serving, merged with the static version into one top-k. */
class ServingIndexFreshTest {
  private static final int D = 32;
  private static final int K = 10;

  @TempDir Path root;

  /** Points around {@code centers} random centres: data an IVF index can do well on. */
  private static float[][] clustered(Random rnd, float[][] centers, int n) {
    float[][] out = new float[n][D];
    for (int i = 0; i < n; i++) {
      float[] c = centers[rnd.nextInt(centers.length)];
      for (int j = 0; j < D; j++) {
        out[i][j] = c[j] + 0.35f * (float) rnd.nextGaussian();
      }
    }
    return out;
  }

  private static long[] range(long from, int n) {
    return IntStream.range(0, n).mapToLong(i -> from + i).toArray();
  }

  /** The exact top-k ids by L2 over {@code vectors}, skipping {@code excluded}. */
  private static Set<Long> exactTopK(float[] q, float[][] vectors, long[] ids, int k) {
    Integer[] order = IntStream.range(0, vectors.length).boxed().toArray(Integer[]::new);
    double[] dist = new double[vectors.length];
    for (int i = 0; i < vectors.length; i++) {
      dist[i] = TestIndexes.squareDistance(q, 0, vectors[i], 0, D);
    }
    Arrays.sort(order, (a, b) -> Double.compare(dist[a], dist[b]));
    Set<Long> out = new HashSet<>();
    for (int i = 0; i < k; i++) {
      out.add(ids[order[i]]);
    }
    return out;
  }

  private static double recall(Neighbors n, Set<Long> truth) {
    int hit = 0;
    for (long id : n.ids()) {
      hit += truth.contains(id) ? 1 : 0;
    }
    return (double) hit / truth.size();
  }

  private static ServingOptions manual() {
    return ServingOptions.defaults().withPollInterval(Duration.ZERO);
  }

  /** Options whose queries reach the fresh items by scanning them or by walking their graph. */
  private static ServingOptions manual(String path) {
    return manual().withFreshGraphFrom(path.equals("graph") ? 1 : Integer.MAX_VALUE);
  }

  @Test
  void aBatchAnswersAsSingleSearchesDoWithFreshItemsAndDeletes() throws IOException {
    Random rnd = new Random(11);
    float[][] centers = TestIndexes.gaussian(rnd, 50, D);
    float[][] vectors = clustered(rnd, centers, 3000);
    TestIndexes.index(vectors, Metric.L2, IndexSpec.pq(32, 8)).ids(range(0, 3000))
        .version("v1").publish(root);
    float[][] batch = clustered(new Random(12), centers, 120);
    SearchParams params = SearchParams.nprobe(4);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      for (int round = 0; round < 2; round++) {
        if (round == 1) {
          // Fresh items near the queries, and deletes: the merge runs for every query.
          float[][] fresh = clustered(new Random(13), centers, 200);
          for (int i = 0; i < fresh.length; i++) {
            serving.upsert(50_000 + i, fresh[i]);
          }
          for (long id = 0; id < 3000; id += 7) {
            serving.delete(id);
          }
        }
        long before = serving.metrics().queries();
        Neighbors[] all = serving.search(batch, K, params);
        assertEquals(before + batch.length, serving.metrics().queries());
        assertEquals(batch.length, all.length);
        for (int i = 0; i < batch.length; i++) {
          Neighbors one = serving.search(batch[i], K, params);
          assertEquals(Arrays.toString(one.ids()), Arrays.toString(all[i].ids()),
              "round " + round + ", query " + i);
          assertEquals(Arrays.toString(one.scores()), Arrays.toString(all[i].scores()));
          if (round == 1) {
            for (long id : all[i].ids()) {
              assertTrue(id >= 3000 || id % 7 != 0, "deleted id " + id + " returned");
            }
          }
        }
      }
      // A query the single search refuses fails the whole batch, naming it.
      float[][] bad = {batch[0], new float[D + 1]};
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> serving.search(bad, K, params));
      assertTrue(e.getMessage().contains("query 1"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "fresh items by {0}")
  @ValueSource(strings = {"scan", "graph"})
  void tenThousandUpsertsRecallAsWellAsARebuildAndDeletesNeverReturn(String path)
      throws IOException {
    int base = 20_000;
    int added = 10_000;
    Random rnd = new Random(1);
    float[][] centers = TestIndexes.gaussian(rnd, 200, D);
    float[][] baseVectors = clustered(rnd, centers, base);
    float[][] freshVectors = clustered(rnd, centers, added);
    long[] baseIds = range(0, base);
    long[] freshIds = range(1_000_000, added);
    IndexSpec spec = IndexSpec.pq(64, 16);
    TestIndexes.Published current = TestIndexes.index(baseVectors, Metric.L2, spec)
        .ids(baseIds).shards(2).version("base").publish(root);

    // The rebuild: the same model over base and fresh items together, in another root.
    float[][] all = new float[base + added][];
    long[] allIds = new long[base + added];
    System.arraycopy(baseVectors, 0, all, 0, base);
    System.arraycopy(freshVectors, 0, all, base, added);
    System.arraycopy(baseIds, 0, allIds, 0, base);
    System.arraycopy(freshIds, 0, allIds, base, added);
    TestIndexes.Published rebuilt = TestIndexes.index(all, Metric.L2, spec).ids(allIds)
        .centroids(current.model().coarse().centroids())
        .codebooks(current.model().pq().codebooks())
        .shards(2).version("rebuilt").publish(root.resolve("rebuilt"));

    float[][] queries = clustered(new Random(2), centers, 300);
    SearchParams params = SearchParams.nprobe(8);
    try (ServingIndex serving = ServingIndex.open(root, manual(path));
        dev.kiln.search.KilnIndex rebuild = rebuilt.open()) {
      for (int i = 0; i < added; i++) {
        serving.upsert(freshIds[i], freshVectors[i]);
      }
      assertEquals(added, serving.metrics().freshItems());
      double merged = 0;
      double rebuiltRecall = 0;
      for (float[] q : queries) {
        Set<Long> truth = exactTopK(q, all, allIds, K);
        Neighbors n = serving.search(q, K, params);
        assertEquals(K, n.size());
        assertEquals(K, Arrays.stream(n.ids()).distinct().count(), () -> "duplicates: " + n);
        merged += recall(n, truth);
        rebuiltRecall += recall(rebuild.search(q, K, params), truth);
      }
      merged /= queries.length;
      rebuiltRecall /= queries.length;
      System.out.printf("recall@10 at nprobe 8, fresh items by %s: merged %.4f, rebuild %.4f%n",
          path, merged, rebuiltRecall);
      assertTrue(merged >= 0.95 * rebuiltRecall,
          "merged recall " + merged + " below 0.95 x the rebuild's " + rebuiltRecall);

      // Delete 300 static and 300 fresh items, then ask for exactly those vectors.
      Set<Long> deleted = new HashSet<>();
      Map<Long, float[]> vectorOf = new HashMap<>();
      for (int i = 0; i < 300; i++) {
        int b = rnd.nextInt(base);
        int f = rnd.nextInt(added);
        serving.delete(baseIds[b]);
        serving.delete(freshIds[f]);
        deleted.add(baseIds[b]);
        deleted.add(freshIds[f]);
        vectorOf.put(baseIds[b], baseVectors[b]);
        vectorOf.put(freshIds[f], freshVectors[f]);
      }
      assertEquals(deleted.size(), serving.metrics().deletedIds());
      int freshLeft = added - (int) deleted.stream().filter(id -> id >= 1_000_000).count();
      assertEquals(freshLeft, serving.metrics().freshItems());
      for (float[] q : vectorOf.values()) {
        assertNoneOf(deleted, serving.search(q, K, params));
        assertNoneOf(deleted, serving.search(q, 50, SearchParams.nprobe(64)));
      }
      for (float[] q : queries) {
        assertNoneOf(deleted, serving.search(q, K, params));
      }

      // Updates: 200 static items move; each is found at its new place, once, with its new
      // (exact) score, and not at its old place with its old score.
      for (int i = 0; i < 200; i++) {
        int b = rnd.nextInt(base);
        if (deleted.contains(baseIds[b])) {
          continue;
        }
        float[] moved = TestIndexes.gaussian(rnd, D);
        serving.upsert(baseIds[b], moved);
        Neighbors atNew = serving.search(moved, K, params);
        assertEquals(baseIds[b], atNew.ids()[0]);
        assertEquals(0f, atNew.scores()[0], 1e-5f);
        Neighbors atOld = serving.search(baseVectors[b], K, SearchParams.nprobe(64));
        for (int r = 0; r < atOld.size(); r++) {
          if (atOld.ids()[r] == baseIds[b]) {
            TestIndexes.assertClose(TestIndexes.squareDistance(baseVectors[b], 0, moved, 0, D),
                atOld.scores()[r], "the moved item's score");
          }
        }
        assertEquals(K, Arrays.stream(atOld.ids()).distinct().count());
      }
    }
  }

  private static void assertNoneOf(Set<Long> deleted, Neighbors n) {
    for (long id : n.ids()) {
      assertFalse(deleted.contains(id), () -> "deleted id " + id + " returned: " + n);
    }
  }

  static Stream<Arguments> metricsAndNprobes() {
    return Stream.of(Metric.values())
        .flatMap(m -> Stream.of(Arguments.of(m, 8), Arguments.of(m, 3)));
  }

  /**
   * The merged answer is the exact top-k over the static and fresh items of the probed lists (a
   * fresh item belongs to the version's list nearest to it), with scores that follow the
   * metric's convention, so the merge orders them right.
   */
  @ParameterizedTest(name = "{0}, nprobe {1}")
  @MethodSource("metricsAndNprobes")
  void mergedResultsAreTheExactTopKOverStaticAndFreshInTheProbedLists(Metric metric, int nprobe)
      throws IOException {
    Random rnd = new Random(3);
    float[][] baseVectors = TestIndexes.gaussian(rnd, 1500, 16);
    TestIndexes.Published p = TestIndexes.index(baseVectors, metric, IndexSpec.flat(8))
        .publish(root);
    float[][] freshVectors = TestIndexes.gaussian(rnd, 500, 16);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      for (int i = 0; i < freshVectors.length; i++) {
        // Half new items, half replacing static ones.
        serving.upsert(i % 2 == 0 ? 10_000 + i : i, freshVectors[i]);
      }
      for (float[] q : TestIndexes.gaussian(new Random(4), 30, 16)) {
        Neighbors n = serving.search(q, K, SearchParams.nprobe(nprobe));
        boolean[] probedItems = p.probed(q, nprobe);
        Set<Integer> probedLists = new HashSet<>();
        for (int i = 0; i < baseVectors.length; i++) {
          if (probedItems[i]) {
            probedLists.add(p.lists()[i]);
          }
        }
        Map<Long, Double> expected = new HashMap<>();
        for (int i = 0; i < baseVectors.length; i++) {
          if (probedItems[i]) {
            expected.put((long) i, TestIndexes.score(metric, q, p.vectors()[i]));
          }
        }
        for (int i = 0; i < freshVectors.length; i++) {
          long id = i % 2 == 0 ? 10_000L + i : i;
          float[] stored = metric == Metric.COSINE ? normalized(freshVectors[i]) : freshVectors[i];
          expected.remove(id); // replaced: the static vector no longer counts
          if (probedLists.contains(p.model().coarse().assign(stored))) {
            expected.put(id, TestIndexes.score(metric, q, stored));
          }
        }
        double[] truth = expected.values().stream().mapToDouble(Double::doubleValue)
            .map(s -> metric.higherIsBetter() ? -s : s).sorted().limit(K).toArray();
        assertEquals(K, n.size());
        for (int r = 0; r < K; r++) {
          double want = metric.higherIsBetter() ? -truth[r] : truth[r];
          Double exact = expected.get(n.ids()[r]);
          assertTrue(exact != null, "rank " + r + " is not in a probed list: " + n);
          TestIndexes.assertClose(exact, n.scores()[r], "score at " + r);
          TestIndexes.assertClose(want, n.scores()[r], "rank " + r + " of " + n);
        }
      }
    }
  }

  private static float[] normalized(float[] v) {
    float[] out = v.clone();
    dev.kiln.quantize.IndexModel.normalize(out, 0, out.length);
    return out;
  }

  /** A clock the test moves by hand. */
  private static final class TestClock implements InstantSource {
    Instant now;

    TestClock(String at) {
      now = Instant.parse(at);
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void swapDropsWhatTheNewVersionCoversAndKeepsLaterChanges() throws IOException {
    // TestIndexes' manifests say createdAt 2025-01-01T00:00:00Z and have no timings, so that is
    // each version's input cutoff under the default rule.
    Random rnd = new Random(5);
    float[][] v1Vectors = TestIndexes.gaussian(rnd, 1000, 16);
    TestIndexes.index(v1Vectors, Metric.L2, IndexSpec.flat(8)).version("v1").publish(root);
    TestClock clock = new TestClock("2024-12-31T00:00:00Z");
    Map<Long, float[]> early = new HashMap<>();
    Map<Long, float[]> late = new HashMap<>();
    try (ServingIndex serving = ServingIndex.open(root, manual().withClock(clock))) {
      for (long id = 5000; id < 5100; id++) {
        early.put(id, TestIndexes.gaussian(rnd, 16));
        serving.upsert(id, early.get(id));
      }
      for (long id = 1; id <= 50; id++) {
        serving.delete(id); // the next build's input will not have these
      }
      clock.now = Instant.parse("2025-01-02T00:00:00Z");
      for (long id = 6000; id < 6050; id++) {
        late.put(id, TestIndexes.gaussian(rnd, 16));
        serving.upsert(id, late.get(id));
      }
      for (long id = 100; id < 150; id++) {
        serving.delete(id); // deleted after the next build's input was taken: it still has them
      }
      assertEquals(150, serving.metrics().freshItems());
      assertEquals(100, serving.metrics().deletedIds());

      // v2: v1 less ids 1..50, plus the early upserts; still holding 100..149.
      int n = 1000 - 50 + early.size();
      float[][] v2Vectors = new float[n][];
      long[] v2Ids = new long[n];
      int at = 0;
      for (int i = 0; i < 1000; i++) {
        if (i < 1 || i > 50) {
          v2Vectors[at] = v1Vectors[i];
          v2Ids[at++] = i;
        }
      }
      for (Map.Entry<Long, float[]> e : early.entrySet()) {
        v2Vectors[at] = e.getValue();
        v2Ids[at++] = e.getKey();
      }
      TestIndexes.index(v2Vectors, Metric.L2, IndexSpec.flat(8)).ids(v2Ids).version("v2")
          .publish(root);
      assertTrue(serving.refresh());

      ServingMetrics m = serving.metrics();
      assertEquals(late.size(), m.freshItems(), "covered upserts are dropped, later ones kept");
      assertEquals(50, m.deletedIds(), "covered deletes are dropped, later ones kept");
      SearchParams all = SearchParams.nprobe(8);
      for (long id = 100; id < 150; id++) {
        // v2 holds it, but it was deleted after v2's input: never returned.
        Neighbors r = serving.search(v1Vectors[(int) id], K, all);
        for (long got : r.ids()) {
          assertTrue(got < 100 || got >= 150, "deleted id " + got + " returned");
        }
      }
      for (long id = 1; id <= 50; id++) {
        Neighbors r = serving.search(v1Vectors[(int) id], K, all);
        assertTrue(Arrays.stream(r.ids()).noneMatch(x -> x >= 1 && x <= 50), r::toString);
      }
      for (Map.Entry<Long, float[]> e : early.entrySet()) {
        assertEquals(e.getKey(), serving.search(e.getValue(), 1, all).ids()[0], "from v2");
      }
      for (Map.Entry<Long, float[]> e : late.entrySet()) {
        assertEquals(e.getKey(), serving.search(e.getValue(), 1, all).ids()[0], "fresh");
      }
    }
  }

  @ParameterizedTest(name = "fresh items by {0}")
  @ValueSource(strings = {"scan", "graph"})
  void stringKeysCanBeUpsertedDeletedAndFiltered(String path) throws IOException {
    Random rnd = new Random(6);
    String[] keys = TestIndexes.randomKeys(rnd, 800);
    float[][] vectors = TestIndexes.gaussian(rnd, 800, 16);
    TestIndexes.index(vectors, Metric.IP, IndexSpec.pq(8, 4)).keys(keys).shards(2)
        .publish(root);
    try (ServingIndex serving = ServingIndex.open(root, manual(path))) {
      float[] fresh = TestIndexes.gaussian(rnd, 16);
      for (int i = 0; i < 16; i++) {
        fresh[i] *= 10; // large: first by inner product
      }
      serving.upsert("fresh-日本語", fresh);
      serving.delete(keys[0]);
      serving.upsert(keys[1], fresh.clone());
      Neighbors n = serving.search(fresh, 800, SearchParams.nprobe(8));
      Set<String> got = new HashSet<>(Arrays.asList(n.keys()));
      assertEquals(n.size(), got.size(), "no key twice");
      assertTrue(got.contains("fresh-日本語"));
      assertTrue(got.contains(keys[1]));
      assertFalse(got.contains(keys[0]));
      assertEquals(800, n.size(), "799 static (one deleted, one moved) and 2 fresh, capped at k");
      // The filter applies to the fresh items as well.
      Neighbors filtered = serving.search(fresh, K,
          SearchParams.nprobe(8).withFilter(IdFilter.keys(k -> !k.startsWith("fresh-"))));
      assertTrue(Arrays.stream(filtered.keys()).noneMatch(k -> k.startsWith("fresh-")));
      assertEquals(keys[1], filtered.keys()[0]);
      assertThrows(IllegalArgumentException.class, () -> serving.upsert(5L, fresh));
      assertThrows(IllegalArgumentException.class, () -> serving.search(fresh, K,
          SearchParams.nprobe(8).withFilter(IdFilter.ids(id -> true))));
    }
  }

  @ParameterizedTest(name = "fresh items by {0}")
  @ValueSource(strings = {"scan", "graph"})
  void filterOnIdsAppliesToFreshItemsAndBadVectorsAreRefused(String path) throws IOException {
    TestIndexes.index(TestIndexes.gaussian(new Random(7), 500, 16), Metric.COSINE,
        IndexSpec.flat(4)).publish(root);
    try (ServingIndex serving = ServingIndex.open(root, manual(path).withMaxFreshItems(100))) {
      Random rnd = new Random(8);
      for (long id = 1000; id < 1100; id++) {
        serving.upsert(id, TestIndexes.gaussian(rnd, 16));
      }
      IllegalStateException full = assertThrows(IllegalStateException.class,
          () -> serving.upsert(2000L, TestIndexes.gaussian(rnd, 16)));
      assertTrue(full.getMessage().contains("maxFreshItems"), full.getMessage());
      serving.upsert(1000L, TestIndexes.gaussian(rnd, 16)); // replacing is allowed when full
      for (float[] q : TestIndexes.gaussian(rnd, 20, 16)) {
        Neighbors odd = serving.search(q, 40, SearchParams.nprobe(4)
            .withFilter(IdFilter.ids(id -> id % 2 == 1)));
        assertEquals(40, odd.size());
        assertTrue(Arrays.stream(odd.ids()).allMatch(id -> id % 2 == 1), odd::toString);
      }
      float[] zero = new float[16];
      assertThrows(IllegalArgumentException.class, () -> serving.upsert(1L, zero));
      float[] nan = new float[16];
      nan[3] = Float.NaN;
      assertThrows(IllegalArgumentException.class, () -> serving.upsert(1L, nan));
      assertThrows(IllegalArgumentException.class, () -> serving.upsert(1L, new float[15]));
      assertThrows(IllegalArgumentException.class, () -> serving.upsert("key", new float[16]));
    }
  }
}
