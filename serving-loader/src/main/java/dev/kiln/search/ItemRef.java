package dev.kiln.search;

/**
 * A candidate's reference as the scan keeps it in a {@code long}, when it is not the int64 id
 * itself (string keys, refine): the shard in the high bits, the item's ordinal in its shard in
 * the low 40. Static methods on a primitive, so the hot path allocates nothing.
 */
final class ItemRef {
  /** Bits of the ordinal: a shard holds fewer than 2^40 items. */
  static final int ORDINAL_BITS = 40;
  static final long ORDINAL_MASK = (1L << ORDINAL_BITS) - 1;

  private ItemRef() {}

  static long pack(int shard, long ordinal) {
    return ((long) shard << ORDINAL_BITS) | ordinal;
  }

  static int shard(long ref) {
    return (int) (ref >>> ORDINAL_BITS);
  }

  static long ordinal(long ref) {
    return ref & ORDINAL_MASK;
  }
}
