package dev.kiln.job.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.BinaryOperator;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import scala.Tuple2;

/**
 * Merges one partial result per partition in partition order. Spark's reduce and treeReduce
 * merge in whatever order tasks finish, and floating-point sums depend on that order; merging
 * in a fixed order keeps k-means (and so the whole build) bit-for-bit repeatable. Partials are
 * merged in groups of up to {@code FAN_IN} on the executors, then the groups on the driver (when
 * there are no more partials than one group holds, all on the driver).
 *
 * <p>A group's partials are all in one task's memory at once, and the groups all on the driver,
 * so both are bounded by size, not only by count: large partials (k-means sums of many lists
 * at a high dimension) go in smaller groups, and in more levels when the groups would still be
 * too much for the driver. The grouping depends only on the partition count and the partial
 * size, never on the cluster, so the result stays repeatable.
 */
final class OrderedReduce {
  private static final int FAN_IN = 16;
  /**
   * Bytes of partials one merge task holds at most (unless two partials are more). Partials up
   * to 16 MiB (k-means sums of 2,048 lists at d = 1,024) keep the full fan-in, so those builds
   * merge exactly as before the bound existed and publish the same bytes.
   */
  private static final long GROUP_BYTES = 256L << 20;
  /** Bytes of merged groups the driver collects at most (unless FAN_IN of them are more). */
  private static final long DRIVER_BYTES = 256L << 20;

  private OrderedReduce() {}

  interface Merge<T> extends BinaryOperator<T>, Serializable {}

  private static int fanIn(long partialBytes) {
    return (int) Math.max(2, Math.min(FAN_IN, GROUP_BYTES / Math.max(1, partialBytes)));
  }

  /**
   * Whether {@link #reduce} merges {@code partitions} partials of {@code partialBytes} on the
   * driver, one after another in partition order (so a caller holding the partials itself gets
   * the same bits by merging them so).
   */
  static boolean mergesOnDriver(int partitions, long partialBytes) {
    return partitions <= fanIn(partialBytes) && partitions * partialBytes <= DRIVER_BYTES;
  }

  /**
   * @param partialBytes about how large one partial is
   */
  static <T extends Serializable> T reduce(JavaRDD<T> onePerPartition, Merge<T> merge,
      long partialBytes) {
    int fanIn = fanIn(partialBytes);
    // A single group would be merged by one task in partition order and then collected: the
    // driver merging the partials in that order itself gives the same bits without the shuffle
    // (for k-means on a small sample, a third of each iteration).
    JavaRDD<T> level = mergesOnDriver(onePerPartition.getNumPartitions(), partialBytes)
        ? onePerPartition
        : mergeLevel(onePerPartition, merge, fanIn);
    while (level.getNumPartitions() > fanIn
        && level.getNumPartitions() * partialBytes > DRIVER_BYTES) {
      level = mergeLevel(level, merge, fanIn);
    }
    Function2<Integer, Iterator<T>, Iterator<Tuple2<Integer, T>>> tag = (i, it) -> {
      List<Tuple2<Integer, T>> out = new ArrayList<>(1);
      it.forEachRemaining(t -> out.add(new Tuple2<>(i, t)));
      return out.iterator();
    };
    List<Tuple2<Integer, T>> sorted = new ArrayList<>(level.mapPartitionsWithIndex(tag, false)
        .collect());
    sorted.sort(Comparator.comparing(Tuple2::_1));
    T acc = sorted.get(0)._2();
    for (int j = 1; j < sorted.size(); j++) {
      acc = merge.apply(acc, sorted.get(j)._2());
    }
    return acc;
  }

  /**
   * Partials of partitions [g * fanIn, (g + 1) * fanIn) merged in order, into partition g (an
   * Integer key g < groups hashes to partition g).
   */
  private static <T extends Serializable> JavaRDD<T> mergeLevel(JavaRDD<T> in, Merge<T> merge,
      int fanIn) {
    int groups = (in.getNumPartitions() + fanIn - 1) / fanIn;
    Function2<Integer, Iterator<T>, Iterator<Tuple2<Integer, Tuple2<Integer, T>>>> tag =
        (i, it) -> {
          List<Tuple2<Integer, Tuple2<Integer, T>>> out = new ArrayList<>(1);
          while (it.hasNext()) {
            out.add(new Tuple2<>(i / fanIn, new Tuple2<>(i, it.next())));
          }
          return out.iterator();
        };
    return in
        .mapPartitionsWithIndex(tag, false)
        .mapToPair(t -> t)
        .groupByKey(new HashPartitioner(groups))
        .mapValues(
            v -> {
              List<Tuple2<Integer, T>> list = new ArrayList<>();
              v.forEach(list::add);
              list.sort(Comparator.comparing(Tuple2::_1));
              T acc = list.get(0)._2();
              for (int j = 1; j < list.size(); j++) {
                acc = merge.apply(acc, list.get(j)._2());
              }
              return acc;
            })
        .values();
  }
}
