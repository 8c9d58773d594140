package dev.kiln.job.read;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.array_min;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import dev.kiln.format.Metric;
import dev.kiln.search.QueryCheck;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;

/**
 * Why a row is rejected, as one column: null when the row is valid, else the first reason that
 * applies (null id, null embedding, wrong dimension, a null value, NaN or infinite values, a
 * norm past the loader's query rule, and for cosine a zero vector). A row with both a null and
 * a NaN value counts as NaN.
 */
final class RejectReasons {
  private RejectReasons() {}

  /** The reason column for rows with {@code id} and the float array column {@code vectorName}. */
  static Column column(Column id, String vectorName, int dim, Metric metric) {
    Column v = col(vectorName);
    // Spark evaluates lambdas (exists, aggregate) interpreted, boxing every float: they were
    // most of a 1M-row build's reading. These built-ins run compiled on the raw array instead.
    // array_contains(v, NaN) is true when v holds a NaN, null when it holds a null and no NaN.
    Column nan = array_contains(v, Float.NaN);
    Column max = array_max(v);
    Column min = array_min(v);
    // |x| <= max(|max|, |min|) bounds the squared norm by d times its square: only past that
    // bound (never for real embeddings) is the norm summed, by the one lambda left.
    Column bound = greatest(abs(max), abs(min)).cast(DataTypes.DoubleType);
    Column reason =
        when(id.isNull(), lit("null id"))
            .when(v.isNull(), lit("null embedding"))
            .when(size(v).notEqual(dim), lit("wrong dimension"))
            .when(nan.isNull(), lit("null value in embedding"))
            .when(nan.or(max.equalTo(Float.POSITIVE_INFINITY))
                .or(min.equalTo(Float.NEGATIVE_INFINITY)), lit("NaN or infinite value"))
            // The loader's query rule (QueryCheck): beyond it, distances overflow float.
            .when(bound.multiply(bound).multiply(dim).gt(QueryCheck.MAX_SQUARED_NORM)
                    .and(squaredNorm(vectorName).gt(QueryCheck.MAX_SQUARED_NORM)),
                lit("norm too large (distances overflow float)"));
    if (metric == Metric.COSINE) {
      reason = reason.when(max.equalTo(0).and(min.equalTo(0)), lit("zero vector (cosine)"));
    }
    return reason;
  }

  private static Column squaredNorm(String vectorName) {
    return expr("aggregate(" + vectorName + ", 0D, (a, x) -> a + double(x) * double(x))");
  }
}
