package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.job.read.Item;
import dev.kiln.cli.KilnCli;
import dev.kiln.job.report.BuildReport;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.search.Neighbors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Shared support for the builder tests: seeded random data, Parquet fixtures written by Spark,
 * double-precision brute-force search, recall, a top-k comparison that forgives only genuine
 * near-ties, CLI runs with captured output, and looking at published versions on disk.
 */
public final class KilnTestData {
  /** Scores are compared within this relative tolerance (absolute below magnitude 1). */
  public static final double TOLERANCE = 1e-4;

  /** Suffixes that make string ids non-ASCII (2-, 3- and 4-byte UTF-8, Greek, German). */
  public static final String[] KEY_SUFFIXES = {"", "-é", "-日本語", "-😀", "-Ωμέγα", "-ß"};

  /**
   * index-format's checked-in v1 indexes (relative to builder-job, where the tests run): the
   * same small PQ index with long ids and with string ids.
   */
  public static final Path V1_FIXTURES = Path.of("../index-format/src/test/resources/fixtures/v1");
  public static final Path V1_LONG_IDS = V1_FIXTURES.resolve("long-ids");
  public static final Path V1_STRING_IDS = V1_FIXTURES.resolve("string-ids");
  /** The current format version's fixtures: what Kiln writes now (version 3). */
  public static final Path CURRENT_FIXTURES =
      Path.of("../index-format/src/test/resources/fixtures/v3");
  public static final Path CURRENT_LONG_IDS = CURRENT_FIXTURES.resolve("long-ids");

  private KilnTestData() {}

  // ------------------------------------------------------------------ random data

