package dev.kiln.it;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.assertExactTopK;
import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.assertSameFiles;
import static dev.kiln.testing.KilnTestData.exactTopK;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.indexFilesUnder;
import static dev.kiln.testing.KilnTestData.recall;
import static dev.kiln.testing.KilnTestData.rowOfId;
import static dev.kiln.testing.KilnTestData.rowsOf;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.config.EvalConfig;
import dev.kiln.search.IdFilter;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code HNSW{M}} end to end: a real local Spark build of one graph per shard, published and
 * searched through the loader on the mapped files: exact when the walk is turned off, close to
 * exact with a beam, filtered during the walk, and the same bytes from any partitioning.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HnswIndexTest {
  private static final int K = 10;
  private static final int N = 4000;
  private static final int D = 16;

  private SparkSession spark;
  @TempDir Path tmp;
  private float[][] data;
  private Long[] ids;
  private String input;
  private String[] keys;
  private String keyInput;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path dir) {
    this.spark = spark;
    data = gaussian(new Random(5), N, D, 1);
    ids = KilnTestData.longIds(N);
    input = KilnTestData.writeVectors(spark, dir.resolve("long"), ids, data);
    keys = KilnTestData.stringIds(N);
    keyInput = KilnTestData.writeVectors(spark, dir.resolve("keys"), keys, data);
  }

  private Manifest build(String in, Path root, Metric metric, int shards, int partitions)
      throws IOException {
    BuildConfig cfg = BuildConfig.defaults(in, root.toString(), "v1", IndexSpec.graph(16), metric)
        .withShards(shards).withPartitions(partitions);
    new KilnBuildJob(spark, cfg).run();
    return assertPublished(root, "v1", shards, in.equals(keyInput));
  }

  private static float[][] queries(long seed) {
    return gaussian(new Random(seed), 30, D, 1);
  }

  /**
   * Every metric: turning the walk off (efSearch FLAT_COARSE) scores every item, the exact
   * answer; a beam of 64 over graphs of 1,333 items finds nearly all of it.
   */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void searchesEveryShardsGraphCloseToExact(Metric metric) throws IOException {
    Path root = tmp.resolve("m-" + metric);
    Manifest m = build(input, root, metric, 3, 0);
    assertEquals("HNSW16", m.index());
    assertEquals(N, m.count());
    Map<String, Integer> rows = rowOfId(ids);
    double found = 0;
    float[][] qs = queries(6);
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(IndexSpec.graph(16), index.spec());
      for (float[] q : qs) {
        assertExactTopK(metric, data, rows, q, K,
            index.search(q, K, SearchParams.efSearch(SearchParams.FLAT_COARSE)));
        Neighbors walk = index.search(q, K, SearchParams.efSearch(64));
        found += recall(exactTopK(metric, data, q, K).rows(), rowsOf(walk, rows));
      }
    }
    double r = found / qs.length;
    assertTrue(r >= 0.95, metric + ": recall@10 at efSearch 64 " + r);
  }

  /** A wider beam finds at least as much: recall grows with efSearch, as the knob promises. */
  @Test
  void recallGrowsWithTheBeam() throws IOException {
    Path root = tmp.resolve("beam");
    build(input, root, Metric.L2, 1, 0);
    Map<String, Integer> rows = rowOfId(ids);
    float[][] qs = queries(7);
    double[] r = new double[3];
    int[] beams = {1, 8, 128};
    try (KilnIndex index = KilnIndex.open(root)) {
      for (int b = 0; b < beams.length; b++) {
        for (float[] q : qs) {
          r[b] += recall(exactTopK(Metric.L2, data, q, K).rows(),
              rowsOf(index.search(q, K, SearchParams.efSearch(beams[b])), rows)) / qs.length;
        }
      }
    }
    // efSearch below k is raised to k: a beam of 1 is a beam of 10.
    assertTrue(r[0] <= r[2] && r[1] <= r[2] && r[2] >= 0.99, Arrays.toString(r));
  }

  /**
   * The filter applies during the walk: every result passes it, and the beam fills with items
   * that pass (a filter applied after the walk would leave most of 10 slots empty at 1 in 10).
   */
  @Test
  void filtersDuringTheWalk() throws IOException {
    Path root = tmp.resolve("filter");
    build(input, root, Metric.L2, 2, 0);
    Map<String, Integer> rows = rowOfId(ids);
    float[][] kept = new float[N][];
    for (int i = 0; i < N; i++) {
      kept[i] = ids[i] % 10 == 0 ? data[i] : filler();
    }
    IdFilter tens = IdFilter.ids(id -> id % 10 == 0);
    double found = 0;
    float[][] qs = queries(8);
    try (KilnIndex index = KilnIndex.open(root)) {
      for (float[] q : qs) {
        Neighbors got = index.search(q, K, SearchParams.efSearch(64).withFilter(tens));
        assertEquals(K, got.size());
        for (int i = 0; i < got.size(); i++) {
          assertEquals(0, got.ids()[i] % 10, "result " + got.ids()[i] + " fails the filter");
        }
        found += recall(exactTopK(Metric.L2, kept, q, K).rows(), rowsOf(got, rows));
      }
    }
    assertTrue(found / qs.length >= 0.9, "filtered recall@10 " + found / qs.length);
  }

  /**
   * The build's quality step measures recall over efSearch (Faiss's sweep), the gate reads it
   * at the default efSearch, and a target-recall search walks with the smallest efSearch that
   * reached the target.
   */
  @Test
  void theBuildMeasuresRecallOverEfSearchAndATargetPicksOne() throws IOException {
    Path root = tmp.resolve("curve");
    BuildConfig cfg = BuildConfig.defaults(input, root.toString(), "v1", IndexSpec.graph(16),
        Metric.L2).withShards(2).withEvaluation(
            new EvalConfig(null, 300, K, java.util.List.of(), 0.5, 16));
    new KilnBuildJob(spark, cfg).run();
    Quality q = assertPublished(root, "v1", 2, false).measuredQuality();
    assertEquals("efSearch", q.knob());
    assertEquals(EvalConfig.AUTO_EF_SEARCHES,
        q.curve().stream().map(Quality.Point::efSearch).toList());
    for (Quality.Point p : q.curve()) {
      assertEquals(1, p.nprobe());
      assertTrue(p.recall() > 0.5 && p.qps() > 0, p.toString());
    }
    assertTrue(q.curve().get(4).recall() >= q.curve().get(0).recall(), q.curve().toString());
    assertEquals(EvalConfig.GRAPH_GATE_EF_SEARCH, q.gate().at());
    assertEquals(q.at(64).recall(), q.gate().measured());
    assertTrue(q.gate().passed());
    double target = q.curve().get(1).recall();
    try (KilnIndex index = KilnIndex.open(root)) {
      int ef = index.efSearchFor(target);
      assertTrue(ef <= 32, "efSearch " + ef + " for recall " + target);
      assertEquals(q.efSearchFor(target), ef);
      for (float[] query : queries(10)) {
        assertEquals(index.search(query, K, SearchParams.efSearch(ef)),
            index.search(query, K, SearchParams.targetRecall(target)));
      }
    }
  }

  /** A vector no query comes near: stands in for the items a filter rejects. */
  private static float[] filler() {
    float[] far = new float[D];
    Arrays.fill(far, 1e4f);
    return far;
  }

  /**
   * Shards, graphs and keys are the same bytes whatever the input's partitioning (each graph
   * is built by one task from its shard's items in id order, levels drawn from the seed), with
   * string keys too.
   */
  @Test
  void theSameInputGivesTheSameBytesFromAnyPartitioning() throws IOException {
    build(keyInput, tmp.resolve("p3"), Metric.COSINE, 2, 3);
    build(keyInput, tmp.resolve("p7"), Metric.COSINE, 2, 7);
    assertSameFiles(indexFilesUnder(versionDir(tmp.resolve("p3"), "v1")),
        indexFilesUnder(versionDir(tmp.resolve("p7"), "v1")));
    Map<String, Integer> rows = rowOfId(keys);
    try (KilnIndex index = KilnIndex.open(tmp.resolve("p3"))) {
      float[] q = queries(9)[0];
      assertExactTopK(Metric.COSINE, data, rows, q, K,
          index.search(q, K, SearchParams.efSearch(SearchParams.FLAT_COARSE)));
    }
  }

  /**
   * The checked-in {@code hnsw} fixture (index-format's, format version 3) opens through the
   * loader with every checksum verified, and a beam as wide as its 20 nodes finds the exact
   * answer.
   */
  @Test
  void theCheckedInFixtureOpensAndItsWidestWalkIsExact() throws IOException {
    Path fixture = KilnTestData.CURRENT_FIXTURES.resolve("hnsw");
    try (KilnIndex index = KilnIndex.open(fixture, new OpenOptions(true))) {
      assertEquals(IndexSpec.graph(2), index.spec());
      assertEquals(20, index.count());
      Random rnd = new Random(3);
      for (int q = 0; q < 20; q++) {
        float[] query = gaussian(rnd, 1, 8, 1)[0];
        Neighbors exact = index.search(query, 5, SearchParams.efSearch(SearchParams.FLAT_COARSE));
        Neighbors walked = index.search(query, 5, SearchParams.efSearch(20));
        assertEquals(5, exact.size());
        assertEquals(exact, walked, "query " + q);
      }
    }
  }
}
