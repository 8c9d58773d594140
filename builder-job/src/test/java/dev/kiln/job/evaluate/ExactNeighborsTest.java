package dev.kiln.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.job.read.Item;
import dev.kiln.format.Metric;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The distributed brute force against a plain double-precision scan. */
@ExtendWith(SparkExtension.class)
class ExactNeighborsTest {
  private static final int N = 1500;
  private static final int D = 37; // not a multiple of any vector width
  private static final int K = 10;

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void matchesAPlainScanWhateverThePartitioning(Metric metric, SparkSession spark) {
    Random rnd = new Random(7);
    float[][] data = KilnTestData.gaussian(rnd, N, D, 1);
    float[][] q = KilnTestData.gaussian(rnd, 53, D, 1); // 53: a last, partial tile of queries
    QuerySet queries = new QuerySet(q, null, null, false, "test");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ExactNeighbors.Result one = ExactNeighbors.compute(jsc, items(jsc, data, 1), queries, K, metric, false);
    ExactNeighbors.Result many = ExactNeighbors.compute(jsc, items(jsc, data, 7), queries, K, metric, false);
    for (int i = 0; i < q.length; i++) {
      int[] want = KilnTestData.exactTopK(metric, data, q[i], K).rows();
      long[] expected = Arrays.stream(want).asLongStream().map(r -> 1000 + r).toArray();
      assertArrayEquals(expected, one.ids()[i], "query " + i);
      assertArrayEquals(one.ids()[i], many.ids()[i], "query " + i + ", 7 partitions");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void sampledQueriesLeaveThemselvesOut(Metric metric, SparkSession spark) {
    Random rnd = new Random(8);
    float[][] data = KilnTestData.gaussian(rnd, 400, D, 1);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Item> items = strings(jsc, data);
    QuerySet queries = QuerySet.sample(items, 40, 3, true);
    assertEquals(40, queries.size());
    ExactNeighbors.Result r = ExactNeighbors.compute(jsc, items, queries, K, metric, true);
    for (int i = 0; i < queries.size(); i++) {
      String self = queries.selfKeys()[i];
      assertFalse(Arrays.asList(r.keys()[i]).contains(self), "query " + i + " found itself");
      // The answer is the plain scan's over every other item.
      int selfRow = Integer.parseInt(self.substring(4));
      float[][] others = new float[data.length - 1][];
      List<Integer> rowOf = new ArrayList<>();
      for (int j = 0, o = 0; j < data.length; j++) {
        if (j != selfRow) {
          others[o++] = data[j];
          rowOf.add(j);
        }
      }
      int[] want = KilnTestData.exactTopK(metric, others, queries.vectors()[i], K).rows();
      String[] expected = Arrays.stream(want).mapToObj(o -> "key-" + rowOf.get(o)).toArray(String[]::new);
      assertArrayEquals(expected, r.keys()[i], "query " + i);
    }
  }

  private static JavaRDD<Item> items(JavaSparkContext jsc, float[][] data, int partitions) {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < data.length; i++) {
      items.add(new Item(1000 + i, null, data[i]));
    }
    return jsc.parallelize(items, partitions);
  }

  private static JavaRDD<Item> strings(JavaSparkContext jsc, float[][] data) {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < data.length; i++) {
      items.add(new Item(0, "key-" + i, data[i]));
    }
    return jsc.parallelize(items, 3);
  }
}