  public static float[][] gaussian(Random rnd, int n, int d, double sigma) {
    float[][] rows = new float[n][d];
    for (float[] row : rows) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) (sigma * rnd.nextGaussian());
      }
    }
    return rows;
  }

  /**
   * Gaussian blobs: {@code k} centres drawn N(0, spread^2) per coordinate, {@code perCluster}
   * points around each with noise N(0, sigma^2) per coordinate, interleaved (point i belongs to
   * cluster i % k).
   */
  public record Blobs(float[][] centers, float[][] points, int[] labels) {}

  public static Blobs blobs(Random rnd, int k, int perCluster, int d, double spread, double sigma) {
    float[][] centers = gaussian(rnd, k, d, spread);
    float[][] points = new float[k * perCluster][d];
    int[] labels = new int[points.length];
    for (int i = 0; i < points.length; i++) {
      int c = i % k;
      labels[i] = c;
      for (int j = 0; j < d; j++) {
        points[i][j] = (float) (centers[c][j] + sigma * rnd.nextGaussian());
      }
    }
    return new Blobs(centers, points, labels);
  }

  /** Distinct string ids, many of them non-ASCII. */
  public static String[] stringIds(int n) {
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = "item-" + i + KEY_SUFFIXES[i % KEY_SUFFIXES.length];
    }
    return out;
  }

  /** Distinct int64 ids spread over the whole range, negative ones and beyond 2^32 included. */
  public static Long[] longIds(int n) {
    Long[] out = new Long[n];
    for (int i = 0; i < n; i++) {
      out[i] = (i - n / 2) * 3_000_000_019L + 17;
    }
    return out;
  }

  public static Integer[] intIds(int n) {
    Integer[] out = new Integer[n];
    for (int i = 0; i < n; i++) {
      out[i] = i * 7 - 1000;
    }
    return out;
  }

  /** The vectors as Spark items (long ids 0..n-1), in {@code partitions} partitions. */
  public static JavaRDD<Item> items(SparkSession spark, float[][] vectors, int partitions) {
    List<Item> items = new ArrayList<>(vectors.length);
    for (int i = 0; i < vectors.length; i++) {
      items.add(new Item(i, null, vectors[i]));
    }
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(items, partitions);
  }

  // ------------------------------------------------------------------ Parquet fixtures

  public static StructType schema(String idName, DataType idType, String vectorName, DataType vectorType) {
    return new StructType(new StructField[] {
      DataTypes.createStructField(idName, idType, true),
      DataTypes.createStructField(vectorName, vectorType, true)
    });
  }

  public static final DataType FLOAT_ARRAY = DataTypes.createArrayType(DataTypes.FloatType);
  public static final DataType DOUBLE_ARRAY = DataTypes.createArrayType(DataTypes.DoubleType);

  /** Writes rows with Spark as one Parquet file in directory {@code dir}; returns its path. */
  public static String writeParquet(SparkSession spark, Path dir, StructType schema, List<Row> rows) {
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
    return dir.toString();
  }

  /** {@code (id, embedding)} rows: ids as given (Long, Integer, String...), vectors as floats or doubles. */
  public static List<Row> rows(Object[] ids, float[][] vectors, boolean doubles) {
    List<Row> rows = new ArrayList<>(vectors.length);
    for (int i = 0; i < vectors.length; i++) {
      rows.add(RowFactory.create(ids[i], boxed(vectors[i], doubles)));
    }
    return rows;
  }

  public static List<Object> boxed(float[] v, boolean doubles) {
    List<Object> out = new ArrayList<>(v.length);
    for (float x : v) {
      out.add(doubles ? (Object) (double) x : (Object) x);
    }
    return out;
  }

  /** The usual fixture: {@code id} long or string, {@code embedding} array<float>. */
  public static String writeVectors(SparkSession spark, Path dir, Object[] ids, float[][] vectors) {
    DataType idType = ids[0] instanceof String ? DataTypes.StringType
        : ids[0] instanceof Integer ? DataTypes.IntegerType : DataTypes.LongType;
    return writeParquet(spark, dir, schema("id", idType, "embedding", FLOAT_ARRAY),
        rows(ids, vectors, false));
  }

  // ------------------------------------------------------------------ brute force

  public static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  public static double squareDistance(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double t = (double) a[i] - b[i];
      s += t * t;
    }
    return s;
  }

  public static double norm(float[] a) {
    return Math.sqrt(dot(a, a));
  }

  /** The score Kiln reports for x against q: squared L2, inner product, or cosine. */
  public static double score(Metric metric, float[] q, float[] x) {
    return switch (metric) {
      case L2 -> squareDistance(q, x);
      case IP -> dot(q, x);
      case COSINE -> dot(q, x) / (norm(q) * norm(x));
    };
  }

  /** Exact top-k rows of {@code data} for q, best first, with their scores. */
  public record TopK(int[] rows, double[] scores) {}

  public static TopK exactTopK(Metric metric, float[][] data, float[] q, int k) {
    double[] s = new double[data.length];
    for (int i = 0; i < data.length; i++) {
      s[i] = score(metric, q, data[i]);
    }
    Comparator<Integer> best = metric.higherIsBetter()
        ? Comparator.comparingDouble((Integer i) -> -s[i])
        : Comparator.comparingDouble((Integer i) -> s[i]);
    int[] rows = IntStream.range(0, data.length).boxed().sorted(best.thenComparing(i -> i))
        .limit(k).mapToInt(Integer::intValue).toArray();
    double[] scores = Arrays.stream(rows).mapToDouble(i -> s[i]).toArray();
    return new TopK(rows, scores);
  }

  /** Maps each id, as {@link Neighbors#idString} prints it, to its row. */
  public static Map<String, Integer> rowOfId(Object[] ids) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      m.put(ids[i].toString(), i);
    }
    assertEquals(ids.length, m.size(), "ids must be distinct");
    return m;
  }

  /** The rows of a result, in order. */
  public static int[] rowsOf(Neighbors got, Map<String, Integer> rowOfId) {
    int[] out = new int[got.size()];
    for (int i = 0; i < out.length; i++) {
      Integer r = rowOfId.get(got.idString(i));
      if (r == null) {
        fail("result " + i + " has id " + got.idString(i) + ", which is not in the input");
      }
      out[i] = r;
    }
    return out;
  }

  public static double tolerance(double expected) {
    return TOLERANCE * Math.max(1, Math.abs(expected));
  }

  /**
   * The result equals the exact top-k: same rows in the same order and close scores. A different
   * row at a rank is accepted only when its exact score ties the expected one within tolerance.
   */
  public static void assertExactTopK(
      Metric metric, float[][] data, Map<String, Integer> rowOfId, float[] q, int k, Neighbors got) {
    TopK exact = exactTopK(metric, data, q, k);
    assertEquals(Math.min(k, data.length), got.size(), "result size");
    int[] rows = rowsOf(got, rowOfId);
    assertEquals(rows.length, Arrays.stream(rows).distinct().count(), "duplicate results");
    for (int i = 0; i < rows.length; i++) {
      double want = exact.scores()[i];
      assertEquals(want, got.scores()[i], tolerance(want), "score at rank " + i);
      if (rows[i] != exact.rows()[i]) {
        double other = score(metric, q, data[rows[i]]);
        assertEquals(want, other, tolerance(want),
            "rank " + i + ": row " + rows[i] + " instead of " + exact.rows()[i] + " (not a tie)");
      }
    }
  }

  /** |found ∩ exact| / |exact|. */
  public static double recall(int[] exact, int[] found) {
    Set<Integer> truth = new HashSet<>();
    for (int r : exact) {
      truth.add(r);
    }
    int hit = 0;
    for (int r : found) {
      if (truth.contains(r)) {
        hit++;
      }
    }
    return (double) hit / exact.length;
  }

  // ------------------------------------------------------------------ CLI

  /** One CLI run: exit code and what it printed. */
  public record CliRun(int exitCode, String out, String err) {
    public List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  /** Runs {@code KilnCli.execute} with System.out and System.err captured. */
  public static synchronized CliRun cli(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      try {
        code = KilnCli.execute(args);
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The exit code, one error line holding every {@code expected} text, no stack trace. */
  public static void assertOneLineError(CliRun r, int code, String... expected) {
    assertEquals(code, r.exitCode(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.errLines().get(0).startsWith("kiln: error: "), r.err());
    for (String e : expected) {
      assertTrue(r.err().contains(e), "'" + e + "' not in: " + r.err());
    }
  }

  // ------------------------------------------------------------------ published versions

  public static Path versionDir(Path root, String version) {
    return root.resolve(IndexLayout.versionDir(version));
  }

  public static Manifest readManifest(Path versionDir) throws IOException {
    Path p = versionDir.resolve(IndexLayout.MANIFEST);
    try (InputStream in = Files.newInputStream(p)) {
      return Manifest.read(in, p.toString());
    }
  }

  public static String latest(Path root) throws IOException {
    return Files.readString(root.resolve(IndexLayout.LATEST), StandardCharsets.UTF_8);
  }

  /** Every regular file under dir, by relative path, with its bytes (Spark's .crc files skipped). */
  public static Map<String, byte[]> filesUnder(Path dir) {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).filter(p -> !isChecksum(p)).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * The binary files of a version (model, shards, keys) with their bytes: {@link #filesUnder}
   * without the manifest and report.html, which carry timestamps and timings.
   */
  public static Map<String, byte[]> indexFilesUnder(Path versionDir) {
    Map<String, byte[]> files = filesUnder(versionDir);
    files.remove(IndexLayout.MANIFEST);
    files.remove(BuildReport.FILE_NAME);
    return files;
  }

  /** Same file names, and byte-identical contents. */
  public static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet(), "file names");
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      assertArrayEquals(e.getValue(), actual.get(e.getKey()), e.getKey() + " differs");
    }
  }

  /** Hadoop's local file system writes a hidden {@code .NAME.crc} beside each file it creates. */
  public static boolean isChecksum(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(".") && n.endsWith(".crc");
  }

  /** Names of the entries directly in dir, Hadoop's checksum files left out. */
  public static Set<String> list(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      Set<String> out = new java.util.TreeSet<>();
      s.filter(p -> !isChecksum(p)).forEach(p -> out.add(p.getFileName().toString()));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code ROOT/LATEST} names the version, whose directory holds exactly the manifest and the
   * files it lists (model first, then shards and keys), each of the size it records; no staging
   * directory is left behind. Returns the manifest.
   */
  public static Manifest assertPublished(Path root, String version, int shards, boolean keys)
      throws IOException {
    assertEquals(version + "\n", latest(root), "LATEST");
    Path dir = versionDir(root, version);
    Manifest m = readManifest(dir);
    assertEquals(version, m.version());
    assertEquals(shards, m.shards());
    List<String> expected = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      expected.add(ShardFile.fileName(s));
      if (keys) {
        expected.add(KeysFile.fileName(s));
      }
      if (m.spec().hasRefine()) {
        expected.add(dev.kiln.format.RefineFile.fileName(s));
      }
      if (m.spec().isGraph()) {
        expected.add(dev.kiln.format.GraphFile.fileName(s));
      }
    }
    expected.sort(Comparator.naturalOrder());
    expected.add(0, ModelFile.NAME);
    assertEquals(expected, m.files().stream().map(Manifest.FileEntry::name).toList(), "files");
    for (Manifest.FileEntry f : m.files()) {
      assertEquals(Files.size(dir.resolve(f.name())), f.bytes(), "size of " + f.name());
      assertTrue(f.crc32c().matches("[0-9a-f]{8}"), f.crc32c());
    }
    Set<String> onDisk = new java.util.TreeSet<>(expected);
    onDisk.add(IndexLayout.MANIFEST);
    onDisk.add(BuildReport.FILE_NAME);
    Set<String> actual = list(dir);
    actual.remove("_rejects");
    assertEquals(onDisk, actual, "files in " + dir);
    try (Stream<Path> all = Files.list(dir)) {
      List<String> sideFiles = all.filter(KilnTestData::isChecksum)
          .map(p -> p.getFileName().toString()).toList();
      assertEquals(List.of(), sideFiles, "Hadoop .crc side files in " + dir);
    }
    Path staging = root.resolve(IndexLayout.STAGING);
    if (Files.exists(staging)) {
      assertEquals(Set.of(), list(staging), "staging leftovers");
    }
    return m;
  }

  /** Nothing of {@code version} is visible under root, and no staging directory was left. */
  public static void assertNothingPublished(Path root, String version) {
    assertTrue(!Files.exists(root.resolve(IndexLayout.LATEST)), "LATEST must not exist");
    assertTrue(!Files.exists(versionDir(root, version)), "versions/" + version + " must not exist");
    Path staging = root.resolve(IndexLayout.STAGING);
    if (Files.exists(staging)) {
      assertEquals(Set.of(), list(staging), "staging leftovers");
    }
  }
}
