package dev.kiln.job.read;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.errors.KilnException;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.format.IdType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads {@code (id, embedding)} rows from Parquet and sorts them into valid items and rejects.
 * Schema problems (missing path, missing or wrongly typed columns) fail at once with a message
 * naming the input and the column; row problems (null id or vector, wrong dimension, a null
 * value inside the vector, NaN or infinity, zero vector under cosine) are counted per reason and
 * set aside.
 */
public final class InputReader {
  /** Column names of the normalized input: id, embedding, source file, reject reason. */
  static final String ID = "id";
  static final String VECTOR = "embedding";
  static final String FILE = "file";
  public static final String REASON = "reason";
  /** Files named in the duplicate-id message at most. */
  private static final int MAX_FILES_NAMED = 3;

  private final SparkSession spark;
  private final BuildConfig cfg;
  private final InputFiles files;

  /**
   * The validated input: valid rows, the rejects as a DataFrame (id, embedding, file, reason),
   * what was seen, and the ids found on more than one valid row (only ever non-zero under
   * {@link OnDuplicate#KEEP_ANY}; their extra rows are counted in {@code rejects} and set aside
   * by {@link CanonicalOrder}).
   */
  public record Input(Dataset<Row> valid, Dataset<Row> rejected, IdType idType, int dim,
      Rejects rejects, Duplicates duplicates) {
    /** Valid rows, vectors as read; with their file when {@code withFiles}. */
    JavaRDD<InputRow> rows(boolean withFiles) {
      boolean longIds = idType == IdType.LONG;
      // The file column only when needed: converted for every row, it is not free.
      Dataset<Row> rows = withFiles ? valid.select(ID, VECTOR, FILE) : valid.select(ID, VECTOR);
      return rows.javaRDD().map(row -> new InputRow(toItem(row, longIds),
          withFiles ? row.getString(2) : null));
    }

    /** Valid rows that will be built: one per id. */
    public long count() {
      return rejects.rows() - rejects.total();
    }
  }

  /**
   * Ids on more than one valid row: how many, how many rows beyond the first of each, and the
   * smallest such id with its number of rows (for the message).
   */
  public record Duplicates(long ids, long rows, String firstId, long firstRows) {
    static final Duplicates NONE = new Duplicates(0, 0, null, 0);
  }

  public InputReader(SparkSession spark, BuildConfig cfg) {
    this(spark, cfg, InputFiles.list(cfg.input(), spark.sparkContext().hadoopConfiguration()));
  }

  /** A reader of exactly {@code files} (the listing the build fingerprint was made from). */
  public InputReader(SparkSession spark, BuildConfig cfg, InputFiles files) {
    this.spark = spark;
    this.cfg = cfg;
    this.files = files;
  }

  /**
   * Reads and validates the input (one pass to count). A file Spark cannot read is bad input
   * naming the file ({@link ReadFailures}); the returned datasets read the input again later, so
   * callers translate those failures too.
   */
  public Input read() {
    return read(dim -> {});
  }

  /**
   * {@link #read()}, calling {@code onDimension} once the dimension is known and before the
   * input is read in full (the orchestrator checks there that one task can hold the model).
   */
  public Input read(IntConsumer onDimension) {
    try {
      return validate(onDimension);
    } catch (Exception e) {
      // SparkException is checked in Java's eyes but thrown undeclared.
      KilnException k = ReadFailures.translate(e);
      if (k != null) {
        throw k;
      }
      throw e;
    }
  }

