package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.ToDoubleBiFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KilnIndexSearchTest {
  private static final int N = 2000;
  private static final int D = 16;
  private static final int NLIST = 8;
  private static final int K = 10;
  private static final int QUERIES = 50;

  @TempDir Path root;

  private static float[][] data(long seed) {
    return TestIndexes.gaussian(new Random(seed), N, D);
  }

  private static float[][] queries() {
    return TestIndexes.gaussian(new Random(99), QUERIES, D);
  }

  /**
   * Searches once and checks the answer against a brute-force ranking, by {@code exact(query,
   * item)}, of the items in the lists the query probes.
   */
  private static void assertSearch(Published p, KilnIndex index, float[] q, int k, int nprobe,
      ToDoubleBiFunction<float[], Integer> exact) {
    double[] expected = new double[p.size()];
    for (int i = 0; i < p.size(); i++) {
      expected[i] = exact.applyAsDouble(q, i);
    }
    Neighbors actual = index.search(q, k, SearchParams.nprobe(nprobe));
    p.assertTopK(expected, p.probed(q, nprobe), k, actual);
  }

  private static void assertMatchesBruteForce(
      Published p, KilnIndex index, int nprobe, ToDoubleBiFunction<float[], Integer> exact) {
    for (float[] q : queries()) {
      assertSearch(p, index, q, K, nprobe, exact);
    }
  }

  private static ToDoubleBiFunction<float[], Integer> exactScore(Published p) {
    return (q, i) -> TestIndexes.score(p.model().metric(), q, p.vectors()[i]);
  }

  static Stream<Arguments> metricsAndShards() {
    return Stream.of(Metric.values())
        .flatMap(m -> Stream.of(Arguments.of(m, 1), Arguments.of(m, 3)));
  }

  @ParameterizedTest(name = "{0}, {1} shard(s)")
  @MethodSource("metricsAndShards")
  void flatWithAllListsProbedIsExact(Metric metric, int shards) throws IOException {
    Published p = TestIndexes.index(data(1), metric, IndexSpec.flat(NLIST))
        .ids(TestIndexes.randomIds(new Random(2), N))
        .shards(shards)
        .publish(root);
    try (KilnIndex index = p.open()) {
      assertEquals(N, index.count());
      assertEquals(metric, index.metric());
      assertMatchesBruteForce(p, index, NLIST, exactScore(p));
      // nprobe beyond nlist means all lists.
      assertMatchesBruteForce(p, index, 10 * NLIST, exactScore(p));
    }
  }

  /**
   * 600 dimensions, 30 queries over 4 lists: batch search scores most lists four queries at a
   * time (the Vector API kernel for long vectors); the answers are exact, ties included, and
   * single search's.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Metric.class)
  void longFlatVectorsAreExactInSingleAndBatchSearch(Metric metric) throws IOException {
    int d = 600;
    float[][] data = TestIndexes.gaussian(new Random(5), 600, d);
    // Duplicates of the first 20 vectors: exact ties the lower id must win.
    for (int i = 0; i < 20; i++) {
      data[580 + i] = data[i].clone();
    }
    Published p = TestIndexes.index(data, metric, IndexSpec.flat(4)).shards(2).publish(root);
    float[][] queries = TestIndexes.gaussian(new Random(6), 30, d);
    queries[0] = data[3].clone();
    try (KilnIndex index = p.open()) {
      Neighbors[] batch = index.search(queries, K, SearchParams.nprobe(4));
      for (int i = 0; i < queries.length; i++) {
        assertSearch(p, index, queries[i], K, 4, exactScore(p));
        Neighbors single = index.search(queries[i], K, SearchParams.nprobe(4));
        org.junit.jupiter.api.Assertions.assertArrayEquals(single.ids(), batch[i].ids());
        org.junit.jupiter.api.Assertions.assertArrayEquals(single.scores(), batch[i].scores());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Metric.class)
  void flatWithFewListsProbedIsExactOverThoseLists(Metric metric) throws IOException {
    Published p = TestIndexes.index(data(3), metric, IndexSpec.flat(NLIST)).shards(2).publish(root);
    try (KilnIndex index = p.open()) {
      assertMatchesBruteForce(p, index, 3, exactScore(p));
    }
  }

  /** The vector an item's code stands for: its list centroid plus the decoded residual. */
  private static float[] reconstruct(IndexModel model, int list, byte[] code) {
    int d = model.dim();
    float[] out = new float[d];
    model.pq().decode(code, 0, out);
    for (int i = 0; i < d; i++) {
      out[i] += model.coarse().centroids()[list * d + i];
    }
    return out;
  }

  /** Brute-force asymmetric distance: exact distance from the query to each reconstruction. */
  private static ToDoubleBiFunction<float[], Integer> adcScore(Published p) {
    float[][] recon = new float[p.size()][];
    for (int i = 0; i < p.size(); i++) {
      recon[i] = reconstruct(p.model(), p.lists()[i], p.codes()[i]);
    }
    return (q, i) -> TestIndexes.score(p.model().metric(), q, recon[i]);
  }

  static Stream<Arguments> pqCases() {
    return Stream.of(Metric.values())
        .flatMap(m -> Stream.of(4, 8, 16).map(pqM -> Arguments.of(m, pqM)));
  }

  @ParameterizedTest(name = "{0}, PQ{1}")
  @MethodSource("pqCases")
  void pqScoresAreTheAsymmetricDistanceToTheReconstruction(Metric metric, int m)
      throws IOException {
    Published p = TestIndexes.index(data(4), metric, IndexSpec.pq(NLIST, m))
        .ids(TestIndexes.randomIds(new Random(5), N))
        .shards(2)
        .publish(root);
    try (KilnIndex index = p.open()) {
      ToDoubleBiFunction<float[], Integer> adc = adcScore(p);
      assertMatchesBruteForce(p, index, NLIST, adc);
      assertMatchesBruteForce(p, index, 3, adc);
    }
  }

  @ParameterizedTest(name = "PQ{0}")
  @ValueSource(ints = {4, 8})
  void l2WithoutThePrecomputedTableGivesTheSameResults(int m) throws IOException {
    float[][] data = data(6);
    Published withTable = TestIndexes.index(data, Metric.L2, IndexSpec.pq(NLIST, m))
        .version("table").publish(root);
    Published without = TestIndexes.index(data, Metric.L2, IndexSpec.pq(NLIST, m))
        .version("fallback").withoutL2Table().publish(root);
    assertArrayEquals(withTable.codes(), without.codes());
    try (KilnIndex a = withTable.open(); KilnIndex b = without.open()) {
      for (int nprobe : new int[] {2, NLIST}) {
        assertMatchesBruteForce(without, b, nprobe, adcScore(without));
        for (float[] q : queries()) {
          Neighbors x = a.search(q, K, SearchParams.nprobe(nprobe));
          Neighbors y = b.search(q, K, SearchParams.nprobe(nprobe));
          // Same items and scores as with the table: the paths differ only in float rounding.
          double[] tableScores = new double[N];
          boolean[] returned = new boolean[N];
          for (int r = 0; r < x.size(); r++) {
            tableScores[withTable.itemOf(x, r)] = x.scores()[r];
            returned[withTable.itemOf(x, r)] = true;
          }
          without.assertTopK(tableScores, returned, K, y);
        }
      }
    }
  }

  static Stream<Arguments> metricsAndEncodings() {
    return Stream.of(Metric.values())
        .flatMap(m -> Stream.of(IndexSpec.flat(4), IndexSpec.pq(4, 8))
            .map(s -> Arguments.of(m, s)));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("metricsAndEncodings")
  void exactTiesGoToTheLowerIdAcrossShards(Metric metric, IndexSpec spec) throws IOException {
    // Six distinct vectors, fifty copies each: every score is shared by fifty items spread over
    // three shards, so the shard scanned last often holds the lowest ids of a tie.
    int n = 300;
    float[][] distinct = TestIndexes.gaussian(new Random(17), 6, D);
    float[][] data = new float[n][];
    for (int i = 0; i < n; i++) {
      data[i] = distinct[i % distinct.length];
    }
    Published p = TestIndexes.index(data, metric, spec)
        .ids(TestIndexes.randomIds(new Random(18), n)).shards(3).publish(root);
    ToDoubleBiFunction<float[], Integer> exact =
        spec.encoding() == IndexSpec.Encoding.PQ ? adcScore(p) : exactScore(p);
    try (KilnIndex index = p.open()) {
      for (float[] q : queries()) {
        double[] score = new double[n];
        for (int i = 0; i < n; i++) {
          score[i] = exact.applyAsDouble(q, i);
        }
        Comparator<Integer> byScore = Comparator.comparingDouble(i -> score[i]);
        for (int k : new int[] {1, 7, 60, 120}) {
          long[] expected = IntStream.range(0, n).boxed()
              .sorted((metric.higherIsBetter() ? byScore.reversed() : byScore)
                  .thenComparingLong(i -> p.ids()[i]))
              .limit(k)
              .mapToLong(i -> p.ids()[i])
              .toArray();
          assertArrayEquals(expected, index.search(q, k, SearchParams.nprobe(4)).ids());
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} shard(s)")
  @ValueSource(ints = {1, 3})
  void stringKeysRoundTrip(int shards) throws IOException {
    int n = 300;
    float[][] data = TestIndexes.gaussian(new Random(7), n, D);
    String[] keys = TestIndexes.randomKeys(new Random(8), n);
    assertTrue(Arrays.stream(keys).anyMatch(k -> k.codePoints().anyMatch(c -> c > 0xFFFF)),
        "the test keys include characters outside the BMP");
    Published p = TestIndexes.index(data, Metric.L2, IndexSpec.flat(4))
        .keys(keys).shards(shards).publish(root);
    try (KilnIndex index = p.open()) {
      assertEquals(IdType.STRING, index.idType());
      for (int i = 0; i < n; i++) {
        Neighbors top = index.search(data[i], 3, SearchParams.nprobe(4));
        assertThrows(IllegalStateException.class, top::ids, "ids() of a string-id index");
        assertEquals(3, top.keys().length);
        assertEquals(keys[i], top.keys()[0], "a stored vector finds itself first");
        assertEquals(keys[i], top.idString(0));
        assertEquals(0f, top.scores()[0]);
      }
      assertMatchesBruteForce(p, index, 4, exactScore(p));
    }
  }

  @Test
  void longIdsRoundTrip() throws IOException {
    int n = 300;
    float[][] data = TestIndexes.gaussian(new Random(9), n, D);
    long[] ids = TestIndexes.randomIds(new Random(10), n);
    ids[0] = Long.MIN_VALUE;
    ids[1] = Long.MAX_VALUE;
    ids[2] = -1;
    ids[3] = 0;
    Published p = TestIndexes.index(data, Metric.L2, IndexSpec.flat(4))
        .ids(ids).shards(3).publish(root);
    try (KilnIndex index = p.open()) {
      assertEquals(IdType.LONG, index.idType());
      for (int i = 0; i < n; i++) {
        Neighbors top = index.search(data[i], 1, SearchParams.nprobe(4));
        assertThrows(IllegalStateException.class, top::keys, "keys() of an int64-id index");
        assertArrayEquals(new long[] {ids[i]}, top.ids(), "a stored vector finds itself first");
        assertEquals(Long.toString(ids[i]), top.idString(0));
      }
    }
  }

  @ParameterizedTest(name = "k = {0}")
  @ValueSource(ints = {300, 301, 10_000, Integer.MAX_VALUE})
  void kLargerThanTheIndexReturnsEveryItem(int k) throws IOException {
    int n = 300;
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(11), n, D), Metric.L2,
        IndexSpec.pq(4, 4)).shards(2).publish(root);
    try (KilnIndex index = p.open()) {
      float[] q = TestIndexes.gaussian(new Random(12), D);
      Neighbors all = index.search(q, k, SearchParams.nprobe(4));
      assertEquals(n, all.size());
      assertEquals(n, Arrays.stream(all.ids()).distinct().count());
      assertSearch(p, index, q, k, 4, adcScore(p));
      // One list probed: every item of that list, and nothing else.
      assertSearch(p, index, q, k, 1, adcScore(p));
    }
  }

  @ParameterizedTest(name = "string ids: {0}")
  @ValueSource(booleans = {false, true})
  void emptyShardsAndEmptyListsAreSearchable(boolean stringIds) throws IOException {
    int n = 5;
    int shards = 6;
    TestIndexes.Build build = TestIndexes.index(TestIndexes.gaussian(new Random(19), n, D),
            Metric.L2, stringIds ? IndexSpec.flat(NLIST) : IndexSpec.pq(NLIST, 4))
        .centroids(TestIndexes.flatten(TestIndexes.gaussian(new Random(20), NLIST, D)))
        .shards(shards);
    if (stringIds) {
      build.keys(TestIndexes.randomKeys(new Random(21), n));
    }
    Published p = build.publish(root);
    // Five items over six shards and eight lists: some of each are empty.
    assertTrue(IntStream.range(0, shards).anyMatch(s -> p.shardItems(s, shards).length == 0));
    try (KilnIndex index = KilnIndex.open(p.root(), new OpenOptions(true))) {
      assertEquals(n, index.count());
      assertMatchesBruteForce(p, index, NLIST, stringIds ? exactScore(p) : adcScore(p));
      assertMatchesBruteForce(p, index, 2, stringIds ? exactScore(p) : adcScore(p));
    }
  }

  @Test
  void badArgumentsAreRejectedWithAClearMessage() throws IOException {
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(13), 100, D), Metric.L2,
        IndexSpec.flat(4)).publish(root);
    try (KilnIndex index = p.open()) {
      float[] q = new float[D];
      assertMessage(assertThrows(IllegalArgumentException.class,
          () -> index.search(new float[D + 1], 5, SearchParams.nprobe(2))), "17", "16");
      assertMessage(assertThrows(IllegalArgumentException.class,
          () -> index.search(new float[D - 1], 5, SearchParams.nprobe(2))), "15", "16");
      assertMessage(assertThrows(IllegalArgumentException.class,
          () -> index.search(q, 0, SearchParams.nprobe(2))), "k", "0");
      assertMessage(assertThrows(IllegalArgumentException.class,
          () -> index.search(q, -3, SearchParams.nprobe(2))), "k", "-3");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> SearchParams.nprobe(0)),
          "nprobe", "0");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> SearchParams.nprobe(-1)),
          "nprobe", "-1");
      // The index still answers after rejecting bad calls.
      assertEquals(5, index.search(q, 5, SearchParams.nprobe(4)).size());
    }
  }

  @Test
  void searchAfterCloseFails() throws IOException {
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(14), 50, D), Metric.L2,
        IndexSpec.flat(2)).publish(root);
    KilnIndex index = p.open();
    index.close();
    assertMessage(assertThrows(IllegalStateException.class,
        () -> index.search(new float[D], 1, SearchParams.nprobe(1))), "closed");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Metric.class, names = {"L2", "COSINE"})
  void queryIsNotModified(Metric metric) throws IOException {
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(15), 100, D), metric,
        IndexSpec.pq(4, 4)).publish(root);
    try (KilnIndex index = p.open()) {
      float[] q = TestIndexes.gaussian(new Random(16), D);
      float[] copy = q.clone();
      index.search(q, 5, SearchParams.nprobe(2));
      assertArrayEquals(copy, q);
    }
  }

  private static void assertMessage(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(part),
          () -> "message '" + e.getMessage() + "' should mention '" + part + "'");
    }
  }
}
