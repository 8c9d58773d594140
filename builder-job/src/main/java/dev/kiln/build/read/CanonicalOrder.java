package dev.kiln.build.read;

import dev.kiln.format.ShardHash;
import java.io.Serializable;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Puts the items in an order that depends only on the data: hash-partitioned by id into a
 * partition count derived from the data size, sorted by id within each partition. Spark's own
 * file splits depend on the number of cores, so without this a 2-core laptop and a 200-core
 * cluster would sample, train and therefore encode differently; with it, the same input, seed
 * and parameters give the same bytes anywhere.
 */
public final class CanonicalOrder {
  /** Bytes of vectors per partition that the automatic partition count aims for. */
  static final long TARGET_PARTITION_BYTES = 64L << 20;
  /** At least this many partitions, so a small build still uses several cores. */
  static final int MIN_PARTITIONS = 8;

  private CanonicalOrder() {}

  /** The automatic partition count for n vectors of dimension dim. */
  public static int partitions(long n, int dim) {
    long bytes = n * dim * 4L;
    return (int) Math.max(MIN_PARTITIONS,
        Math.min(100_000, (bytes + TARGET_PARTITION_BYTES - 1) / TARGET_PARTITION_BYTES));
  }

  public static JavaRDD<Item> apply(JavaRDD<Item> items, int partitions) {
    return items
        .mapToPair(i -> new Tuple2<>(new Key(i.id(), i.key()), i))
        .repartitionAndSortWithinPartitions(new ByIdHash(partitions))
        .values();
  }

  /** An item's id, int64 or string, ordered naturally. */
  record Key(long id, String key) implements Comparable<Key>, Serializable {
    @Override
    public int compareTo(Key o) {
      return key == null ? Long.compare(id, o.id) : key.compareTo(o.key);
    }
  }

  /** Partition by the same fixed id hash the shards use (not Java's hashCode). */
  static final class ByIdHash extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    ByIdHash(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object k) {
      Key key = (Key) k;
      return key.key() == null
          ? ShardHash.shardOf(key.id(), partitions)
          : ShardHash.shardOf(key.key(), partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByIdHash b && b.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
