package dev.kiln.job.write;

import java.io.Serializable;

/**
 * Sort key of an item within its shard file: by list, then by id (or string key). Spark's
 * external sort orders each shard's items with it, spilling to disk as needed.
 */
public record ShardSortKey(int shard, int list, long id, String key)
    implements Comparable<ShardSortKey>, Serializable {

  @Override
  public int compareTo(ShardSortKey o) {
    int c = Integer.compare(list, o.list);
    if (c != 0) {
      return c;
    }
    return key == null ? Long.compare(id, o.id) : key.compareTo(o.key);
  }
}