  private Input validate(IntConsumer onDimension) {
    Dataset<Row> raw = openParquet();
    StructType schema = raw.schema();
    IdType idType = idType(schema);
    checkVectorColumn(schema);

    Column id = col(cfg.idColumn());
    Dataset<Row> df =
        raw.select(
            (idType == IdType.LONG ? id.cast(DataTypes.LongType) : id).as(ID),
            col(cfg.vectorColumn()).cast(DataTypes.createArrayType(DataTypes.FloatType)).as(VECTOR),
            input_file_name().as(FILE));
    int dim = cfg.dim() > 0 ? cfg.dim() : firstDimensionInSmallBatches(df);
    try {
      if (cfg.spec() != null) {
        cfg.spec().checkDimension(dim);
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidOptionException(e.getMessage());
    }
    onDimension.accept(dim);
    limitReaderBatch(dim);

    Column reason = RejectReasons.column(col(ID), VECTOR, dim, cfg.metric());
    df = df.withColumn(REASON, reason);

    Counts counts = countRows(df, dim);
    Rejects rejects = counts.invalid();
    if (rejects.rows() == 0) {
      throw new InvalidInputException("input " + cfg.input() + " has no rows");
    }
    if (rejects.total() > 0 && rejects.fraction() > cfg.maxRejectFraction()) {
      throw new InvalidInputException(
          String.format(
              "%d of %d rows (%.2f%%) in %s are invalid, more than --max-reject-fraction %s"
                  + " allows: %s; first: %s",
              rejects.total(), rejects.rows(), 100 * rejects.fraction(), cfg.input(),
              cfg.maxRejectFraction(), rejects.summary(), rejects.firstExample()));
    }
    if (rejects.total() == rejects.rows()) {
      throw new InvalidInputException(String.format("all %d rows in %s are invalid (%s); first: %s",
          rejects.rows(), cfg.input(), rejects.summary(), rejects.firstExample()));
    }
    Duplicates dups = counts.duplicates();
    if (dups.ids() > 0) {
      if (cfg.onDuplicate() == OnDuplicate.FAIL) {
        throw new InvalidInputException(duplicatesMessage(df, idType, dups));
      }
      rejects = rejects.plus(CanonicalOrder.DUPLICATE_ID, dups.rows());
    }
    Dataset<Row> valid = df.where(col(REASON).isNull()).select(ID, VECTOR, FILE);
    Dataset<Row> rejected = df.where(col(REASON).isNotNull());
    return new Input(valid, rejected, idType, dim, rejects, dups);
  }

  /**
   * "3 ids occur on more than one row in INPUT (4 rows too many): id 7 is on 3 rows, in FILE and
   * FILE; ..." The files come from one more, filtered, look at the input: only on failure.
   */
  private String duplicatesMessage(Dataset<Row> df, IdType idType, Duplicates dups) {
    Object id = idType == IdType.LONG ? (Object) Long.parseLong(dups.firstId()) : dups.firstId();
    List<String> files = new ArrayList<>();
    for (Row r : df.where(col(REASON).isNull().and(col(ID).equalTo(lit(id)))).select(FILE)
        .distinct().orderBy(FILE).limit(MAX_FILES_NAMED + 1).collectAsList()) {
      files.add(r.getString(0));
    }
    String in = files.size() > MAX_FILES_NAMED
        ? String.join(", ", files.subList(0, MAX_FILES_NAMED)) + " and more"
        : files.size() == 1 ? files.get(0)
        : String.join(", ", files.subList(0, files.size() - 1)) + " and " + files.get(files.size() - 1);
    String shown = idType == IdType.LONG ? dups.firstId() : "'" + dups.firstId() + "'";
    return String.format("%d %s on more than one row in %s (%d %s too many): id %s is on %d rows,"
            + " in %s; --on-duplicate keep-any keeps one row per id", dups.ids(),
        dups.ids() == 1 ? "id occurs" : "ids occur", cfg.input(), dups.rows(),
        dups.rows() == 1 ? "row" : "rows", shown, dups.firstRows(), in);
  }

  private Dataset<Row> openParquet() {
    if (files.files().isEmpty()) {
      throw new InvalidInputException("input " + cfg.input() + " holds no data files (names"
          + " starting with _ or . are skipped)");
    }
    Dataset<Row> df;
    try {
      df = parquet(spark).load(cfg.input());
    } catch (Exception e) {
      KilnException k = ReadFailures.translate(e);
      if (k != null) {
        throw k;
      }
      // Spark declares no checked exception here but throws AnalysisException for unreadable input.
      String msg = e instanceof AnalysisException a ? a.getSimpleMessage() : e.getMessage();
      throw new InvalidInputException("cannot read Parquet at " + cfg.input() + ": "
          + ReadFailures.cap(ReadFailures.oneLine(msg), ReadFailures.MAX_CAUSE));
    }
    files.checkSameAs(List.of(df.inputFiles()), cfg.input());
    return df;
  }

  /**
   * How Kiln reads Parquet. Every file at any depth: Spark alone reads only the top level of a
   * directory unless it finds Hive-style partitions (and then fails on a mix of the two), so
   * files in subdirectories were silently left out. Page checksums verified: without that, bytes
   * damaged on disk are decoded as vectors and indexed. The options travel with the read to
   * every executor, whatever session runs it.
   */
  public static DataFrameReader parquet(SparkSession spark) {
    return spark.read().format("parquet").option("recursiveFileLookup", "true")
        .option(VERIFY_CHECKSUMS, "true");
  }

  /** parquet-mr's switch for checking each page's CRC (written by default) when reading. */
  public static final String VERIFY_CHECKSUMS = "parquet.page.verify-checksum.enabled";

  private IdType idType(StructType schema) {
    DataType t = field(schema, cfg.idColumn(), "--id-column").dataType();
    if (t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.ShortType)) {
      return IdType.LONG;
    }
    if (t.equals(DataTypes.StringType)) {
      return IdType.STRING;
    }
    throw new InvalidInputException(
        "column '" + cfg.idColumn() + "' in " + cfg.input() + " has type " + t.simpleString()
            + "; expected long, int or string");
  }

