package dev.kiln.job.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.errors.KilnException;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read stage on its own: real Parquet written here, read by {@link InputReader} in local
 * Spark. Schema problems fail at once naming the column; each row problem is counted under its
 * reason; duplicate ids are found; the dimension comes from the first row; the input is listed
 * recursively.
 */
@ExtendWith(SparkExtension.class)
class InputReaderTest {
  private static final StructType LONG_FLOATS =
      KilnTestData.schema("id", DataTypes.LongType, "embedding", KilnTestData.FLOAT_ARRAY);

  @TempDir Path tmp;

  private static BuildConfig cfg(String input, Metric metric) {
    return BuildConfig.defaults(input, "/unused", "v1", IndexSpec.flat(2), metric);
  }

  private static Row row(Object id, Float... v) {
    return RowFactory.create(id, v == null ? null : Arrays.asList((Object[]) v));
  }

  private static List<Row> good(long from, int n) {
    List<Row> rows = new ArrayList<>();
    for (long i = from; i < from + n; i++) {
      rows.add(row(i, (float) i, 1f, 2f));
    }
    return rows;
  }

  private String write(SparkSession spark, String name, StructType schema, List<Row> rows) {
    return KilnTestData.writeParquet(spark, tmp.resolve(name), schema, rows);
  }

  private static KilnException badInput(Runnable r) {
    KilnException k = assertThrows(KilnException.class, r::run);
    assertInstanceOf(InvalidInputException.class, k, k.getMessage());
    return k;
  }

  @Test
  void aMissingColumnFailsNamingItAndTheOption(SparkSession spark) {
    String in = write(spark, "noVector", new StructType().add("id", DataTypes.LongType)
        .add("vec", KilnTestData.FLOAT_ARRAY), List.of(RowFactory.create(1L, List.of(1f))));
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().contains("has no column 'embedding'"), k.getMessage());
    assertTrue(k.getMessage().contains("--vector-column"), k.getMessage());
    assertTrue(k.getMessage().contains("columns: id, vec"), k.getMessage());

