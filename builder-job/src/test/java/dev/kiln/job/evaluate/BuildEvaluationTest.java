package dev.kiln.job.evaluate;

import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.ExitCodes;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build measures what it built through the loader, records it in the manifest, and holds
 * publishing to {@code --min-recall}.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuildEvaluationTest {
  private static final int N = 3000;
  private static final int D = 16;

  private float[][] data;
  private float[][] queries;
  private String input;
  private String queryFile;
  private String badQueryFile;
  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path dir) {
    // No clusters: one list holds few of a query's neighbours, so recall grows with nprobe.
    Random rnd = new Random(11);
    data = KilnTestData.gaussian(rnd, N, D, 1);
    queries = KilnTestData.gaussian(rnd, 120, D, 1);
    input = KilnTestData.writeVectors(spark, dir.resolve("items"), KilnTestData.longIds(N), data);
    queryFile = KilnTestData.writeVectors(spark, dir.resolve("queries"),
        KilnTestData.longIds(queries.length), queries);
    float[][] short3 = Arrays.copyOf(queries, 5);
    short3[3] = Arrays.copyOf(queries[3], D - 1);
    badQueryFile = KilnTestData.writeVectors(spark, dir.resolve("bad-queries"),
        KilnTestData.longIds(5), short3);
  }

  private static String[] build(String input, Path root, String version, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("build", "--input", input, "--output",
        root.toString(), "--index", "IVF16,Flat", "--version", version));
    args.addAll(List.of(more));
    if (!args.contains("--eval-queries")) {
      args.addAll(List.of("--eval-queries", "300"));
    }
    return args.toArray(String[]::new);
  }

  @Test
  void sampledEvaluationIsRecordedAndPrinted() throws IOException {
    Path root = tmp.resolve("sampled");
    CliRun run = cli(build(input, root, "v1"));
    assertEquals(0, run.exitCode(), run.err());
    Quality q = KilnTestData.readManifest(versionDir(root, "v1")).measuredQuality();
    assertNotNull(q, "manifest has no quality curve");
    assertEquals(300, q.queries());
    assertEquals(Quality.INPUT_SAMPLE, q.querySource());
    assertEquals(List.of(1, 2, 4, 8, 16), q.curve().stream().map(Quality.Point::nprobe).toList());
    for (int i = 1; i < q.curve().size(); i++) {
      assertTrue(q.curve().get(i).recall() >= q.curve().get(i - 1).recall(), "recall fell: " + q);
    }
    // Flat over every list is exact search: with the query itself left out, recall is 1.
    assertEquals(1.0, q.at(16).recall(), 1e-9);
    assertTrue(q.at(1).recall() < 0.9, "nprobe 1 should miss neighbours on unclustered data: " + q);
    for (Quality.Point p : q.curve()) {
      assertTrue(p.qps() > 0 && p.p50Ms() > 0 && p.p99Ms() >= p.p50Ms(), p.toString());
    }
    assertTrue(run.out().contains("recall@10 on 300 queries"), run.out());
    CliRun inspect = cli("inspect", root.toString());
    assertEquals(0, inspect.exitCode(), inspect.err());
    assertTrue(inspect.out().contains(String.format(java.util.Locale.ROOT, "%8.4f", q.at(4).recall())),
        inspect.out());
    // Readable sections, not Java maps: "key value" pairs, 0 shown as what it means.
    assertFalse(inspect.out().contains("{") || inspect.out().contains("="), inspect.out());
    assertTrue(inspect.out().contains("lists     16 lists, items per list: min "), inspect.out());
    assertTrue(inspect.out().contains("build     asked     index IVF16,Flat"), inspect.out());
    assertTrue(inspect.out().contains("shards auto") && inspect.out().contains("memoryBudget none"),
        inspect.out());
    assertTrue(inspect.out().matches("(?s).*timings   read \\d+\\.\\d s, .*"), inspect.out());
  }

  @Test
  void gateHoldsBackAnIndexBelowTheMinimumRecall() throws IOException {
    Path root = tmp.resolve("gated");
    assertEquals(0, cli(build(input, root, "v1", "--eval-queries", "0")).exitCode());
    assertEquals(null, KilnTestData.readManifest(versionDir(root, "v1")).quality());

    CliRun low = cli(build(input, root, "v2", "--min-recall", "0.99", "--at-nprobe", "1"));
    assertEquals(ExitCodes.QUALITY, low.exitCode(), low.err());
    List<String> err = low.errLines();
    assertEquals(1, err.size(), low.err());
    assertTrue(err.get(0).matches("kiln: error: quality gate: recall@10 at nprobe 1 is 0\\.\\d{4},"
        + " below --min-recall 0.99; not published \\(LATEST unchanged\\)"), err.get(0));
    assertEquals("v1", KilnTestData.latest(root).trim());
    assertFalse(Files.exists(versionDir(root, "v2")));
    try (Stream<Path> s = Files.list(root.resolve(IndexLayout.STAGING))) {
      assertEquals(List.of(), s.toList(), "staging leftovers");
    }

    CliRun ok = cli(build(input, root, "v3", "--min-recall", "0.5", "--at-nprobe", "16"));
    assertEquals(0, ok.exitCode(), ok.err());
    assertEquals("v3", KilnTestData.latest(root).trim());
    Quality.Gate gate = KilnTestData.readManifest(versionDir(root, "v3")).measuredQuality().gate();
    assertEquals(new Quality.Gate(0.5, 16, 1.0, true), gate);
  }

  @Test
  void givenQueriesGiveTheRecallTheLoaderMeasures() throws IOException {
    Path root = tmp.resolve("queries");
    CliRun run = cli(build(input, root, "v1", "--queries", queryFile, "--eval-nprobe", "1,3,16"));
    assertEquals(0, run.exitCode(), run.err());
    Quality q = KilnTestData.readManifest(versionDir(root, "v1")).measuredQuality();
    assertEquals(queries.length, q.queries());
    assertEquals(queryFile, q.querySource());
    assertEquals(List.of(1, 3, 16), q.curve().stream().map(Quality.Point::nprobe).toList());
    Map<String, Integer> rowOfId = KilnTestData.rowOfId(KilnTestData.longIds(N));
    try (KilnIndex index = KilnIndex.open(root)) {
      for (Quality.Point p : q.curve()) {
        double sum = 0;
        for (float[] query : queries) {
          Neighbors got = index.search(query, 10, SearchParams.nprobe(p.nprobe()));
          sum += KilnTestData.recall(KilnTestData.exactTopK(Metric.L2, data, query, 10).rows(),
              KilnTestData.rowsOf(got, rowOfId));
        }
        assertEquals(sum / queries.length, p.recall(), 1e-4, "nprobe " + p.nprobe());
      }
      // And the loader turns a recall target into the measured nprobe.
      assertEquals(16, index.nprobeFor(1.0));
    }
  }

  @Test
  void autoIndexPicksFromTheDataAndTheBudget() throws IOException {
    Path root = tmp.resolve("auto");
    // 3000 x 16: nlist 64 (4·√N = 219, capped at N/39); Flat needs 220 KB, over 100 KB; a
    // quarter of it fits: fast-scan with an SQ8 refine stage, PQ4x4fs (four dimensions per
    // sub-space), 2 + 8 + 16 bytes an item and 5 KB of model (ip: no L2 table), 83 KB.
    String[] auto = build(input, root, "v1", "--eval-queries", "0");
    auto[Arrays.asList(auto).indexOf("IVF16,Flat")] = "auto";
    CliRun run = cli(auto);
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("IVF64,Flat", KilnTestData.readManifest(versionDir(root, "v1")).index());
    String[] args = build(input, root, "v2", "--eval-queries", "0", "--metric", "ip",
        "--memory-budget", "100k");
    args[Arrays.asList(args).indexOf("IVF16,Flat")] = "auto";
    run = cli(args);
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("IVF64,PQ4x4fs,Refine(SQ8)",
        KilnTestData.readManifest(versionDir(root, "v2")).index());

    CliRun over = cli(build(input, root, "v3", "--eval-queries", "0", "--memory-budget", "100k"));
    assertEquals(ExitCodes.USAGE, over.exitCode(), over.err());
    assertTrue(over.errLines().get(0).contains("IVF16,Flat for 3000 vectors of dimension 16 needs"
        + " 0.2 MiB to serve, over --memory-budget 0.1 MiB"), over.err());
    assertFalse(Files.exists(versionDir(root, "v3")));
  }

  @Test
  void badQueryFileIsNamed() {
    Path root = tmp.resolve("bad");
    CliRun run = cli(build(input, root, "v1", "--queries", badQueryFile));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    String line = run.errLines().get(0);
    assertTrue(line.contains("query row") && line.contains("has 15 values")
        && line.contains("dimension 16") && line.contains(".parquet"), line);
    KilnTestData.assertNothingPublished(root, "v1");
  }
}
