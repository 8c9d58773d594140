package dev.kiln.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** fvecs to Parquet: columns {@code id} (long, the row number) and {@code embedding} ({@code array<float>}). */
public final class Convert {
  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
  private static final int ROWS_PER_TASK = 50_000;
  private static final long TASK_BYTES = 64L << 20;

  private Convert() {}

  /**
   * Writes {@code out} (overwriting it). Each task reads its own range of rows from the file,
   * so the file must be readable where the executors run (always true in local mode).
   */
  public static long fvecsToParquet(SparkSession spark, Path fvecs, String out) throws IOException {
    return fvecsToParquet(spark, fvecs, out, Integer.MAX_VALUE);
  }

  /** {@link #fvecsToParquet(SparkSession, Path, String)} of the first {@code limit} rows only. */
  public static long fvecsToParquet(SparkSession spark, Path fvecs, String out, int limit)
      throws IOException {
    Vecs.Shape all = Vecs.shape(fvecs);
    Vecs.Shape shape = new Vecs.Shape(Math.min(limit, all.count()), all.dim());
    // A task holds its rows in the heap: fewer of them when they are wide.
    int perTask = (int) Math.max(1, Math.min(ROWS_PER_TASK, TASK_BYTES / shape.recordBytes()));
    List<int[]> ranges = new ArrayList<>();
    for (int from = 0; from < shape.count(); from += perTask) {
      ranges.add(new int[] {from, Math.min(perTask, shape.count() - from)});
    }
    String file = fvecs.toAbsolutePath().toString();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    var rows =
        jsc.parallelize(ranges, Math.max(1, ranges.size()))
            .flatMap(
                r -> {
                  float[][] v = Vecs.readFloats(Path.of(file), r[0], r[1]);
                  List<Row> out2 = new ArrayList<>(v.length);
                  for (int i = 0; i < v.length; i++) {
                    out2.add(RowFactory.create((long) (r[0] + i), v[i]));
                  }
                  return out2.iterator();
                });
    spark.createDataFrame(rows, SCHEMA).write().mode(SaveMode.Overwrite).parquet(out);
    return shape.count();
  }
}