    // The same file read with the right column name is fine.
    BuildConfig named = cfg(in, Metric.L2).withColumns("id", "vec");
    assertEquals(1, new InputReader(spark, named).read().count());
  }

  @Test
  void wronglyTypedColumnsFailNamingTheTypes(SparkSession spark) {
    String doubleIds = write(spark, "doubleIds",
        KilnTestData.schema("id", DataTypes.DoubleType, "embedding", KilnTestData.FLOAT_ARRAY),
        List.of(RowFactory.create(1.0, List.of(1f))));
    KilnException k = badInput(() -> new InputReader(spark, cfg(doubleIds, Metric.L2)).read());
    assertTrue(k.getMessage().contains("column 'id'") && k.getMessage().contains("has type double")
        && k.getMessage().contains("expected long, int or string"), k.getMessage());

    String stringVectors = write(spark, "stringVectors",
        KilnTestData.schema("id", DataTypes.LongType, "embedding", DataTypes.StringType),
        List.of(RowFactory.create(1L, "1,2")));
    k = badInput(() -> new InputReader(spark, cfg(stringVectors, Metric.L2)).read());
    assertTrue(k.getMessage().contains("column 'embedding'")
        && k.getMessage().contains("has type string")
        && k.getMessage().contains("expected array<float> or array<double>"), k.getMessage());
  }

  @Test
  void aMissingPathIsBadInput(SparkSession spark) {
    String in = tmp.resolve("nothing-here").toString();
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().contains("not found"), k.getMessage());
  }

  @Test
  void idTypesAreLongForIntegersAndStringForStrings(SparkSession spark) {
    String ints = write(spark, "ints",
        KilnTestData.schema("id", DataTypes.IntegerType, "embedding", KilnTestData.DOUBLE_ARRAY),
        List.of(RowFactory.create(7, List.of(1.0, 2.0))));
    InputReader.Input a = new InputReader(spark, cfg(ints, Metric.L2)).read();
    assertEquals(IdType.LONG, a.idType());
    assertEquals(2, a.dim());
    String strings = write(spark, "strings",
        KilnTestData.schema("id", DataTypes.StringType, "embedding", KilnTestData.FLOAT_ARRAY),
        List.of(RowFactory.create("a", List.of(1f, 2f, 3f))));
    InputReader.Input b = new InputReader(spark, cfg(strings, Metric.L2)).read();
    assertEquals(IdType.STRING, b.idType());
    assertEquals(3, b.dim());
  }

  @Test
  void eachRejectReasonIsCounted(SparkSession spark) {
    List<Row> rows = new ArrayList<>(good(0, 20));
    rows.add(row(null, 1f, 1f, 1f));                                  // null id
    rows.add(row(100L, (Float[]) null));                              // null embedding
    rows.add(row(101L, 1f, 1f));                                      // wrong dimension
    rows.add(row(102L, 1f, 1f, 1f, 1f));                              // wrong dimension
    rows.add(row(103L, 1f, null, 1f));                                // null value
    rows.add(row(104L, Float.NaN, 1f, 1f));                           // NaN
    rows.add(row(105L, 1f, Float.POSITIVE_INFINITY, 1f));             // infinite
    rows.add(row(106L, 1e19f, 0f, 0f));                               // norm too large
    rows.add(row(107L, 0f, -0f, 0f));                                 // zero: only cosine
    rows.add(row(108L, 1f, Float.NEGATIVE_INFINITY, 1f));             // infinite
    rows.add(row(109L, null, Float.NaN, 1f));                         // null and NaN: NaN
    rows.add(row(110L, 6e18f, 1f, 1f)); // past the max-abs bound, yet a norm within the rule
    String in = write(spark, "rejects", LONG_FLOATS, rows);

    InputReader.Input l2 =
        new InputReader(spark, cfg(in, Metric.L2).withMaxRejectFraction(0.5)).read();
    Map<String, Long> expected = new TreeMap<>(Map.of(
        "null id", 1L, "null embedding", 1L, "wrong dimension (expected 3)", 2L,
        "null value in embedding", 1L, "NaN or infinite value", 4L,
        "norm too large (distances overflow float)", 1L));
    assertEquals(expected, new TreeMap<>(l2.rejects().byReason()));
    assertEquals(32, l2.rejects().rows());
    assertEquals(10, l2.rejects().total());
    assertEquals(22, l2.count());
    assertEquals(3, l2.dim());
    assertEquals(22, l2.items().count());
    assertEquals(10, l2.rejected().count());
    // The _rejects rows carry the reason the read pass counted them under: the SQL form of the
    // rule and the Java one agree row by row.
    Map<String, Long> written = new TreeMap<>();
    for (Row r : l2.rejected().groupBy(InputReader.REASON).count().collectAsList()) {
      written.put(r.getString(0).equals("wrong dimension") ? "wrong dimension (expected 3)"
          : r.getString(0), r.getLong(1));
    }
    assertEquals(expected, written);

    InputReader.Input cos =
        new InputReader(spark, cfg(in, Metric.COSINE).withMaxRejectFraction(0.5)).read();
    expected.put("zero vector (cosine)", 1L);
    assertEquals(expected, new TreeMap<>(cos.rejects().byReason()));
    assertEquals(21, cos.count());
  }

  @Test
  void moreRejectsThanAllowedFailWithTheSummary(SparkSession spark) {
    List<Row> rows = new ArrayList<>(good(0, 9));
    rows.add(row(50L, 1f));
    String in = write(spark, "tooMany", LONG_FLOATS, rows);
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().contains("1 of 10 rows") && k.getMessage().contains("1 wrong dimension"),
        k.getMessage());
    // Allowed: 10%.
    assertEquals(9, new InputReader(spark, cfg(in, Metric.L2).withMaxRejectFraction(0.1))
        .read().count());
  }

  @Test
  void allRowsInvalidOrNoRowsIsBadInput(SparkSession spark) {
    String all = write(spark, "allBad", LONG_FLOATS,
        List.of(row(1L, Float.NaN, 1f), row(2L, 1f, Float.NaN)));
    KilnException k = badInput(
        () -> new InputReader(spark, cfg(all, Metric.L2).withMaxRejectFraction(1.0)).read());
    assertTrue(k.getMessage().startsWith("all 2 rows"), k.getMessage());

    String empty = write(spark, "empty", LONG_FLOATS, List.of());
    k = badInput(() -> new InputReader(spark, cfg(empty, Metric.L2)).read());
    assertTrue(k.getMessage().contains("has no rows"), k.getMessage());
  }

  @Test
  void duplicateIdsFailByDefaultNamingTheFirstId(SparkSession spark) {
    List<Row> rows = new ArrayList<>(good(0, 10));
    rows.add(row(7L, 9f, 9f, 9f));
    rows.add(row(7L, 8f, 8f, 8f));
    rows.add(row(3L, 5f, 5f, 5f));
    String in = write(spark, "dupFail", LONG_FLOATS, rows);
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().startsWith("2 ids occur on more than one row"), k.getMessage());
    assertTrue(k.getMessage().contains("(3 rows too many)"), k.getMessage());
    assertTrue(k.getMessage().contains("id 3 is on 2 rows"), k.getMessage());
    assertTrue(k.getMessage().contains("part-"), k.getMessage());
  }

  @Test
  void duplicateIdsUnderKeepAnyAreCountedAsRejects(SparkSession spark) {
    List<Row> rows = new ArrayList<>(good(0, 10));
    rows.add(row(7L, 9f, 9f, 9f));
    rows.add(row(7L, 8f, 8f, 8f));
    rows.add(row(3L, 5f, 5f, 5f));
    String in = write(spark, "dupKeep", LONG_FLOATS, rows);
    InputReader.Input input = new InputReader(spark,
        cfg(in, Metric.L2).withOnDuplicate(OnDuplicate.KEEP_ANY)).read();
    assertEquals(new InputReader.Duplicates(2, 3, "3", 2), input.duplicates());
    assertEquals(Map.of(CanonicalOrder.DUPLICATE_ID, 3L), input.rejects().byReason());
    assertEquals(10, input.count());
    // One row per id among the items; the other three kept for _rejects.
    assertEquals(10, input.items().count());
    assertEquals(3, input.dropped().count());
  }

  @Test
  void stringDuplicatesAreFoundToo(SparkSession spark) {
    StructType schema =
        KilnTestData.schema("id", DataTypes.StringType, "embedding", KilnTestData.FLOAT_ARRAY);
    String in = write(spark, "dupStrings", schema, List.of(
        row("b", 1f), row("a", 2f), row("b", 3f)));
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().contains("id 'b' is on 2 rows"), k.getMessage());
  }

  @Test
  void theDimensionIsTakenFromTheFirstRowWithAnEmbedding(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    rows.add(row(0L, (Float[]) null));
    rows.add(row(1L, 1f, 2f, 3f, 4f));
    rows.addAll(good(10, 3)); // dimension 3: wrong here
    String in = write(spark, "firstDim", LONG_FLOATS, rows);
    InputReader.Input input =
        new InputReader(spark, cfg(in, Metric.L2).withMaxRejectFraction(0.9)).read();
    assertEquals(4, input.dim());
    assertEquals(1, input.count());
    assertEquals(3L, input.rejects().byReason().get("wrong dimension (expected 4)"));

    // An explicit dimension wins over the first row.
    InputReader.Input three = new InputReader(spark,
        cfg(in, Metric.L2).withDim(3).withMaxRejectFraction(0.9)).read();
    assertEquals(3, three.dim());
    assertEquals(3, three.count());
  }

  @Test
  void anEmptyFirstEmbeddingIsBadInput(SparkSession spark) {
    String in = write(spark, "emptyFirst", LONG_FLOATS, List.of(row(0L), row(1L, 1f)));
    KilnException k = badInput(() -> new InputReader(spark, cfg(in, Metric.L2)).read());
    assertTrue(k.getMessage().contains("first embedding") && k.getMessage().contains("empty"),
        k.getMessage());
  }

  @Test
  void filesAreReadAtAnyDepthAndHiddenOnesSkipped(SparkSession spark) throws Exception {
    Path root = tmp.resolve("tree");
    KilnTestData.writeParquet(spark, root.resolve("top"), LONG_FLOATS, good(0, 3));
    KilnTestData.writeParquet(spark, root.resolve("a/b/c"), LONG_FLOATS, good(100, 4));
    KilnTestData.writeParquet(spark, root.resolve("dt=1/hour=2"), LONG_FLOATS, good(200, 5));
    // Hidden: would be duplicates (and fail the build) if read.
    KilnTestData.writeParquet(spark, root.resolve("_tmp"), LONG_FLOATS, good(0, 3));
    KilnTestData.writeParquet(spark, root.resolve(".staging"), LONG_FLOATS, good(0, 3));
    Files.writeString(root.resolve("_SUCCESS_MARK"), "");

    InputFiles files = InputFiles.list(root.toString(), spark.sparkContext().hadoopConfiguration());
    for (var f : files.files()) {
      String rel = files.relative(f);
      assertTrue(!rel.startsWith("_") && !rel.startsWith(".") && rel.endsWith(".parquet"), rel);
    }
    assertEquals(3, files.files().size());

    InputReader.Input input = new InputReader(spark, cfg(root.toString(), Metric.L2)).read();
    assertEquals(12, input.count());
    TreeSet<Long> ids = new TreeSet<>();
    for (Item it : input.items().collect()) {
      ids.add(it.id());
    }
    assertEquals(12, ids.size());
    assertTrue(ids.containsAll(List.of(0L, 2L, 100L, 103L, 200L, 204L)), ids.toString());
  }
}
