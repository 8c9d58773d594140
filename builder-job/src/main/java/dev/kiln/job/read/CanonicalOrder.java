package dev.kiln.job.read;

import dev.kiln.format.Metric;
import dev.kiln.format.ShardHash;
import dev.kiln.quantize.IndexModel;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.ShuffledRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.Tuple2;
import scala.collection.immutable.ArraySeq;

/**
 * Puts the items in an order that depends only on the data: hash-partitioned by id into a
 * partition count derived from the data size, sorted by id within each partition. Spark's own
 * file splits depend on the number of cores, so without this a 2-core laptop and a 200-core
 * cluster would sample, train and therefore encode differently; with it, the same input, seed
 * and parameters give the same bytes anywhere.
 *
 * <p>The same shuffle is the whole read pass: rejected rows travel with the valid ones (without
 * their vectors) and are counted on the far side, and the rows of an id come together, which is
 * where duplicate ids are found and, under {@code --on-duplicate keep-any}, resolved: rows of one
 * id are sorted by their contents ({@link InputRow}) and the first is kept. Cosine vectors are
 * normalized after the choice, so it is made on the vectors as read.
 */
public final class CanonicalOrder {
  /** Bytes of vectors per partition that the automatic partition count aims for. */
  static final long TARGET_PARTITION_BYTES = 64L << 20;
  /** At least this many partitions, so a small build still uses several cores. */
  static final int MIN_PARTITIONS = 8;
  /** The reject reason of the rows left out of a duplicated id. */
  public static final String DUPLICATE_ID = "duplicate id";

  private CanonicalOrder() {}

  /** The automatic partition count for n vectors of dimension dim. */
  public static int partitions(long n, int dim) {
    long bytes = n * dim * 4L;
    return (int) Math.max(MIN_PARTITIONS,
        Math.min(100_000, (bytes + TARGET_PARTITION_BYTES - 1) / TARGET_PARTITION_BYTES));
  }

  /**
   * The decoded rows ({@link InputRow}s and {@link RejectedRow}s) in canonical order, one
   * {@link ReadBlock} per partition. Duplicates' rows are kept in the blocks when
   * {@code keepDropped}.
   */
  static JavaRDD<ReadBlock> apply(JavaRDD<Object> rows, Metric metric, int partitions,
      boolean keepDropped) {
    boolean normalize = metric == Metric.COSINE;
    JavaPairRDD<Object, Object> shuffled = rows
        .mapToPair(r -> new Tuple2<Object, Object>(r, null))
        .partitionBy(new ByIdHash(partitions));
    ((ShuffledRDD<?, ?, ?>) shuffled.rdd()).setSerializer(new ReadRowSerializer());
    // Sorted here rather than by the shuffle's sorter: a partition is held whole anyway (its
    // block is cached), and the sorter's size tracking cost more than the sort.
    return shuffled.keys().mapPartitions(it -> {
      List<Object> part = new ArrayList<>();
      it.forEachRemaining(part::add);
      part.sort(new RowOrder());
      return List.of(block(part.iterator(), normalize, keepDropped)).iterator();
    }, true);
  }

  /** The valid items of the blocks. */
  static JavaRDD<Item> items(JavaRDD<ReadBlock> blocks) {
    return blocks.flatMap(b -> b.items().iterator());
  }

  /** The rows left out of duplicated ids, as {@code _rejects/} rows (id, embedding, file, reason). */
  static JavaRDD<Row> dropped(JavaRDD<ReadBlock> blocks, boolean longIds) {
    return blocks.flatMap(b -> b.dropped().iterator()).map(r -> rejected(r, longIds));
  }

  /** One partition's sorted rows: rejects first (counted), then runs of equal ids. */
  private static ReadBlock block(Iterator<Object> sorted, boolean normalize, boolean keepDropped) {
    ReadCounts.Tally tally = new ReadCounts.Tally();
    List<Item> items = new ArrayList<>();
    List<InputRow> dropped = new ArrayList<>();
    List<String> runFiles = new ArrayList<>();
    InputRow first = null;
    while (sorted.hasNext()) {
      Object o = sorted.next();
      if (o instanceof RejectedRow r) {
        tally.rejected(r);
        continue;
      }
      InputRow r = (InputRow) o;
      tally.valid();
      if (first != null && r.sameId(first)) {
        runFiles.add(r.file());
        if (keepDropped) {
          dropped.add(r);
        }
        continue;
      }
      endRun(tally, first, runFiles);
      first = r;
      runFiles.clear();
      runFiles.add(r.file());
      items.add(kept(r, normalize));
    }
    endRun(tally, first, runFiles);
    return new ReadBlock(items, dropped, tally.counts());
  }

  private static void endRun(ReadCounts.Tally tally, InputRow first, List<String> files) {
    if (first != null && files.size() > 1) {
      Item item = first.item();
      tally.duplicated(item.key() == null ? (Comparable<?>) item.id() : item.key(), files.size(),
          files);
    }
  }

  private static Item kept(InputRow r, boolean normalize) {
    Item item = r.item();
    if (normalize) {
      IndexModel.normalize(item.vector(), 0, item.vector().length); // a fresh copy from the shuffle
    }
    return item;
  }

  private static Row rejected(InputRow r, boolean longIds) {
    Item item = r.item();
    Object[] v = new Object[item.vector().length];
    for (int i = 0; i < v.length; i++) {
      v[i] = item.vector()[i];
    }
    // A Scala Seq: what Spark's Row encoder takes for an array column.
    return RowFactory.create(longIds ? (Object) item.id() : item.key(),
        ArraySeq.unsafeWrapArray(v), r.file(), DUPLICATE_ID);
  }

  /**
   * Partition by the same fixed id hash the shards use (not Java's hashCode); a rejected row by
   * its id's text, or to partition 0 without one.
   */
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
      if (k instanceof RejectedRow r) {
        return r.id() == null ? 0 : ShardHash.shardOf(r.id(), partitions);
      }
      Item item = ((InputRow) k).item();
      return item.key() == null
          ? ShardHash.shardOf(item.id(), partitions)
          : ShardHash.shardOf(item.key(), partitions);
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

  /** Rejected rows first, in their order; then valid rows in theirs ({@link InputRow}). */
  static final class RowOrder implements Comparator<Object>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Object a, Object b) {
      if (a instanceof RejectedRow ra) {
        return b instanceof RejectedRow rb ? ra.compareTo(rb) : -1;
      }
      return b instanceof RejectedRow ? 1 : ((InputRow) a).compareTo((InputRow) b);
    }
  }
}
