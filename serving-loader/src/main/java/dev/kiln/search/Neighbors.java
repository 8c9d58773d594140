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

  /**
   * How many results: k, or fewer when the search found fewer candidates (small lists, a
   * restrictive filter, a small index).
   *
   * @return the number of results
   */
  public int size() {
    return scores.length;
  }

  /**
   * True when the index has string ids: read {@link #keys()}, not {@link #ids()}.
   *
   * @return whether the results carry string ids
   */
  public boolean hasStringIds() {
    return stringIds;
  }

  /**
   * int64 ids, best first.
   *
   * @return the result's own array (not a copy), {@link #size()} ids
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
   * @return the result's own array (not a copy), {@link #size()} keys
   * @throws IllegalStateException when the index has int64 ids
   */
  public String[] keys() {
    if (!stringIds) {
      throw new IllegalStateException(
          "this index has int64 ids: read ids() (or idString(i)), not keys()");
    }
    return keys;
  }

  /**
   * The results' scores, best first, position for position with the ids or keys: squared L2
   * distance under l2 (ascending), inner product under ip and cosine (descending; under cosine
   * of the normalized vectors). Exact when computed from stored float32 vectors (Flat lists, an
   * RFlat refine stage), approximate when from codes (PQ, SQ8, a Refine(SQ8) stage).
   *
   * @return the result's own array (not a copy), {@link #size()} scores
   */
  public float[] scores() {
    return scores;
  }

  /**
   * The id of result i as text, whichever kind the index has.
   *
   * @param i the result's position, 0 (the best) to {@link #size()} - 1
   * @return the key, or the int64 id in decimal
   */
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

  /**
   * A result with int64 ids, best first; the arrays are not copied.
   *
   * @param ids the ids, best first
   * @param scores their scores, as many as {@code ids} (not checked)
   * @return a result whose {@link #ids()} are {@code ids}
   */
  public static Neighbors ofIds(long[] ids, float[] scores) {
    return new Neighbors(ids, new String[0], scores, false);
  }

  /**
   * A result with string ids, best first; the arrays are not copied.
   *
   * @param keys the keys, best first
   * @param scores their scores, as many as {@code keys} (not checked)
   * @return a result whose {@link #keys()} are {@code keys}
   */
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
