package dev.kiln.build.train;

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
 * merged in groups of {@code FAN_IN} on the executors, then the groups on the driver.
 */
final class OrderedReduce {
  private static final int FAN_IN = 16;

  private OrderedReduce() {}

  interface Merge<T> extends BinaryOperator<T>, Serializable {}

  static <T extends Serializable> T reduce(JavaRDD<T> onePerPartition, Merge<T> merge) {
    int parts = onePerPartition.getNumPartitions();
    int groups = (parts + FAN_IN - 1) / FAN_IN;
    Function2<Integer, Iterator<T>, Iterator<Tuple2<Integer, Tuple2<Integer, T>>>> tag =
        (i, it) -> {
          List<Tuple2<Integer, Tuple2<Integer, T>>> out = new ArrayList<>(1);
          while (it.hasNext()) {
            out.add(new Tuple2<>(i / FAN_IN, new Tuple2<>(i, it.next())));
          }
          return out.iterator();
        };
    List<Tuple2<Integer, T>> merged =
        onePerPartition
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
            .collect();
    List<Tuple2<Integer, T>> sorted = new ArrayList<>(merged);
    sorted.sort(Comparator.comparing(Tuple2::_1));
    T acc = sorted.get(0)._2();
    for (int j = 1; j < sorted.size(); j++) {
      acc = merge.apply(acc, sorted.get(j)._2());
    }
    return acc;
  }
}
