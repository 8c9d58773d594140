package dev.kiln.it;

import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.latest;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.ExitCodes;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.search.KilnIndex;
import dev.kiln.testing.ChildKiln;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds given awkward input or options (issue 14, items 1, 2, 8, 10, 11, 13): every file at
 * any depth is read, Hive-style partitions included, and the fingerprint counts the same files;
 * a damaged page, a truncated file or a file that is not Parquet fails with exit 3 and one short
 * line naming the file, wherever it sits among good files; a bad option fails with exit 2 naming
 * it; a dimension no task can hold is refused with the figure it needs, and d = 4,096 builds in
 * a 1 GiB JVM. Nothing is published by a failure and LATEST stays.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuildFaultsTest {
  private static final int DIM = 16;
  /** Rows per file. */
  private static final int ROWS = 100;
  /** An error line longer than this is not "one short line". */
  private static final int MAX_LINE = 600;

  private SparkSession spark;
  private Path data;
  private int nextId;
  /** An index root with v0 published: failed builds must leave it exactly so. */
  private Path root;

  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) throws IOException {
    this.spark = spark;
    this.data = data;
    root = data.resolve("root");
    Path good = dir("good");
    parquetFile(good.resolve("a.parquet"));
    CliRun v0 = cli(build(good.toString(), root, "v0"));
    assertEquals(0, v0.exitCode(), v0.err());
  }

  private Path dir(String name) throws IOException {
    return Files.createDirectories(data.resolve(name));
  }

  /**
   * One Parquet file of ROWS fresh rows at {@code target}, uncompressed and without dictionary
   * encoding (so the floats lie plainly in the data page), with parquet-mr's default page CRCs.
   */
  private Path parquetFile(Path target) throws IOException {
    Long[] ids = new Long[ROWS];
    for (int i = 0; i < ROWS; i++) {
      ids[i] = (long) nextId++;
    }
    float[][] v = gaussian(new Random(nextId), ROWS, DIM, 1);
    Path out = data.resolve("_spark-" + nextId);
    spark.createDataFrame(KilnTestData.rows(ids, v, false),
            KilnTestData.schema("id", DataTypes.LongType, "embedding", KilnTestData.FLOAT_ARRAY))
        .coalesce(1).write().option("compression", "none")
        .option("parquet.enable.dictionary", "false").parquet(out.toString());
    Path part;
    try (Stream<Path> s = Files.list(out)) {
      part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst()
          .orElseThrow();
    }
    Files.createDirectories(target.getParent());
    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  /** A small build; options in {@code more} replace the defaults of the same name. */
  private static String[] build(String input, Path root, String version, String... more) {
    List<String> args = new ArrayList<>(List.of("build", "--input", input, "--output",
        root.toString(), "--version", version));
    List<String> given = List.of(more);
    String[] defaults = {"--index", "IVF2,Flat", "--kmeans-iterations", "2", "--eval-queries",
        "0"};
    for (int i = 0; i < defaults.length; i += 2) {
      if (!given.contains(defaults[i])) {
        args.addAll(List.of(defaults[i], defaults[i + 1]));
      }
    }
    args.addAll(given);
    return args.toArray(String[]::new);
  }

  /** The build fails with {@code exit} and one short line; nothing changed under the root. */
  private String assertFails(int exit, String input, String version, String... more)
      throws IOException {
    CliRun run = cli(build(input, root, version, more));
    assertEquals(exit, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), "one error line, got:\n" + run.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("kiln: error: "), line);
    assertTrue(line.length() <= MAX_LINE, line.length() + " characters: " + line);
    assertFalse(run.out().contains("published"), run.out());
    assertEquals("v0\n", latest(root), "LATEST unchanged");
    assertFalse(Files.exists(versionDir(root, version)), "versions/" + version);
    assertEquals(Set.of("v0"), KilnTestData.list(root.resolve(IndexLayout.VERSIONS)));
    Path staging = root.resolve(IndexLayout.STAGING);
    if (Files.exists(staging)) {
      assertEquals(Set.of(), KilnTestData.list(staging), "staging leftovers");
    }
    return line;
  }

  private static String uri(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri()).toString();
  }

  // ------------------------------------------------------------------ layouts (item 1)

  @Test
  void hivePartitionsTwoLevelsDeepBuildEveryRow() throws IOException {
    Path in = dir("partitioned");
    parquetFile(in.resolve("dt=2026-12-01/hour=00/part-00000.parquet"));
    parquetFile(in.resolve("dt=2026-12-01/hour=01/part-00000.parquet"));
    parquetFile(in.resolve("dt=2026-12-02/hour=00/part-00000.parquet"));
    parquetFile(in.resolve("dt=2026-12-02/hour=00/part-00001.parquet"));
    // What Hadoop and Spark leave beside data, never read: markers, hidden and temporary files.
    Files.writeString(in.resolve("_SUCCESS"), "");
    Files.writeString(in.resolve("dt=2026-12-01/.part-00000.parquet.crc"), "not parquet");
    parquetFile(in.resolve("_temporary/0/part-00009.parquet"));
    Path out = tmp.resolve("partitioned-root");
    CliRun run = cli(build(in.toString(), out, "v1"));
    assertEquals(0, run.exitCode(), run.err());
    Manifest m = assertPublished(out, "v1", 1, false);
    assertEquals(4 * ROWS, m.count(), "every row of the four data files");
    Map<String, String> fp = m.build().fingerprint();
    assertEquals("4", fp.get("inputFiles"));
    try (KilnIndex index = KilnIndex.open(out)) {
      assertEquals(4 * ROWS, index.count());
    }
  }

  @Test
  void filesAtTheTopAndInASubdirectoryAreAllRead() throws IOException {
    Path in = dir("mixed");
    parquetFile(in.resolve("top.parquet"));
    parquetFile(in.resolve("sub/more.parquet"));
    parquetFile(in.resolve("sub/deeper/most.parquet"));
    Path out = tmp.resolve("mixed-root");
    CliRun run = cli(build(in.toString(), out, "v1"));
    assertEquals(0, run.exitCode(), run.err());
    Manifest m = assertPublished(out, "v1", 1, false);
    assertEquals(3 * ROWS, m.count());
    assertEquals("3", m.build().fingerprint().get("inputFiles"));
  }

  @Test
  void anEmptyFileAmongGoodOnesIsNamed() throws IOException {
    Path in = dir("with-empty");
    parquetFile(in.resolve("a.parquet"));
    Path empty = Files.createFile(Files.createDirectories(in.resolve("sub")).resolve("b.parquet"));
    String line = assertFails(ExitCodes.BAD_INPUT, in.toString(), "v-empty");
    assertTrue(line.contains(uri(empty)) && line.contains("empty"), line);
  }

  // ------------------------------------------------------------------ damage (items 2, 8, 10)

  @Test
  void aDamagedDataPageFailsTheBuildNamingTheFile() throws IOException {
    Path in = dir("damaged");
    parquetFile(in.resolve("a.parquet"));
    Path bad = parquetFile(in.resolve("b.parquet"));
    // 400 bytes of finite floats in the middle of the embedding column's data page: decoded
    // without a checksum check, they are plausible vectors.
    ColumnChunkMetaData chunk;
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(bad.toUri()), new Configuration()))) {
      chunk = r.getFooter().getBlocks().get(0).getColumns().stream()
          .filter(c -> c.getPath().toDotString().startsWith("embedding")).findFirst()
          .orElseThrow();
    }
    assertTrue(chunk.getTotalSize() > 2000, "a data page large enough to hit its middle");
    ByteBuffer junk = ByteBuffer.allocate(400).order(ByteOrder.LITTLE_ENDIAN);
    Random rnd = new Random(7);
    while (junk.hasRemaining()) {
      junk.putFloat((float) rnd.nextGaussian());
    }
    try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
      f.seek(chunk.getStartingPos() + chunk.getTotalSize() / 2);
      f.write(junk.array());
    }
    String line = assertFails(ExitCodes.BAD_INPUT, in.toString(), "v-damaged");
    assertEquals("kiln: error: cannot read Parquet file " + uri(bad) + ": could not verify page"
        + " integrity, CRC checksum verification failed", line);
  }

  @Test
  void aTruncatedFileFailsAloneOrBesideGoodOnes() throws IOException {
    Path beside = dir("truncated-beside");
    parquetFile(beside.resolve("a.parquet"));
    parquetFile(beside.resolve("b.parquet"));
    Path bad = truncated(parquetFile(beside.resolve("c.parquet")));
    String line = assertFails(ExitCodes.BAD_INPUT, beside.toString(), "v-truncated");
    assertTrue(line.startsWith("kiln: error: cannot read Parquet file " + uri(bad) + ": "), line);
    assertTrue(line.contains("footer"), line);

    Path alone = dir("truncated-alone");
    Path only = truncated(parquetFile(alone.resolve("c.parquet")));
    line = assertFails(ExitCodes.BAD_INPUT, alone.toString(), "v-truncated");
    assertTrue(line.contains(uri(only)), line);
  }

  @Test
  void aFileThatIsNotParquetFailsWithOneShortLine() throws IOException {
    Path in = dir("not-parquet");
    parquetFile(in.resolve("a.parquet"));
    Path text = in.resolve("b.parquet");
    byte[] notes = new byte[5000];
    Arrays.fill(notes, (byte) 'x');
    Files.write(text, notes);
    String line = assertFails(ExitCodes.BAD_INPUT, in.toString(), "v-text");
    assertEquals("kiln: error: cannot read Parquet file " + uri(text) + ": the file is not a"
        + " Parquet file. Expected magic number at tail, but found [120, 120, 120, 120]", line);
  }

  // ------------------------------------------------------------------ options (item 13)

  @Test
  void optionErrorsNameTheOption() throws IOException {
    String good = data.resolve("good").toString();
    Map<String, List<String>> cases = new java.util.LinkedHashMap<>();
    cases.put("--shards must be 0 (the default: automatic) or more, not -1",
        List.of("--shards", "-1"));
    cases.put("--partitions must be", List.of("--partitions", "-2"));
    cases.put("--dim must be", List.of("--dim", "-1"));
    cases.put("--train-points-per-list must be positive, not 0",
        List.of("--train-points-per-list", "0"));
    cases.put("--kmeans-iterations must be positive, not 0", List.of("--kmeans-iterations", "0"));
    cases.put("--pq-train-points must be positive", List.of("--pq-train-points", "0"));
    cases.put("--pq-iterations must be positive", List.of("--pq-iterations", "-3"));
    cases.put("--max-reject-fraction must be in [0, 1], not 1.5",
        List.of("--max-reject-fraction", "1.5"));
    cases.put("--eval-queries must be", List.of("--eval-queries", "-1"));
    cases.put("--eval-k must be positive", List.of("--eval-k", "0"));
    cases.put("--at-nprobe must be positive", List.of("--at-nprobe", "0"));
    cases.put("--eval-nprobe values must be positive", List.of("--eval-nprobe", "4,0"));
    cases.put("--memory-budget: ", List.of("--memory-budget", "lots"));
    cases.put("--metric: unknown metric 'manhattan'", List.of("--metric", "manhattan"));
    for (Map.Entry<String, List<String>> c : cases.entrySet()) {
      String line = assertFails(ExitCodes.USAGE, good, "v-opt",
          c.getValue().toArray(String[]::new));
      assertTrue(line.startsWith("kiln: error: " + c.getKey()), c.getValue() + ": " + line);
    }
    // --index and --version are set by build(): given here in full.
    Map<String, List<String>> whole = Map.of(
        "--index", List.of("--index", "IVF0,Flat", "--version", "v-opt"),
        "--version", List.of("--index", "IVF2,Flat", "--version", "../up"));
    for (Map.Entry<String, List<String>> c : whole.entrySet()) {
      CliRun run = cli(concat(List.of("build", "--input", good, "--output", root.toString()),
          c.getValue()));
      assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
      assertEquals(1, run.errLines().size(), run.err());
      assertTrue(run.errLines().get(0).startsWith("kiln: error: " + c.getKey() + ": "),
          run.err());
      assertEquals("v0\n", latest(root));
    }
  }

  @Test
  void moreShardsThanRowsAreLoweredToTheRowCount() throws IOException {
    Path out = tmp.resolve("shards-root");
    CliRun run = cli(build(data.resolve("good").toString(), out, "v1", "--shards", "5000"));
    assertEquals(0, run.exitCode(), run.err());
    Manifest m = assertPublished(out, "v1", ROWS, false);
    assertEquals(ROWS, m.count());
  }

  // ------------------------------------------------------------------ dimension (item 11)

  @Test
  void aDimensionNoTaskCanHoldIsRefusedWithTheFigure() throws IOException {
    String good = data.resolve("good").toString();
    // 64 lists x 5 million dimensions: about 4.8 GiB of k-means state per task, more than the
    // test JVM's 3 GiB heap.
    String line = assertFails(ExitCodes.BAD_INPUT, good, "v-dim", "--dim", "5000000",
        "--index", "IVF64,Flat");
    assertTrue(line.contains("dimension 5000000 with 64 lists needs about 4.78 GiB")
        && line.contains("GiB per task (for k-means)") && line.contains("spark.executor.memory"),
        line);
    // Beyond what a Java array can index, whatever the heap.
    line = assertFails(ExitCodes.BAD_INPUT, good, "v-dim", "--dim", "40000000",
        "--index", "IVF64,Flat");
    assertTrue(line.contains("needs arrays of"), line);
  }

  @Test
  void aShardTableNoTaskCanHoldIsRefusedNamingShards() {
    // 40,000 x 65,536 list sizes: past an int index, and 39 GiB. Checked before training.
    InvalidOptionException e = org.junit.jupiter.api.Assertions.assertThrows(
        InvalidOptionException.class,
        () -> dev.kiln.job.plan.MemoryCheck.checkShards(spark.sparkContext(), 40_000, 65_536));
    assertTrue(e.getMessage().startsWith("--shards 40000 with 65536 lists needs a table of"
        + " 2,621,440,000 list sizes"), e.getMessage());
    dev.kiln.job.plan.MemoryCheck.checkShards(spark.sparkContext(), 64, 4096); // 4 MiB: fine
  }

  @Test
  void dimension4096BuildsInA1GiBJvm() throws Exception {
    Path in = data.resolve("d4096");
    int n = 300;
    int d = 4096;
    KilnTestData.writeVectors(spark, in, KilnTestData.longIds(n), gaussian(new Random(9), n, d, 1));
    Path out = tmp.resolve("d4096-root");
    // Its own JVM with -Xmx1g: less than the 1.5 GiB conf/spark-defaults.conf gives executors.
    ChildKiln.Child child = ChildKiln.start(tmp.resolve("d4096.log"), List.of(),
        "build", "--input", in.toString(), "--output", out.toString(), "--index", "IVF2,Flat",
        "--version", "v1", "--kmeans-iterations", "2", "--eval-queries", "20", "--master",
        "local[2]");
    assertEquals(0, child.waitFor(java.time.Duration.ofMinutes(3)), child.output());
    Manifest m = assertPublished(out, "v1", 1, false);
    assertEquals(n, m.count());
    assertEquals(d, m.dim());
  }

  private static String[] concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out.toArray(String[]::new);
  }

  /** Cuts the file to half its length. */
  private static Path truncated(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    return file;
  }
}
