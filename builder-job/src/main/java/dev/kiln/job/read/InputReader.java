package dev.kiln.job.read;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.size;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.errors.KilnException;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.format.IdType;
import dev.kiln.format.Metric;
import java.util.List;
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
import org.apache.spark.storage.StorageLevel;

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
   * The validated input, read once: its valid items in canonical order, cached one
   * {@link ReadBlock} per partition ({@link #release} drops them); the rejects as a DataFrame
   * (id, embedding, file, reason) that reads the input again when written; what was counted; and
   * the ids found on more than one valid row (only ever non-zero under
   * {@link OnDuplicate#KEEP_ANY}, their extra rows counted in {@code rejects} and kept in the
   * blocks for {@code _rejects/}).
   */
  public record Input(JavaRDD<ReadBlock> blocks, Dataset<Row> rejected, IdType idType, int dim,
      int partitions, Rejects rejects, Duplicates duplicates) {
    /** The valid items, one per id, in canonical order (normalized for cosine). */
    public JavaRDD<Item> items() {
      return CanonicalOrder.items(blocks);
    }

    /** The rows left out of duplicated ids, as {@code _rejects/} rows. */
    public JavaRDD<Row> dropped() {
      return CanonicalOrder.dropped(blocks, idType == IdType.LONG);
    }

    /** Valid rows that will be built: one per id. */
    public long count() {
      return rejects.rows() - rejects.total();
    }

    /** Drops the cached blocks (blocking, so nothing is still freeing when Spark stops). */
    public void release() {
      blocks.unpersist(true);
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

    // The partition count from the row count in the files' footers (no data is read): invalid
    // rows included, so it is known before the one pass that checks, counts and orders them.
    long rows = raw.count();
    int partitions = cfg.partitions() > 0 ? cfg.partitions() : CanonicalOrder.partitions(rows, dim);
    boolean longIds = idType == IdType.LONG;
    Metric metric = cfg.metric();
    JavaRDD<Object> decoded = df.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(it -> new RowDecoder(it, longIds, dim, metric));
    JavaRDD<ReadBlock> blocks = CanonicalOrder.apply(decoded, metric, partitions,
        cfg.onDuplicate() == OnDuplicate.KEEP_ANY).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      ReadCounts counts = blocks.map(ReadBlock::counts).reduce(ReadCounts::merge);
      Rejects rejects = check(counts.rejects(dim));
      Duplicates dups = counts.duplicates();
      if (dups.ids() > 0) {
        if (cfg.onDuplicate() == OnDuplicate.FAIL) {
          throw new InvalidInputException(duplicatesMessage(idType, dups, counts.firstDupFiles()));
        }
        rejects = rejects.plus(CanonicalOrder.DUPLICATE_ID, dups.rows());
      }
      Dataset<Row> rejected = df.withColumn(REASON, RejectReasons.column(col(ID), VECTOR, dim,
          metric)).where(col(REASON).isNotNull());
      return new Input(blocks, rejected, idType, dim, partitions, rejects, dups);
    } catch (RuntimeException e) {
      blocks.unpersist(false);
      throw e;
    }
  }

  private Rejects check(Rejects rejects) {
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
    return rejects;
  }

  /**
   * "3 ids occur on more than one row in INPUT (4 rows too many): id 7 is on 3 rows, in FILE and
   * FILE; ..." The smallest such id, with the files the read pass saw it in.
   */
  private String duplicatesMessage(IdType idType, Duplicates dups, List<String> files) {
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
}
