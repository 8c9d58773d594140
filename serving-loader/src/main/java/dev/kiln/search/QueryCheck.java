package dev.kiln.search;

import java.nio.file.Path;
import java.util.Locale;

/**
 * What a query (or an upserted vector) must be for its distances to be numbers: every component
 * finite, and a squared norm of at most {@link #MAX_SQUARED_NORM} = {@code Float.MAX_VALUE / 4}
 * (about 8.5e37: each component at most about 9.2e18 in magnitude).
 *
 * <p>Why that bound: the kernels sum in float, and for two vectors a and b, {@code ||a - b||^2 <=
 * 2 ||a||^2 + 2 ||b||^2} and {@code |a.b| <= ||a|| ||b||} bound every partial sum too; so two
 * vectors within the bound have a finite L2 distance and inner product. A query of NaN would
 * match nothing, one of infinities would score every item infinite (arbitrary ids), and a query
 * of 3e38 values overflows to infinity and then NaN inside the sums (fewer results than k).
 *
 * <p>Cost: one pass over the query, one multiply-add per component in double, and no branch per
 * component (NaN and infinity propagate into the sum; the component is looked for only to word
 * the error). The sum in double cannot itself overflow for float inputs.
 */
public final class QueryCheck {
  /** The largest squared norm accepted: {@code Float.MAX_VALUE / 4}. */
  public static final double MAX_SQUARED_NORM = Float.MAX_VALUE / 4.0;

  private QueryCheck() {}

  /**
   * Throws {@link IllegalArgumentException} when {@code v} holds a NaN or infinite component, or
   * its squared norm exceeds {@link #MAX_SQUARED_NORM}. {@code what} names it in the message
   * ("query", "query 3", "vector").
   *
   * @param v the vector to check; not modified
   * @param what how the error message names it
   */
  public static void check(float[] v, String what) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    if (!(s <= MAX_SQUARED_NORM)) {
      throw new IllegalArgumentException(problem(v, s, what));
    }
  }

  /**
   * Throws {@link IllegalArgumentException} when {@code filter} is for the other kind of id than
   * the index at {@code index} has ({@link IdFilter#ids} for int64 ids, {@link IdFilter#keys} for
   * string ids); a null filter fits every index.
   *
   * @param filter the query's filter, or null
   * @param stringIds whether the index has string ids
   * @param index the index's directory, named in the message
   */
  public static void checkFilter(IdFilter filter, boolean stringIds, Path index) {
    if (filter instanceof IdFilter.OnIds && stringIds) {
      throw new IllegalArgumentException(
          "index " + index + " has string ids: filter with IdFilter.keys, not IdFilter.ids");
    }
    if (filter instanceof IdFilter.OnKeys && !stringIds) {
      throw new IllegalArgumentException(
          "index " + index + " has int64 ids: filter with IdFilter.ids, not IdFilter.keys");
    }
  }

  /**
   * The checks every search makes of its arguments: {@code query} not null, of {@code dim}
   * components, {@link #check checked}, and {@code k} at least 1.
   */
  static void checkArguments(float[] query, int k, String what, int dim) {
    if (query == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    if (query.length != dim) {
      throw new IllegalArgumentException(
          what + " has " + query.length + " dimensions, the index has " + dim);
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    check(query, what);
  }

  private static String problem(float[] v, double s, String what) {
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        return what + " holds " + v[i] + " at component " + i + " (components must be finite)";
      }
    }
    return what + " has a squared norm of " + String.format(Locale.ROOT, "%.4g", s)
        + ", above the limit " + String.format(Locale.ROOT, "%.4g", MAX_SQUARED_NORM)
        + " (Float.MAX_VALUE / 4): its distances would overflow float";
  }
}
