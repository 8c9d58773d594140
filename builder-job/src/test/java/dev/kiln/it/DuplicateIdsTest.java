package dev.kiln.it;

import static dev.kiln.testing.KilnTestData.FLOAT_ARRAY;
import static dev.kiln.testing.KilnTestData.assertNothingPublished;
import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.assertSameFiles;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.indexFilesUnder;
import static dev.kiln.testing.KilnTestData.schema;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.ExitCodes;
import dev.kiln.format.Manifest;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --on-duplicate}: an id on more than one valid row fails the build by default, with one
 * line naming the id, how many ids are duplicated and the files; under {@code keep-any} one row
 * per id is kept, chosen from the rows' contents (the same whatever the files' order or number),
 * and the others go to {@code _rejects/} as "duplicate id", counted in the manifest.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DuplicateIdsTest {
  private static final int N = 400;
  private static final int DIM = 16;

  private SparkSession spark;
  private float[][] v;
  private Long[] ids;
  /** ids[5] with a second vector; ids[9] with an exact copy of its row and a third vector. */
  private float[] other5;
  private float[] other9;
  /** The N rows in one file, the three extra rows appended in a second. */
  private String twoFiles;
  /** The same rows shuffled into three files. */
  private String threeFiles;
  private String stringIds;

  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) {
    this.spark = spark;
    v = gaussian(new Random(1), N, DIM, 1);
    ids = KilnTestData.longIds(N);
    float[][] others = gaussian(new Random(2), 2, DIM, 1);
    other5 = others[0];
    other9 = others[1];
    StructType schema = schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY);
    List<Row> extra = List.of(
        RowFactory.create(ids[5], KilnTestData.boxed(other5, false)),
        RowFactory.create(ids[9], KilnTestData.boxed(v[9], false)),
        RowFactory.create(ids[9], KilnTestData.boxed(other9, false)));
    twoFiles = KilnTestData.writeVectors(spark, data.resolve("two-files"), ids, v);
    spark.createDataFrame(extra, schema).coalesce(1).write().mode("append").parquet(twoFiles);

    List<Row> shuffled = new ArrayList<>(KilnTestData.rows(ids, v, false));
    shuffled.addAll(extra);
    Collections.shuffle(shuffled, new Random(3));
    threeFiles = data.resolve("three-files").toString();
    spark.createDataFrame(shuffled, schema).repartition(3).write().parquet(threeFiles);

    String[] keys = KilnTestData.stringIds(N);
    keys[7] = keys[3];
    stringIds = KilnTestData.writeVectors(spark, data.resolve("string-ids"), keys, v);
  }

  private static String[] build(String input, Path root, String... more) {
    List<String> args = new ArrayList<>(List.of("build", "--input", input, "--output",
        root.toString(), "--index", "IVF4,Flat", "--version", "v1", "--kmeans-iterations", "4",
        "--seed", "3", "--eval-queries", "0"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Parquet files of an input directory as Spark names them (input_file_name()). */
  private static List<String> parquetFiles(String dir) throws IOException {
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      return s.filter(p -> p.toString().endsWith(".parquet"))
          .map(p -> "file://" + p.toAbsolutePath()).sorted().toList();
    }
  }

  @Test
  void duplicateIdsFailTheBuildByDefault() throws IOException {
    Path root = tmp.resolve("root");
    CliRun run = cli(build(twoFiles, root));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    List<String> files = parquetFiles(twoFiles);
    assertEquals(2, files.size());
    assertEquals(List.of("kiln: error: 2 ids occur on more than one row in " + twoFiles
        + " (3 rows too many): id " + ids[5] + " is on 2 rows, in " + files.get(0) + " and "
        + files.get(1) + "; --on-duplicate keep-any keeps one row per id"), run.errLines());
    assertNothingPublished(root, "v1");
  }

  @Test
  void duplicateStringIdsAreNamedQuoted() throws IOException {
    CliRun run = cli(build(stringIds, tmp.resolve("root"), "--on-duplicate", "fail"));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    assertEquals(List.of("kiln: error: 1 id occurs on more than one row in " + stringIds
        + " (1 row too many): id '" + KilnTestData.stringIds(N)[3] + "' is on 2 rows, in "
        + parquetFiles(stringIds).get(0) + "; --on-duplicate keep-any keeps one row per id"),
        run.errLines());
  }

  @Test
  void keepAnyKeepsTheSameRowWhateverTheFilesAndSetsTheOthersAside() throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    CliRun runA = cli(build(twoFiles, a, "--on-duplicate", "keep-any"));
    assertEquals(0, runA.exitCode(), runA.err());
    CliRun runB = cli(build(threeFiles, b, "--on-duplicate", "keep-any"));
    assertEquals(0, runB.exitCode(), runB.err());

    Manifest m = assertPublished(a, "v1", 1, false);
    assertEquals(N, m.count());
    assertEquals(3L, m.build().rejected());
    assertEquals(Map.of("duplicate id", 3L), m.build().rejectReasons());
    Map<String, String> fingerprint = m.build().fingerprint();
    assertEquals("keep-any", fingerprint.get("onDuplicate"));
    // Other files, other order, same rows: the same index, byte for byte.
    assertSameFiles(binaryFiles(a), binaryFiles(b));

    // The row kept is the one whose embedding sorts first; the others are in _rejects.
    float[] kept5 = lexicographicallyFirst(v[5], other5);
    float[] kept9 = lexicographicallyFirst(v[9], other9);
    List<List<Object>> expected = new ArrayList<>();
    expected.add(List.of(ids[5], boxed(kept5 == v[5] ? other5 : v[5])));
    expected.add(List.of(ids[9], boxed(v[9])));
    if (kept9 == v[9]) {
      expected.add(List.of(ids[9], boxed(other9)));
    } else {
      expected.add(List.of(ids[9], boxed(v[9])));
    }
    expected.sort(ROWS);
    for (Path root : List.of(a, b)) {
      List<List<Object>> got = new ArrayList<>();
      for (Row r : rejects(root)) {
        assertEquals("duplicate id", r.getString(r.fieldIndex("reason")));
        assertTrue(r.getString(r.fieldIndex("file")).startsWith("file:"), r.toString());
        got.add(List.of(r.getLong(r.fieldIndex("id")), r.getList(r.fieldIndex("embedding"))));
      }
      got.sort(ROWS);
      assertEquals(expected, got, "_rejects of " + root);
    }
    try (KilnIndex index = KilnIndex.open(a)) {
      assertEquals(N, index.count());
      SearchParams all = SearchParams.nprobe(4);
      for (Object[] idAndVector : new Object[][] {{ids[5], kept5}, {ids[9], kept9}}) {
        Neighbors n = index.search((float[]) idAndVector[1], 1, all);
        assertEquals(idAndVector[0], n.ids()[0]);
        assertEquals(0f, n.scores()[0], "the kept vector itself is in the index");
      }
    }

    // The policy is part of the fingerprint: the same version under the other policy conflicts.
    CliRun again = cli(build(twoFiles, a, "--on-duplicate", "fail"));
    assertEquals(ExitCodes.CONFLICT, again.exitCode(), again.err());
    assertTrue(again.err().contains("onDuplicate keep-any, now fail"), again.err());
  }

  @Test
  void unknownPolicyIsAUsageError() {
    CliRun run = cli(build(twoFiles, tmp.resolve("root"), "--on-duplicate", "keep-first"));
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertEquals(List.of("kiln: error: --on-duplicate must be fail or keep-any, not 'keep-first'"),
        run.errLines());
  }

  private static final java.util.Comparator<List<Object>> ROWS =
      java.util.Comparator.comparing((List<Object> r) -> (Long) r.get(0))
          .thenComparing(r -> r.get(1).toString());

  /** Model and shards, without _rejects (whose part names are random). */
  private static Map<String, byte[]> binaryFiles(Path root) {
    Map<String, byte[]> files = indexFilesUnder(versionDir(root, "v1"));
    files.keySet().removeIf(name -> name.startsWith("_rejects"));
    return files;
  }

  private static float[] lexicographicallyFirst(float[] x, float[] y) {
    return Arrays.compare(x, y) <= 0 ? x : y;
  }

  private static List<Object> boxed(float[] x) {
    return KilnTestData.boxed(x, false);
  }

  private List<Row> rejects(Path root) throws IOException {
    try (Stream<Path> files = Files.list(versionDir(root, "v1").resolve("_rejects"))) {
      String[] parts = files.map(Path::toString).filter(f -> f.endsWith(".parquet")).sorted()
          .toArray(String[]::new);
      assertFalse(parts.length == 0, "no Parquet files in _rejects");
      return spark.read().parquet(parts).collectAsList();
    }
  }
}
