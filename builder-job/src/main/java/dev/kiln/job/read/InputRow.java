package dev.kiln.job.read;

import java.io.Serializable;

/**
 * One valid input row on its way into the canonical order: the item, its vector as read (not yet
 * normalized), and the file it came from, carried only when duplicates are to be set aside (for
 * their {@code _rejects/} row), otherwise null. Ordered by id, then, for rows of the same id, by
 * vector (lexicographically, as {@link Float#compare}) and file: an order that depends on the
 * rows' contents only, so the first row of each id is the same however the input is split.
 */
record InputRow(Item item, String file) implements Comparable<InputRow>, Serializable {

  @Override
  public int compareTo(InputRow o) {
    int c = item.key() == null ? Long.compare(item.id(), o.item.id())
        : item.key().compareTo(o.item.key());
    if (c != 0) {
      return c;
    }
    c = compareVectors(item.vector(), o.item.vector());
    if (c != 0) {
      return c;
    }
    return file == null ? (o.file == null ? 0 : -1) : o.file == null ? 1 : file.compareTo(o.file);
  }

  /** Same id (int64 or string) as {@code o}. */
  boolean sameId(InputRow o) {
    return item.key() == null ? item.id() == o.item.id() : item.key().equals(o.item.key());
  }

  static int compareVectors(float[] a, float[] b) {
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      int c = Float.compare(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.length, b.length);
  }
}
