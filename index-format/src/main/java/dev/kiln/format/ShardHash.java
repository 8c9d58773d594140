package dev.kiln.format;

import java.nio.charset.StandardCharsets;

/**
 * Which shard holds an item: a fixed 64-bit hash of its id, modulo the shard count. Part of the
 * format's contract, so that anyone holding an id can find its shard without scanning.
 */
public final class ShardHash {
  private ShardHash() {}

  /**
   * The shard of an int64 id: MurmurHash3's 64-bit finalizer of the id, as an unsigned
   * number, modulo {@code shards}.
   *
   * @param id the item's id
   * @param shards the number of shards, at least 1
   * @return the shard number, {@code 0 <= shard < shards}
   */
  public static int shardOf(long id, int shards) {
    return (int) Long.remainderUnsigned(mix(id), shards);
  }

  /**
   * The shard of a string id: 64-bit FNV-1a over its UTF-8 bytes, then as for int64 ids.
   *
   * @param key the item's id
   * @param shards the number of shards, at least 1
   * @return the shard number, {@code 0 <= shard < shards}
   */
  public static int shardOf(String key, int shards) {
    // FNV-1a over the UTF-8 bytes, then the same finalizer as for int64 ids.
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return (int) Long.remainderUnsigned(mix(h), shards);
  }

  /** MurmurHash3's 64-bit finalizer: spreads sequential ids evenly. */
  static long mix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
