package dev.kiln.search;

import java.util.Arrays;

/**
 * The result of one query, best first. Scores follow the metric: squared L2 distance (ascending)
 * or inner product (descending). Ids are the build's int64 ids ({@link #ids()}) or, for an index
 * built with string ids, its keys ({@link #keys()}); asking for the other kind throws, so a
 * caller cannot read an empty array as "no neighbours". {@link #idString} serves either.
 */
public final class Neighbors {
  private final long[] ids;
  private final String[] keys;
  private final float[] scores;
  private final boolean stringIds;

  private Neighbors(long[] ids, String[] keys, float[] scores, boolean stringIds) {
    this.ids = ids;
    this.keys = keys;
    this.scores = scores;
    this.stringIds = stringIds;
  }

  public int size() {
    return scores.length;
  }

  /** True when the index has string ids: read {@link #keys()}, not {@link #ids()}. */
  public boolean hasStringIds() {
    return stringIds;
  }

  /**
   * int64 ids, best first.
   *
   * @throws IllegalStateException when the index has string ids ({@link #hasStringIds()})
   */
  public long[] ids() {
    if (stringIds) {
      throw new IllegalStateException(
          "this index has string ids: read keys() (or idString(i)), not ids()");
    }
    return ids;
  }

  /**
   * String ids, best first.
   *
   * @throws IllegalStateException when the index has int64 ids
   */
  public String[] keys() {
    if (!stringIds) {
      throw new IllegalStateException(
          "this index has int64 ids: read ids() (or idString(i)), not keys()");
    }
    return keys;
  }

  public float[] scores() {
    return scores;
  }

  /** The id of result i as text, whichever kind the index has. */
  public String idString(int i) {
    return stringIds ? keys[i] : Long.toString(ids[i]);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(idString(i)).append(':').append(scores[i]);
    }
    return sb.append(']').toString();
  }

  /** A result with int64 ids, best first; the arrays are not copied. */
  public static Neighbors ofIds(long[] ids, float[] scores) {
    return new Neighbors(ids, new String[0], scores, false);
  }

  /** A result with string ids, best first; the arrays are not copied. */
  public static Neighbors ofKeys(String[] keys, float[] scores) {
    return new Neighbors(new long[0], keys, scores, true);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Neighbors n
        && stringIds == n.stringIds
        && Arrays.equals(ids, n.ids)
        && Arrays.equals(keys, n.keys)
        && Arrays.equals(scores, n.scores);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + Arrays.hashCode(keys) * 7 + Arrays.hashCode(scores);
  }
}
