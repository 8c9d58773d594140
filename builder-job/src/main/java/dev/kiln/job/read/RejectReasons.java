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
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;

/**
 * Why a row is rejected: null when the row is valid, else the first reason that applies (null
 * id, null embedding, wrong dimension, a null value, NaN or infinite values, a norm past the
 * loader's query rule, and for cosine a zero vector). A row with both a null and a NaN value
 * counts as NaN.
 *
 * <p>Two forms of one rule: {@link #of} in plain Java, which the read pass applies to every row
 * as it decodes it, and {@link #column}, a Spark SQL column that only the {@code _rejects/} output
 * evaluates (when there are rejects). {@code RejectReasonsTest} holds them to the same answers.
 */
final class RejectReasons {
  static final String NULL_ID = "null id";
  static final String NULL_EMBEDDING = "null embedding";
  static final String WRONG_DIMENSION = "wrong dimension";
  static final String NULL_VALUE = "null value in embedding";
  static final String NAN_OR_INFINITE = "NaN or infinite value";
  static final String NORM_TOO_LARGE = "norm too large (distances overflow float)";
  static final String ZERO_COSINE = "zero vector (cosine)";

  private RejectReasons() {}

  /**
   * The reason for a row with this id (null or not) and vector, or null when it is valid. One
   * pass over the values, no boxing: the read pass calls it on every row.
   */
  static String of(boolean idNull, ArrayData v, int dim, Metric metric) {
    if (idNull) {
      return NULL_ID;
    }
    if (v == null) {
      return NULL_EMBEDDING;
    }
    if (v.numElements() != dim) {
      return WRONG_DIMENSION;
    }
    boolean hasNull = false;
    boolean nan = false;
    boolean infinite = false;
    float max = Float.NEGATIVE_INFINITY;
    float min = Float.POSITIVE_INFINITY;
    for (int i = 0; i < dim; i++) {
      if (v.isNullAt(i)) {
        hasNull = true;
        continue;
      }
      float x = v.getFloat(i);
      if (x != x) {
        nan = true;
      } else if (Float.isInfinite(x)) {
        infinite = true;
      } else {
        max = Math.max(max, x);
        min = Math.min(min, x);
      }
    }
    if (hasNull && !nan) {
      return NULL_VALUE;
    }
    if (nan || infinite) {
      return NAN_OR_INFINITE;
    }
    // Same arithmetic as the column: the bound first, the norm summed only past it.
    double bound = Math.max(Math.abs(max), Math.abs(min));
    if (bound * bound * dim > QueryCheck.MAX_SQUARED_NORM) {
      double s = 0;
      for (int i = 0; i < dim; i++) {
        double x = v.getFloat(i);
        s = s + x * x;
      }
      if (s > QueryCheck.MAX_SQUARED_NORM) {
        return NORM_TOO_LARGE;
      }
    }
    if (metric == Metric.COSINE && max == 0 && min == 0) {
      return ZERO_COSINE;
    }
    return null;
  }

  /** The reason column for rows with {@code id} and the float array column {@code vectorName}. */
  static Column column(Column id, String vectorName, int dim, Metric metric) {
    Column v = col(vectorName);
    // Built-ins run compiled on the raw array; a lambda (exists, aggregate) would box every
    // float. array_contains(v, NaN) is true when v holds a NaN, null when it holds a null and no
    // NaN.
    Column nan = array_contains(v, Float.NaN);
    Column max = array_max(v);
    Column min = array_min(v);
    // |x| <= max(|max|, |min|) bounds the squared norm by d times its square: only past that
    // bound (never for real embeddings) is the norm summed, by the one lambda left.
    Column bound = greatest(abs(max), abs(min)).cast(DataTypes.DoubleType);
    Column reason =
        when(id.isNull(), lit(NULL_ID))
            .when(v.isNull(), lit(NULL_EMBEDDING))
            .when(size(v).notEqual(dim), lit(WRONG_DIMENSION))
            .when(nan.isNull(), lit(NULL_VALUE))
            .when(nan.or(max.equalTo(Float.POSITIVE_INFINITY))
                .or(min.equalTo(Float.NEGATIVE_INFINITY)), lit(NAN_OR_INFINITE))
            // The loader's query rule (QueryCheck): beyond it, distances overflow float.
            .when(bound.multiply(bound).multiply(dim).gt(QueryCheck.MAX_SQUARED_NORM)
                    .and(squaredNorm(vectorName).gt(QueryCheck.MAX_SQUARED_NORM)),
                lit(NORM_TOO_LARGE));
    if (metric == Metric.COSINE) {
      reason = reason.when(max.equalTo(0).and(min.equalTo(0)), lit(ZERO_COSINE));
    }
    return reason;
  }

  private static Column squaredNorm(String vectorName) {
    return expr("aggregate(" + vectorName + ", 0D, (a, x) -> a + double(x) * double(x))");
  }
}
