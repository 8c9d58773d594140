package dev.kiln.job.read;

import dev.kiln.format.IdType;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardHash;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.quantize.IndexModel;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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
 * <p>The same shuffle brings the rows of an id together, so it is also where duplicate ids are
 * resolved under {@code --on-duplicate keep-any}: rows of one id are sorted by their contents
 * ({@link InputRow}) and the first is kept, at no extra pass. Cosine vectors are normalized after
 * the choice, so it is made on the vectors as read.
 */
public final class CanonicalOrder {
  /** Bytes of vectors per partition that the automatic partition count aims for. */
  static final long TARGET_PARTITION_BYTES = 64L << 20;
  /** At least this many partitions, so a small build still uses several cores. */
  static final int MIN_PARTITIONS = 8;
  /** The reject reason of the rows left out of a duplicated id. */
  public static final String DUPLICATE_ID = "duplicate id";

  private CanonicalOrder() {}

  /**
   * The valid items, one per id, in canonical order; and the rows left out because their id was
   * already taken, as {@code _rejects/} rows (id, embedding, file, reason), empty unless the input
   * has duplicates (which it only has under {@link OnDuplicate#KEEP_ANY}).
   */
  public record Ordered(JavaRDD<Item> items, JavaRDD<Row> duplicates) {}

  /** The automatic partition count for n vectors of dimension dim. */
  public static int partitions(long n, int dim) {
    long bytes = n * dim * 4L;
    return (int) Math.max(MIN_PARTITIONS,
        Math.min(100_000, (bytes + TARGET_PARTITION_BYTES - 1) / TARGET_PARTITION_BYTES));
  }

  public static Ordered apply(InputReader.Input input, Metric metric, int partitions) {
    // Files ride along only when some row will be set aside, so a clean input shuffles no more.
    boolean sourced = input.duplicates().rows() > 0;
    JavaRDD<InputRow> sorted = input.rows(sourced)
        .mapToPair(r -> new Tuple2<InputRow, Object>(r, null))
        .repartitionAndSortWithinPartitions(new ByIdHash(partitions))
        .keys();
    boolean normalize = metric == Metric.COSINE;
    JavaRDD<Item> items = sorted.mapPartitions(it -> new IdRuns(it, true))
        .map(r -> kept(r, normalize));
    boolean longIds = input.idType() == IdType.LONG;
    JavaRDD<Row> duplicates = sourced
        ? sorted.mapPartitions(it -> new IdRuns(it, false)).map(r -> rejected(r, longIds))
        : JavaSparkContext.fromSparkContext(sorted.context()).emptyRDD();
    return new Ordered(items, duplicates);
  }

  /**
   * The rows of a partition sorted by {@link InputRow}, split into runs of equal ids: either the
   * first row of each run (what is kept) or all the others (what is set aside), lazily.
   */
  private static final class IdRuns implements Iterator<InputRow> {
    private final Iterator<InputRow> in;
    private final boolean firsts;
    private InputRow last;
    private InputRow next;

    IdRuns(Iterator<InputRow> in, boolean firsts) {
      this.in = in;
      this.firsts = firsts;
    }

    @Override
    public boolean hasNext() {
      while (next == null && in.hasNext()) {
        InputRow r = in.next();
        boolean first = last == null || !r.sameId(last);
        if (first == firsts) {
          next = r;
        }
        last = r;
      }
      return next != null;
    }

    @Override
    public InputRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      InputRow r = next;
      next = null;
      return r;
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
}