  private void checkVectorColumn(StructType schema) {
    DataType t = field(schema, cfg.vectorColumn(), "--vector-column").dataType();
    if (t instanceof ArrayType a
        && (a.elementType().equals(DataTypes.FloatType)
            || a.elementType().equals(DataTypes.DoubleType))) {
      return;
    }
    throw new InvalidInputException(
        "column '" + cfg.vectorColumn() + "' in " + cfg.input() + " has type " + t.simpleString()
            + "; expected array<float> or array<double>");
  }

  private StructField field(StructType schema, String name, String option) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new InvalidInputException(
        "input " + cfg.input() + " has no column '" + name + "' (columns: "
            + String.join(", ", schema.fieldNames()) + "); name it with " + option);
  }

  private int firstDimension(Dataset<Row> df) {
    List<Row> first = df.where(col(VECTOR).isNotNull()).select(size(col(VECTOR))).takeAsList(1);
    if (first.isEmpty()) {
      throw new InvalidInputException("input " + cfg.input() + " has no rows"
          + (df.takeAsList(1).isEmpty() ? "" : " with an embedding"));
    }
    int d = first.get(0).getInt(0);
    if (d < 1) {
      throw new InvalidInputException("the first embedding in " + cfg.input() + " is empty");
    }
    return d;
  }

  /**
   * {@link #firstDimension} with reader batches of a few rows: the dimension is not known yet,
   * and even one row is taken by decoding a whole batch (4,096 rows of d = 100,000: 1.6 GB).
   * The batch size is read when the query is planned, so it is restored right after.
   */
  private int firstDimensionInSmallBatches(Dataset<Row> df) {
    String was = spark.conf().get(READER_BATCH, null);
    spark.conf().set(READER_BATCH, 16);
    try {
      return firstDimension(df);
    } finally {
      if (was == null) {
        spark.conf().unset(READER_BATCH);
      } else {
        spark.conf().set(READER_BATCH, was);
      }
    }
  }

  /** Spark's vectorized Parquet reader decodes this many rows per batch (4,096 by default). */
  static final String READER_BATCH = "spark.sql.parquet.columnarReaderBatchSize";
  /** Bytes of vectors one reader batch may hold. */
  static final long READER_BATCH_BYTES = 64L << 20;

  /**
   * Above d = 4,096 a batch of 4,096 rows is more than 64 MiB per task (1.6 GB at d = 100,000):
   * lower the session's batch size so a batch stays within that. It is read when a query is
   * planned, so it holds for every later read of the input; it is only ever lowered.
   */
  private void limitReaderBatch(int dim) {
    int current = Integer.parseInt(spark.conf().get(READER_BATCH, "4096"));
    int rows = (int) Math.max(1, READER_BATCH_BYTES / (4L * dim));
    if (rows < current) {
      spark.conf().set(READER_BATCH, rows);
    }
  }

  /** Invalid rows per reason, and duplicated ids among the valid rows. */
  private record Counts(Rejects invalid, Duplicates duplicates) {}

  /**
   * One aggregation over the input: rows per (reason, id), shuffled by id, then per reason. The
   * first level is what finds ids on more than one valid row, distributed; its cost over a plain
   * count by reason is one shuffle of the ids (not the vectors).
   */
  private static Counts countRows(Dataset<Row> df, int dim) {
    Column dup = col(REASON).isNull().and(col("n").gt(1));
    List<Row> perReason = df.groupBy(col(REASON), col(ID)).agg(count(lit(1)).as("n"))
        .groupBy(col(REASON))
        .agg(sum(col("n")), count(when(dup, lit(1))), sum(when(dup, col("n").minus(1))),
            min(when(dup, struct(col(ID), col("n")))))
        .collectAsList();
    long rows = 0;
    long total = 0;
    Map<String, Long> byReason = new TreeMap<>();
    Duplicates dups = Duplicates.NONE;
    for (Row r : perReason) {
      long n = r.getLong(1);
      rows += n;
      if (!r.isNullAt(0)) {
        byReason.put(r.getString(0), n);
        total += n;
      } else if (r.getLong(2) > 0) {
        Row first = r.getStruct(4);
        dups = new Duplicates(r.getLong(2), r.getLong(3), String.valueOf(first.get(0)),
            first.getLong(1));
      }
    }
    if (byReason.containsKey("wrong dimension")) {
      byReason.put("wrong dimension (expected " + dim + ")", byReason.remove("wrong dimension"));
    }
    String example = null;
    if (total > 0) {
      Row r = df.where(col(REASON).isNotNull()).select(ID, FILE, REASON).first();
      example = "id " + (r.isNullAt(0) ? "null" : r.get(0)) + " in " + r.getString(1) + ": "
          + r.getString(2);
    }
    return new Counts(new Rejects(total, rows, byReason, example), dups);
  }

  private static Item toItem(Row row, boolean longIds) {
    List<Float> v = row.getList(1);
    float[] x = new float[v.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = v.get(i);
    }
    return longIds ? new Item(row.getLong(0), null, x) : new Item(0, row.getString(0), x);
  }
}
