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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.faiss.FaissIndexWriter;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.quantize.IndexModel;
import dev.kiln.search.IdFilter;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
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
 * {@code HNSW{M},SQ8} end to end: a real local Spark build whose shards hold d bytes per item
 * under the same graphs as {@code HNSW{M}}, searched on the mapped files: exact over the decoded
 * vectors when the walk is off, close to it with a beam, filtered during the walk, re-ranked by
 * float32 copies with {@code ,RFlat}, and the same bytes from any partitioning.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HnswSq8IndexTest {
  private static final int K = 10;
  private static final int N = 3000;
  private static final int D = 16;
  private static final IndexSpec SQ8 = IndexSpec.parse("HNSW16,SQ8");

  private SparkSession spark;
  @TempDir Path tmp;
  private float[][] data;
  private Long[] ids;
  private String input;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path dir) {
    this.spark = spark;
    data = gaussian(new Random(15), N, D, 1);
    ids = KilnTestData.longIds(N);
    input = KilnTestData.writeVectors(spark, dir.resolve("long"), ids, data);
  }

  private Manifest build(Path root, IndexSpec spec, Metric metric, int shards, int partitions)
      throws IOException {
    BuildConfig cfg = BuildConfig.defaults(input, root.toString(), "v1", spec, metric)
        .withShards(shards).withPartitions(partitions);
    new KilnBuildJob(spark, cfg).run();
    return assertPublished(root, "v1", shards, false);
  }

  private static float[][] queries(long seed) {
    return gaussian(new Random(seed), 30, D, 1);
  }

  /** Each item's stored vector as the index decodes it (normalized first under cosine). */
  private float[][] decoded(KilnIndex index) {
    float[][] out = new float[N][];
    for (int i = 0; i < N; i++) {
      out[i] = index.vector(ids[i]);
    }
    return out;
  }

  /**
   * Every metric: the shards store d bytes per item; the walk turned off scores every decoded
   * vector (the exact answer over them, as brute force finds it); a beam of 64 finds nearly all
   * of the exact answer over the original float32 vectors.
   */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void storesBytesAndSearchesThemCloseToExact(Metric metric) throws IOException {
    Path root = tmp.resolve("m-" + metric);
    Manifest m = build(root, SQ8, metric, 3, 0);
    assertEquals("HNSW16,SQ8", m.index());
    Path shard0 = versionDir(root, "v1").resolve(ShardFile.fileName(0));
    try (FileChannel ch = FileChannel.open(shard0)) {
      ShardFile f = ShardFile.open(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()), "s0");
      assertEquals(D, f.codeSize(), "one byte per component");
    }
    Map<String, Integer> rows = rowOfId(ids);
    double found = 0;
    float[][] qs = queries(16);
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(SQ8, index.spec());
      float[][] stored = decoded(index);
      for (int i = 0; i < N; i += 97) {
        float[] want = data[i].clone();
        if (metric == Metric.COSINE) {
          IndexModel.normalize(want, 0, D);
        }
        for (int j = 0; j < D; j++) {
          // Half a step of rounding; the range of a component of N(0,1) x 3000 is under 9.
          assertEquals(want[j], stored[i][j], 9f / 255 / 2 * 1.001f, "item " + i + "[" + j + "]");
        }
      }
      // Over decoded vectors, cosine is the inner product with the normalized query.
      Metric scored = metric == Metric.COSINE ? Metric.IP : metric;
      for (float[] q : qs) {
        float[] pq = q.clone();
        if (metric == Metric.COSINE) {
          IndexModel.normalize(pq, 0, D);
        }
        assertExactTopK(scored, stored, rows, pq, K,
            index.search(q, K, SearchParams.efSearch(SearchParams.FLAT_COARSE)));
        Neighbors walk = index.search(q, K, SearchParams.efSearch(64));
        found += recall(exactTopK(metric, data, q, K).rows(), rowsOf(walk, rows));
      }
    }
    double r = found / qs.length;
    assertTrue(r >= 0.9, metric + ": recall@10 at efSearch 64 against float32 " + r);
  }

  /**
   * {@code ,RFlat}: the walk's shortlist (refine factor x k) re-ranked by the float32 copies
   * finds more of the float32 answer than the bytes alone, with float32 scores.
   */
  @Test
  void rflatReRanksTheWalksShortlist() throws IOException {
    build(tmp.resolve("plain"), SQ8, Metric.L2, 2, 0);
    Manifest m = build(tmp.resolve("refined"), IndexSpec.parse("HNSW16,SQ8,RFlat"), Metric.L2,
        2, 0);
    assertEquals("HNSW16,SQ8,RFlat", m.index());
    Map<String, Integer> rows = rowOfId(ids);
    float[][] qs = queries(17);
    double plain = 0;
    double refined = 0;
    try (KilnIndex a = KilnIndex.open(tmp.resolve("plain"));
        KilnIndex b = KilnIndex.open(tmp.resolve("refined"), new OpenOptions(true))) {
      for (float[] q : qs) {
        int[] truth = exactTopK(Metric.L2, data, q, K).rows();
        plain += recall(truth, rowsOf(a.search(q, K, SearchParams.efSearch(64)), rows));
        Neighbors got = b.search(q, K, SearchParams.efSearch(64));
        refined += recall(truth, rowsOf(got, rows));
        // The exact shortlist re-ranked by float32 vectors is the float32 answer.
        assertExactTopK(Metric.L2, data, rows, q, K,
            b.search(q, K, SearchParams.efSearch(SearchParams.FLAT_COARSE).withRefineFactor(N)));
      }
    }
    assertTrue(refined >= plain && refined / qs.length >= 0.97,
        "recall@10 refined " + refined / qs.length + " vs SQ8 alone " + plain / qs.length);
  }

  /**
   * The filter applies during the walk over bytes too: every result passes, the beam fills.
   * export-faiss refuses the version in one line naming the form, and writes nothing.
   */
  @Test
  void filtersDuringTheWalkAndExportRefuses() throws IOException {
    Path root = tmp.resolve("filter");
    build(root, SQ8, Metric.IP, 2, 0);
    Path out = tmp.resolve("sq8.faissindex");
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> FaissIndexWriter.export(versionDir(root, "v1"), out, 0));
    assertTrue(e.getMessage().contains("HNSW16,SQ8 stores 8-bit vectors"), e.getMessage());
    assertFalse(java.nio.file.Files.exists(out));
    IdFilter sevens = IdFilter.ids(id -> id % 7 == 0);
    try (KilnIndex index = KilnIndex.open(root)) {
      for (float[] q : queries(18)) {
        Neighbors got = index.search(q, K, SearchParams.efSearch(64).withFilter(sevens));
        assertEquals(K, got.size());
        for (int i = 0; i < got.size(); i++) {
          assertEquals(0, got.ids()[i] % 7, "result " + got.ids()[i] + " fails the filter");
        }
      }
    }
  }

  /**
   * The checked-in {@code hnsw-sq8} fixture opens with every checksum verified and, its codes
   * decoding exactly to the {@code hnsw} fixture's float32 vectors under the same graph, answers
   * as that one does: the same ids, the same scores up to rounding.
   */
  @Test
  void theCheckedInFixtureAnswersAsTheFloat32One() throws IOException {
    try (KilnIndex sq8 = KilnIndex.open(KilnTestData.CURRENT_FIXTURES.resolve("hnsw-sq8"),
            new OpenOptions(true));
        KilnIndex flat = KilnIndex.open(KilnTestData.CURRENT_FIXTURES.resolve("hnsw"))) {
      assertEquals(IndexSpec.parse("HNSW2,SQ8"), sq8.spec());
      Random rnd = new Random(4);
      for (int q = 0; q < 20; q++) {
        float[] query = gaussian(rnd, 1, 8, 1)[0];
        for (int ef : new int[] {SearchParams.FLAT_COARSE, 2, 20}) {
          Neighbors a = sq8.search(query, 5, SearchParams.efSearch(ef));
          Neighbors b = flat.search(query, 5, SearchParams.efSearch(ef));
          assertEquals(java.util.Arrays.toString(b.ids()), java.util.Arrays.toString(a.ids()),
              "query " + q + " ef " + ef);
          for (int i = 0; i < a.size(); i++) {
            assertEquals(b.scores()[i], a.scores()[i], 1e-4 * Math.max(1, Math.abs(b.scores()[i])));
          }
        }
      }
    }
  }

  /** SQ8's ranges are a min and max over every item: no partitioning changes a byte. */
  @Test
  void theSameInputGivesTheSameBytesFromAnyPartitioning() throws IOException {
    build(tmp.resolve("p2"), SQ8, Metric.L2, 2, 2);
    build(tmp.resolve("p5"), SQ8, Metric.L2, 2, 5);
    assertSameFiles(indexFilesUnder(versionDir(tmp.resolve("p2"), "v1")),
        indexFilesUnder(versionDir(tmp.resolve("p5"), "v1")));
  }
}
