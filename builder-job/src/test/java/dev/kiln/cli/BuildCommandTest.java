package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.FLOAT_ARRAY;
import static dev.kiln.testing.KilnTestData.assertNothingPublished;
import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.assertSameFiles;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.filesUnder;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.schema;
import static dev.kiln.testing.KilnTestData.versionDir;
import static dev.kiln.testing.KilnTestData.writeParquet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.job.config.BuildConfig;
import dev.kiln.format.Manifest;
import dev.kiln.search.KilnIndex;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln build} as a user runs it, in process: bad input and bad options end with the
 * documented exit code and one {@code kiln: error:} line naming the problem, and publish
 * nothing; published versions are never modified, and a re-run of a build that published is a
 * no-op; invalid rows are either fatal or, within
 * {@code --max-reject-fraction}, set aside in {@code _rejects/}.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuildCommandTest {
  private static final int N = 400;
  private static final int DIM = 24;

  private SparkSession spark;
  private String good;
  private String noIdColumn;
  private String noEmbeddingColumn;
  private String doubleIds;
  private String stringEmbedding;
  private String stringArrayEmbedding;
  private String dim30;
  private String twoShortRows;
  private String badRowsOfEveryKind;
  private static final String NORM_TOO_LARGE = "norm too large (distances overflow float)";
  private String noRows;
  private String noEmbeddings;
  private String allNaN;

  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) {
    // Touching Spark here also sets up logging before any test redirects System.err.
    this.spark = spark;
    float[][] v = gaussian(new Random(1), N, DIM, 1);
    Long[] ids = KilnTestData.longIds(N);
    good = KilnTestData.writeVectors(spark, data.resolve("good"), ids, v);
    noIdColumn = writeParquet(spark, data.resolve("no-id"),
        schema("key", DataTypes.LongType, "embedding", FLOAT_ARRAY), KilnTestData.rows(ids, v, false));
    noEmbeddingColumn = writeParquet(spark, data.resolve("no-embedding"),
        schema("id", DataTypes.LongType, "vector", FLOAT_ARRAY), KilnTestData.rows(ids, v, false));

    List<Row> doubles = new ArrayList<>();
    List<Row> strings = new ArrayList<>();
    List<Row> stringArrays = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      doubles.add(RowFactory.create(i + 0.5, KilnTestData.boxed(v[i], false)));
      strings.add(RowFactory.create((long) i, "[1.0, 2.0]"));
      stringArrays.add(RowFactory.create((long) i, List.of("1.0", "2.0")));
    }
    doubleIds = writeParquet(spark, data.resolve("double-ids"),
        schema("id", DataTypes.DoubleType, "embedding", FLOAT_ARRAY), doubles);
    stringEmbedding = writeParquet(spark, data.resolve("string-embedding"),
        schema("id", DataTypes.LongType, "embedding", DataTypes.StringType), strings);
    stringArrayEmbedding = writeParquet(spark, data.resolve("string-array-embedding"),
        schema("id", DataTypes.LongType, "embedding", DataTypes.createArrayType(DataTypes.StringType)),
        stringArrays);

    dim30 = KilnTestData.writeVectors(spark, data.resolve("dim30"), KilnTestData.longIds(300),
        gaussian(new Random(2), 300, 30, 1));

    // The good rows, then two of dimension 23 (ids 1000001 and 1000002), last so that the
    // dimension is taken from a good row.
    List<Row> mixed = new ArrayList<>(KilnTestData.rows(ids, v, false));
    for (long id = 1_000_001; id <= 1_000_002; id++) {
      mixed.add(RowFactory.create(id, KilnTestData.boxed(gaussian(new Random(id), 1, 23, 1)[0], false)));
    }
    twoShortRows = writeParquet(spark, data.resolve("two-short-rows"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), mixed);

    // The good rows, then one of each kind of invalid row (ids 2000001...) and a zero vector.
    List<Row> bad = new ArrayList<>(KilnTestData.rows(ids, v, false));
    List<Object> withNaN = KilnTestData.boxed(v[0], false);
    withNaN.set(3, Float.NaN);
    List<Object> withInf = KilnTestData.boxed(v[1], false);
    withInf.set(5, Float.NEGATIVE_INFINITY);
    List<Object> withNull = KilnTestData.boxed(v[2], false);
    withNull.set(7, null);
    bad.add(RowFactory.create(null, KilnTestData.boxed(v[3], false)));
    bad.add(RowFactory.create(2_000_002L, null));
    bad.add(RowFactory.create(2_000_003L, withNaN));
    bad.add(RowFactory.create(2_000_004L, withInf));
    bad.add(RowFactory.create(2_000_005L, withNull));
    // Finite, but its distances overflow float: the loader would refuse it as a query.
    float[] huge = new float[DIM];
    java.util.Arrays.fill(huge, 3e38f);
    bad.add(RowFactory.create(2_000_007L, KilnTestData.boxed(huge, false)));
    // Valid under l2 and ip, invalid under cosine.
    bad.add(RowFactory.create(2_000_006L, KilnTestData.boxed(new float[DIM], false)));
    badRowsOfEveryKind = writeParquet(spark, data.resolve("bad-rows"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), bad);

    // A Parquet file with the schema and no rows; rows without embeddings; rows all invalid.
    noRows = writeParquet(spark, data.resolve("no-rows"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), List.of());
    List<Row> nulls = new ArrayList<>();
    List<Row> nans = new ArrayList<>();
    for (long id = 0; id < 5; id++) {
      nulls.add(RowFactory.create(id, null));
      List<Object> x = KilnTestData.boxed(v[(int) id], false);
      x.set(0, Float.NaN);
      nans.add(RowFactory.create(id, x));
    }
    noEmbeddings = writeParquet(spark, data.resolve("no-embeddings"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), nulls);
    allNaN = writeParquet(spark, data.resolve("all-nan"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), nans);
  }

  private String[] build(String input, Path root, String index, String metric, String... more) {
    return build("v1", input, root, index, metric, more);
  }

  private String[] build(String version, String input, Path root, String index, String metric,
      String... more) {
    List<String> args = new ArrayList<>(List.of("build", "--input", input, "--output",
        root.toString(), "--index", index, "--metric", metric, "--version", version,
        "--kmeans-iterations", "4", "--pq-iterations", "4", "--seed", "3"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Runs a build that must fail: exit code, one "kiln: error:" line naming it, nothing published. */
  private String assertFails(int exitCode, String input, String index, String metric,
      String... mentions) {
    Path root = tmp.resolve("root");
    CliRun run = cli(build(input, root, index, metric));
    assertEquals(exitCode, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), "one error line, got:\n" + run.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("kiln: error: "), line);
    for (String m : mentions) {
      assertTrue(line.contains(m), "'" + line + "' should mention " + m);
    }
    assertFalse(run.out().contains("published"), run.out());
    assertNothingPublished(root, "v1");
    return line;
  }

  /**
   * The files under an index root less {@code _status/}, which every run rewrites with its own
   * outcome (BuildStatusTest): what a re-run or a refused build must leave as it was.
   */
  private static Map<String, byte[]> published(Map<String, byte[]> files) {
    Map<String, byte[]> out = new java.util.TreeMap<>(files);
    out.keySet().removeIf(name -> name.startsWith(BuildStatus.DIR + "/"));
    return out;
  }

  /** The rejected rows a build set aside in versions/v1/_rejects. */
  private Dataset<Row> rejects(Path root) throws IOException {
    // Spark takes '_' names for hidden files: name the part files, or it warns.
    try (Stream<Path> files = Files.list(versionDir(root, "v1").resolve("_rejects"))) {
      String[] parts = files.map(Path::toString).filter(f -> f.endsWith(".parquet")).sorted()
          .toArray(String[]::new);
      assertTrue(parts.length > 0, "no Parquet files in _rejects");
      return spark.read().parquet(parts);
    }
  }

  @Test
  void missingInputPath() {
    String missing = tmp.resolve("no-such-dir").resolve("items.parquet").toString();
    assertFails(ExitCodes.BAD_INPUT, missing, "IVF4,Flat", "l2", missing, "not found");
  }

  @Test
  void missingIdColumn() {
    assertFails(ExitCodes.BAD_INPUT, noIdColumn, "IVF4,Flat", "l2",
        "'id'", "--id-column", noIdColumn);
  }

  @Test
  void missingEmbeddingColumn() {
    assertFails(ExitCodes.BAD_INPUT, noEmbeddingColumn, "IVF4,Flat", "l2",
        "'embedding'", "--vector-column");
  }

  @Test
  void idColumnOfWrongType() {
    assertFails(ExitCodes.BAD_INPUT, doubleIds, "IVF4,Flat", "l2", "'id'", "double");
  }

  @Test
  void embeddingOfWrongType() {
    assertFails(ExitCodes.BAD_INPUT, stringEmbedding, "IVF4,Flat", "l2",
        "'embedding'", "type string");
    assertFails(ExitCodes.BAD_INPUT, stringArrayEmbedding, "IVF4,Flat", "l2",
        "'embedding'", "array<string>");
  }

  @Test
  void dimensionNotDivisibleByPqM() {
    // The index option does not fit the data: a usage error (change --index), exit 2.
    assertFails(ExitCodes.USAGE, dim30, "IVF4,PQ7", "l2", "30", "m=7");
  }

  /**
   * With --dim given, an index that cannot fit that dimension is refused while the options are
   * parsed: before Spark starts or any input is read (no input file is even looked at).
   */
  @Test
  void dimensionGivenIsCheckedBeforeSparkStarts() {
    Path root = tmp.resolve("root");
    String missing = tmp.resolve("no-such-input.parquet").toString();
    CliRun run = cli(build(missing, root, "IVF4,PQ7", "l2", "--dim", "30"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertEquals(1, run.errLines().size(), run.err());
    assertTrue(run.err().contains("--index: dimension 30 is not divisible by PQ m=7"), run.err());
    assertNothingPublished(root, "v1");
  }

  /**
   * Without --dim, the input's first row is read with Parquet's reader before Spark starts (the
   * message says so; Spark's later check words it differently), so a PQ the dimension cannot
   * take fails at once, and nothing is published.
   */
  @Test
  void dimensionFromTheFirstRowIsCheckedBeforeSparkStarts() {
    Path root = tmp.resolve("root");
    CliRun run = cli(build(dim30, root, "IVF4,PQ7", "l2"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertEquals(List.of("kiln: error: --index: dimension 30 is not divisible by PQ m=7 (index"
        + " IVF4,PQ7) (the input's first row has 30 components)"), run.errLines());
    assertNothingPublished(root, "v1");
  }

  @Test
  void unknownIndexType() {
    assertFails(ExitCodes.USAGE, good, "IVF64,HNSW", "l2", "'IVF64,HNSW'");
  }

  @Test
  void unknownMetric() {
    assertFails(ExitCodes.USAGE, good, "IVF4,Flat", "manhattan", "'manhattan'");
  }

  @Test
  void reRunWithTheSameInputAndParametersIsANoOp() throws IOException, InterruptedException {
    Path root = tmp.resolve("root");
    CliRun first = cli(build(good, root, "IVF4,Flat", "l2"));
    assertEquals(0, first.exitCode(), first.err());
    assertTrue(first.out().startsWith("published " + versionDir(root, "v1")), first.out());
    Manifest m = assertPublished(root, "v1", 1, false);
    assertEquals(N, m.count());
    Map<String, String> fingerprint = m.build().fingerprint();
    assertEquals("IVF4,Flat", fingerprint.get("index"));
    assertEquals("l2", fingerprint.get("metric"));
    assertEquals("3", fingerprint.get("seed"));
    assertEquals("1", fingerprint.get("inputFiles"), "one Parquet file (_SUCCESS and .crc skipped)");
    assertTrue(((String) fingerprint.get("inputListing")).matches("sha256:[0-9a-f]{64}"));
    Map<String, byte[]> before = filesUnder(root);

    // The same command again: no Spark job runs, nothing changes, one line says so.
    List<String> jobs = java.util.Collections.synchronizedList(new ArrayList<>());
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart e) {
        jobs.add(String.valueOf(e.properties().getProperty("spark.job.description")));
      }
    };
    spark.sparkContext().addSparkListener(listener);
    CliRun second;
    try {
      second = cli(build(good, root, "IVF4,Flat", "l2"));
      // Listener events arrive in order: once the marker job is seen, any job of the re-run was.
      spark.sparkContext().setJobDescription("marker");
      spark.range(1).count();
      spark.sparkContext().setJobDescription(null);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!jobs.contains("marker") && System.nanoTime() < deadline) {
        Thread.sleep(10); // poll
      }
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertEquals(0, second.exitCode(), second.err());
    assertEquals(List.of("already published " + versionDir(root, "v1") + " from the same input"
        + " and parameters: " + N + " items, IVF4,Flat, metric l2; nothing to do (LATEST names"
        + " it)"), second.out().lines().toList());
    assertTrue(jobs.contains("marker"), "marker job not seen: " + jobs);
    assertEquals(Set.of("marker"), Set.copyOf(jobs), "a re-run must not run Spark jobs");
    assertSameFiles(published(before), published(filesUnder(root)));
    assertFalse(spark.sparkContext().isStopped(), "the CLI must not stop a session it did not create");
  }

  @Test
  void publishedVersionIsNeverReplaced() throws IOException {
    Path root = tmp.resolve("root");
    CliRun first = cli(build(good, root, "IVF4,Flat", "l2"));
    assertEquals(0, first.exitCode(), first.err());
    Map<String, byte[]> before = filesUnder(root);

    // Same version id, other data and index type.
    String line = assertConflict(root, build(dim30, root, "IVF8,Flat", "ip"));
    assertTrue(line.contains("index IVF4,Flat, now IVF8,Flat"), line);
    assertTrue(line.contains("metric l2, now ip"), line);
    assertTrue(line.contains("input file:" + good + ", now file:" + dim30), line);
    // Same data, one parameter changed.
    line = assertConflict(root, build(good, root, "IVF4,Flat", "l2", "--train-points-per-list", "99"));
    assertTrue(line.contains("(pointsPerCentroid " + BuildConfig.DEFAULT_POINTS_PER_LIST + ", now 99)"),
        line);
    line = assertConflict(root, build(good, root, "IVF4,Flat", "l2", "--shards", "2"));
    assertTrue(line.contains("(shards 0, now 2)"), line);

    assertSameFiles(published(before), published(filesUnder(root)));
    assertFalse(spark.sparkContext().isStopped(), "the CLI must not stop a session it did not create");
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals("v1", index.version());
      assertEquals(N, index.count());
      assertEquals("IVF4,Flat", index.spec().toString());
    }
  }

  @Test
  void changedInputFilesAreAConflict() throws IOException {
    Path input = tmp.resolve("input");
    copyTree(Path.of(good), input);
    Path root = tmp.resolve("root");
    assertEquals(0, cli(build(input.toString(), root, "IVF4,Flat", "l2")).exitCode());
    Map<String, byte[]> before = filesUnder(root);
    // The same bytes, rewritten later: only the modification time tells.
    Path part;
    try (Stream<Path> s = Files.list(input)) {
      part = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Files.setLastModifiedTime(part, FileTime.fromMillis(
        Files.getLastModifiedTime(part).toMillis() + 60_000));
    String line = assertConflict(root, build(input.toString(), root, "IVF4,Flat", "l2"));
    assertTrue(line.contains("inputModified"), line);
    assertTrue(line.contains("inputListing sha256:"), line);
    // Another file beside it.
    Files.setLastModifiedTime(part, FileTime.fromMillis(
        Files.getLastModifiedTime(part).toMillis() - 60_000));
    assertEquals(0, cli(build(input.toString(), root, "IVF4,Flat", "l2")).exitCode(),
        "the original modification time again: the same input");
    Files.copy(part, input.resolve("part-extra.parquet"));
    line = assertConflict(root, build(input.toString(), root, "IVF4,Flat", "l2"));
    assertTrue(line.contains("inputFiles 1, now 2"), line);
    assertSameFiles(published(before), published(filesUnder(root)));
  }

  @Test
  void aDamagedOrForeignVersionDirectoryIsAConflict() throws IOException {
    Path root = tmp.resolve("root");
    Path v1 = versionDir(root, "v1");
    Files.createDirectories(v1);
    Files.writeString(v1.resolve("notes.txt"), "not an index");
    String line = assertConflict(root, build(good, root, "IVF4,Flat", "l2"));
    assertTrue(line.contains("has no manifest.json"), line);
    assertEquals(Set.of("notes.txt"), KilnTestData.list(v1));

    Files.writeString(v1.resolve("manifest.json"), "{ not json");
    line = assertConflict(root, build(good, root, "IVF4,Flat", "l2"));
    assertTrue(line.contains("has no valid manifest.json"), line);

    // A real version with a truncated shard.
    Path other = tmp.resolve("other");
    assertEquals(0, cli(build(good, other, "IVF4,Flat", "l2")).exitCode());
    Path shard = versionDir(other, "v1").resolve("shard-00000.kiln");
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, Arrays.copyOf(bytes, bytes.length - 1));
    line = assertConflict(other, build(good, other, "IVF4,Flat", "l2"));
    assertTrue(line.contains("is damaged: shard-00000.kiln has " + (bytes.length - 1)
        + " bytes, its manifest lists " + bytes.length), line);
    Files.delete(shard);
    line = assertConflict(other, build(good, other, "IVF4,Flat", "l2"));
    assertTrue(line.contains("shard-00000.kiln, which its manifest lists, is missing"), line);
    assertFalse(Files.exists(shard), "never repaired");
  }

  @Test
  void reRunCatchesUpLatestButNeverMovesItBack() throws IOException {
    Path root = tmp.resolve("root");
    assertEquals(0, cli(build("v1", good, root, "IVF4,Flat", "l2")).exitCode());
    assertEquals(0, cli(build("v2", good, root, "IVF4,Flat", "l2")).exitCode());
    assertEquals("v2\n", KilnTestData.latest(root));

    // v2 published before v1's re-run: LATEST stays.
    CliRun run = cli(build("v1", good, root, "IVF4,Flat", "l2"));
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("nothing to do (LATEST left at v2, published after it)"),
        run.out());
    assertEquals("v2\n", KilnTestData.latest(root));

    // A run that stopped between renaming v2 in and moving LATEST: the re-run completes it.
    Files.writeString(root.resolve("LATEST"), "v1\n");
    run = cli(build("v2", good, root, "IVF4,Flat", "l2"));
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("nothing to do (LATEST moved to it from v1)"), run.out());
    assertEquals("v2\n", KilnTestData.latest(root));

    // No LATEST at all.
    Files.delete(root.resolve("LATEST"));
    run = cli(build("v1", good, root, "IVF4,Flat", "l2"));
    assertTrue(run.out().contains("nothing to do (LATEST moved to it)"), run.out());
    assertEquals("v1\n", KilnTestData.latest(root));
    assertEquals(Set.of(), KilnTestData.list(root.resolve("_staging")), "staging leftovers");
  }

  @Test
  void staleStagingEntriesAreRemovedByTheNextBuild() throws IOException {
    Path root = tmp.resolve("root");
    Path staging = root.resolve("_staging");
    // What a killed build leaves behind: its staging directory and a LATEST temporary...
    Path dead = staging.resolve("v0-" + UUID.randomUUID());
    Files.createDirectories(dead.resolve("_attempts"));
    Files.writeString(dead.resolve("model.kiln"), "partial");
    Files.writeString(dead.resolve("_alive"), "");
    Files.writeString(dead.resolve("_attempts").resolve("shard-00000.kiln.attempt-7"), "partial");
    Path deadLatest = staging.resolve("LATEST-" + UUID.randomUUID());
    Files.writeString(deadLatest, "v0\n");
    // ...two hours ago, set through Hadoop as a build sees it on any file system.
    org.apache.hadoop.fs.FileSystem fs =
        org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext().hadoopConfiguration());
    long twoHoursAgo = System.currentTimeMillis() - Duration.ofHours(2).toMillis();
    try (Stream<Path> all = Stream.concat(Files.walk(dead), Stream.of(deadLatest))) {
      for (Path p : all.toList()) {
        fs.setTimes(new org.apache.hadoop.fs.Path(p.toUri()), twoHoursAgo, -1);
      }
    }
    // A build still running: its _alive file was rewritten a moment ago.
    Path live = staging.resolve("v9-" + UUID.randomUUID());
    Files.createDirectories(live);
    Files.writeString(live.resolve("model.kiln"), "partial");
    fs.setTimes(new org.apache.hadoop.fs.Path(live.resolve("model.kiln").toUri()), twoHoursAgo, -1);
    fs.setTimes(new org.apache.hadoop.fs.Path(live.toUri()), twoHoursAgo, -1);
    Files.writeString(live.resolve("_alive"), "");
    Set<String> leftovers = Set.of(dead.getFileName().toString(),
        deadLatest.getFileName().toString(), live.getFileName().toString());

    // A grace period longer than their age keeps them.
    CliRun run = cli(build("v1", good, root, "IVF4,Flat", "l2", "--staging-grace", "3h"));
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(leftovers, KilnTestData.list(staging));

    // The default (1h) removes what is older, and nothing else.
    run = cli(build("v2", good, root, "IVF4,Flat", "l2"));
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(Set.of(live.getFileName().toString()), KilnTestData.list(staging));
    assertEquals("v2\n", KilnTestData.latest(root));
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals("v2", index.version());
      assertEquals(N, index.count());
    }

    // With no grace at all, every other entry goes (only when no other build can be running).
    run = cli(build("v3", good, root, "IVF4,Flat", "l2", "--staging-grace", "0s"));
    assertEquals(0, run.exitCode(), run.err());
    assertPublished(root, "v3", 1, false);
  }

  @Test
  void stagingGraceMustBeADuration() {
    CliRun run = cli(build(good, tmp.resolve("root"), "IVF4,Flat", "l2", "--staging-grace", "soon"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertTrue(run.err().contains("'soon' is not a duration"), run.err());
    run = cli(build(good, tmp.resolve("root"), "IVF4,Flat", "l2", "--staging-grace", "PT-1H"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertTrue(run.err().contains("staging grace period must be zero or more"), run.err());
    assertNothingPublished(tmp.resolve("root"), "v1");
  }

  @Test
  void coarseTrainingMustBeAKnownMode() {
    CliRun run = cli(build(good, tmp.resolve("root"), "IVF4,Flat", "l2", "--coarse-training",
        "three-level"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertEquals(List.of("kiln: error: --coarse-training must be auto, flat or two-level, not"
        + " 'three-level'"), run.errLines());
    assertNothingPublished(tmp.resolve("root"), "v1");
  }

  /** A build that must end in a conflict: exit 4 and one error line, which it returns. */
  private static String assertConflict(Path root, String[] args) {
    CliRun run = cli(args);
    assertEquals(ExitCodes.CONFLICT, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), run.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("kiln: error: version v1 already exists at "
        + versionDir(root, "v1")), line);
    assertTrue(line.endsWith("published versions are never modified: choose another --version"),
        line);
    assertEquals("", run.out());
    return line;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  @Test
  void invalidRowsFailTheBuildByDefault() {
    String line = assertFails(ExitCodes.BAD_INPUT, twoShortRows, "IVF4,Flat", "l2",
        "2 of " + (N + 2) + " rows", "wrong dimension (expected 24)", "--max-reject-fraction");
    assertTrue(line.contains("id 1000001") || line.contains("id 1000002"), line);
  }

  @Test
  void everyKindOfInvalidRowIsCountedByReason() {
    assertFails(ExitCodes.BAD_INPUT, badRowsOfEveryKind, "IVF4,Flat", "l2",
        "6 of " + (N + 7) + " rows", "1 null id", "1 null embedding",
        "2 NaN or infinite value", "1 null value in embedding", "1 " + NORM_TOO_LARGE);
    assertFails(ExitCodes.BAD_INPUT, badRowsOfEveryKind, "IVF4,Flat", "cosine",
        "7 of " + (N + 7) + " rows", "1 zero vector (cosine)");
  }

  @Test
  void everyKindOfInvalidRowIsSetAsideWhenAllowed() throws IOException {
    Path root = tmp.resolve("root");
    CliRun run = cli(build(badRowsOfEveryKind, root, "IVF4,Flat", "l2",
        "--max-reject-fraction", "0.05"));
    assertEquals(0, run.exitCode(), run.err());
    Manifest m = assertPublished(root, "v1", 1, false);
    assertEquals(N + 1, m.count(), "the zero vector is valid under l2");
    Map<String, Long> reasons = Map.of("null id", 1L, "null embedding", 1L,
        "NaN or infinite value", 2L, "null value in embedding", 1L, NORM_TOO_LARGE, 1L);
    assertEquals(reasons, m.build().rejectReasons());
    Map<String, Long> inParquet = new TreeMap<>();
    for (Row r : rejects(root).select("reason").collectAsList()) {
      inParquet.merge(r.getString(0), 1L, Long::sum);
    }
    assertEquals(reasons, inParquet, "one row per reject in _rejects, with its reason");
  }

  @Test
  void invalidRowsWithinTheAllowedFractionAreSetAside() throws IOException {
    Path root = tmp.resolve("root");
    CliRun run = cli(build(twoShortRows, root, "IVF4,Flat", "l2", "--max-reject-fraction", "0.01"));
    assertEquals(0, run.exitCode(), run.err());
    Manifest m = assertPublished(root, "v1", 1, false);
    assertEquals(N, m.count());
    assertEquals(2L, m.build().rejected());
    assertEquals(Map.of("wrong dimension (expected 24)", 2L), m.build().rejectReasons());

    List<Row> rows = rejects(root).select("id", "reason", "embedding").collectAsList();
    Set<Long> ids = new TreeSet<>();
    for (Row r : rows) {
      ids.add(r.getLong(0));
      assertEquals("wrong dimension", r.getString(1));
      assertEquals(23, r.getList(2).size());
    }
    assertEquals(Set.of(1_000_001L, 1_000_002L), ids);
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals(N, index.count());
    }
  }

  @Test
  void inputWithoutRows() {
    String line = assertFails(ExitCodes.BAD_INPUT, noRows, "IVF4,Flat", "l2");
    assertEquals("kiln: error: input " + noRows + " has no rows", line);
    // Given the dimension, the build gets as far as counting, and says the same.
    CliRun run = cli(build(noRows, tmp.resolve("root"), "IVF4,Flat", "l2", "--dim", "24"));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    assertEquals(List.of(line), run.errLines());
  }

  @Test
  void inputWithoutEmbeddings() {
    String line = assertFails(ExitCodes.BAD_INPUT, noEmbeddings, "IVF4,Flat", "l2");
    assertEquals("kiln: error: input " + noEmbeddings + " has no rows with an embedding", line);
  }

  @Test
  void everyRowInvalid() throws IOException {
    String file;
    try (Stream<Path> s = Files.list(Path.of(allNaN))) {
      file = "file://" + s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    String line = assertFails(ExitCodes.BAD_INPUT, allNaN, "IVF4,Flat", "l2");
    assertEquals("kiln: error: 5 of 5 rows (100.00%) in " + allNaN + " are invalid, more than"
        + " --max-reject-fraction 0.0 allows: 5 NaN or infinite value; first: id 0 in " + file
        + ": NaN or infinite value", line);
    // Even when every row may be set aside, there must be something left to build.
    Path root = tmp.resolve("root");
    CliRun run = cli(build(allNaN, root, "IVF4,Flat", "l2", "--max-reject-fraction", "1"));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    assertEquals(List.of("kiln: error: all 5 rows in " + allNaN + " are invalid (5 NaN or"
        + " infinite value); first: id 0 in " + file + ": NaN or infinite value"), run.errLines());
    assertNothingPublished(root, "v1");
  }

  @Test
  void fewerRowsThanLists() {
    assertFails(ExitCodes.BAD_INPUT, good, "IVF1000,Flat", "l2", "IVF1000", "" + N);
  }

  @Test
  void zeroLists() {
    assertFails(ExitCodes.USAGE, good, "IVF0,Flat", "l2", "'IVF0,Flat'");
  }
}
