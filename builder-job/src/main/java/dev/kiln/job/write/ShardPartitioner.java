package dev.kiln.job.write;

import org.apache.spark.Partitioner;

/**
 * Partition i holds exactly the items of shard i, so one task writes one shard file. Keys are
 * {@link ShardSortKey}s, or the shard numbers themselves ({@link GraphShardsWriter}).
 */
public final class ShardPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;
  private final int shards;

  public ShardPartitioner(int shards) {
    this.shards = shards;
  }

  @Override
  public int numPartitions() {
    return shards;
  }

  @Override
  public int getPartition(Object key) {
    return key instanceof Integer shard ? shard : ((ShardSortKey) key).shard();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShardPartitioner p && p.shards == shards;
  }

  @Override
  public int hashCode() {
    return shards;
  }
}
