package dev.kiln.search;

import java.util.Arrays;

/**
 * The result of one query, best first. Scores follow the metric: squared L2 distance (ascending)
 * or inner product (descending). Ids are the build's int64 ids; for an index built with string
 * ids, {@link #keys()} holds them and {@link #ids()} is empty.
 */
public final class Neighbors {
  private final long[] ids;
  private final String[] keys;
  private final float[] scores;

  Neighbors(long[] ids, String[] keys, float[] scores) {
    this.ids = ids;
    this.keys = keys;
    this.scores = scores;
  }

  public int size() {
    return scores.length;
  }

  /** int64 ids, best first; empty when the index has string ids. */
  public long[] ids() {
    return ids;
  }

  /** String ids, best first; empty when the index has int64 ids. */
  public String[] keys() {
    return keys;
  }

  public float[] scores() {
    return scores;
  }

  /** The id of result i as text, whichever kind the index has. */
  public String idString(int i) {
    return keys.length > 0 ? keys[i] : Long.toString(ids[i]);
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
    return new Neighbors(ids, new String[0], scores);
  }

  /** A result with string ids, best first; the arrays are not copied. */
  public static Neighbors ofKeys(String[] keys, float[] scores) {
    return new Neighbors(new long[0], keys, scores);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Neighbors n
        && Arrays.equals(ids, n.ids)
        && Arrays.equals(keys, n.keys)
        && Arrays.equals(scores, n.scores);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + Arrays.hashCode(keys) * 7 + Arrays.hashCode(scores);
  }
}
