package dev.kiln.job.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import dev.kiln.job.read.ReadFailures;
import dev.kiln.job.read.Item;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The queries a build evaluates with. Sampled from the input, each query is an indexed item and
 * is left out of its own answers (exact and approximate), so that finding itself does not count:
 * {@code selfIds}/{@code selfKeys} name it. Given as a file, queries exclude nothing.
 *
 * @param vectors one row per query, normalized for cosine like the indexed items
 * @param selfIds per query the long id to leave out (used when {@code selfKeys} is null and
 *     {@code leaveOneOut})
 * @param selfKeys per query the string id to leave out, for string-id indexes
 * @param leaveOneOut whether each query is an indexed item to leave out of its answers
 * @param source {@link dev.kiln.format.Quality#INPUT_SAMPLE} or the query file's URI
 */
public record QuerySet(
    float[][] vectors, long[] selfIds, String[] selfKeys, boolean leaveOneOut, String source)
    implements Serializable {

  public int size() {
    return vectors.length;
  }

  /** Whether item {@code (id, key)} is query {@code q} itself. */
  public boolean isSelf(int q, long id, String key) {
    if (!leaveOneOut) {
      return false;
    }
    return selfKeys != null ? selfKeys[q].equals(key) : selfIds[q] == id;
  }

  /** Up to {@code size} items of the input, sampled with {@code seed}. */
  public static QuerySet sample(JavaRDD<Item> items, int size, long seed, boolean stringIds) {
    List<Item> sample = items.takeSample(false, size, seed);
    float[][] v = new float[sample.size()][];
    long[] ids = new long[v.length];
    String[] keys = stringIds ? new String[v.length] : null;
    for (int i = 0; i < v.length; i++) {
      Item it = sample.get(i);
      v[i] = it.vector();
      ids[i] = it.id();
      if (keys != null) {
        keys[i] = it.key();
      }
    }
    return new QuerySet(v, ids, keys, true, dev.kiln.format.Quality.INPUT_SAMPLE);
  }

  /**
   * Every row of the Parquet at {@code uri}, column {@code column} (array of float or double,
   * {@code dim} values). A bad row fails the build: queries are few and chosen, so a bad one is
   * a mistake to report, not data to skip.
   */
  public static QuerySet read(SparkSession spark, String uri, String column, int dim, Metric metric) {
    Dataset<Row> raw;
    try {
      raw = dev.kiln.job.read.InputReader.parquet(spark).load(uri);
    } catch (Exception e) {
      KilnException k = ReadFailures.translate(e);
      if (k != null) {
        throw k;
      }
      throw new InvalidInputException("cannot read query Parquet at " + uri + ": "
          + ReadFailures.cap(ReadFailures.oneLine(e.getMessage()), ReadFailures.MAX_CAUSE));
    }
    StructField field = null;
    for (StructField f : raw.schema().fields()) {
      if (f.name().equals(column)) {
        field = f;
      }
    }
    if (field == null) {
      throw new InvalidInputException("queries " + uri + " have no column '" + column + "' (columns: "
          + String.join(", ", raw.schema().fieldNames()) + ")");
    }
    if (!(field.dataType() instanceof ArrayType a
        && (a.elementType().equals(DataTypes.FloatType)
            || a.elementType().equals(DataTypes.DoubleType)))) {
      throw new InvalidInputException("column '" + column + "' in queries " + uri + " has type "
          + field.dataType().simpleString() + "; expected array<float> or array<double>");
    }
    List<Row> rows = raw.select(
            col(column).cast(DataTypes.createArrayType(DataTypes.DoubleType)), input_file_name())
        .collectAsList();
    if (rows.isEmpty()) {
      throw new InvalidInputException("queries " + uri + " have no rows");
    }
    float[][] v = new float[rows.size()][];
    for (int i = 0; i < v.length; i++) {
      Row r = rows.get(i);
      String where = "query row " + i + " (" + r.getString(1) + ", column '" + column + "')";
      if (r.isNullAt(0)) {
        throw new InvalidInputException(where + " is null");
      }
      List<Double> x = r.getList(0);
      if (x.size() != dim) {
        throw new InvalidInputException(where + " has " + x.size() + " values; the index has dimension " + dim);
      }
      float[] q = new float[dim];
      for (int j = 0; j < dim; j++) {
        Double e = x.get(j);
        if (e == null || !Double.isFinite(e)) {
          throw new InvalidInputException(where + " holds " + e + " at position " + j);
        }
        q[j] = (float) (double) e;
      }
      if (metric == Metric.COSINE) {
        IndexModel.normalize(q, 0, dim);
      }
      v[i] = q;
    }
    return new QuerySet(v, null, null, false, uri);
  }
}
