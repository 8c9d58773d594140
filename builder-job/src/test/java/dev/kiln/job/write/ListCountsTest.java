package dev.kiln.job.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.ListStats;
import dev.kiln.job.encode.EncodedItem;
import dev.kiln.testing.SparkExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Items per (shard, list) and key bytes per shard, counted by Spark and checked by hand. */
@ExtendWith(SparkExtension.class)
class ListCountsTest {

  @Test
  void countsPerShardAndListMatchAHandCount(SparkSession spark) {
    int shards = 3;
    int nlist = 5;
    Random rnd = new Random(7);
    long[][] expected = new long[shards][nlist];
    long[] keyBytes = new long[shards];
    List<EncodedItem> items = new ArrayList<>();
    String[] suffixes = {"", "-é", "-日本語", "-😀"};
    for (int i = 0; i < 500; i++) {
      int s = rnd.nextInt(shards);
      int l = rnd.nextInt(nlist - 1); // the last list stays empty
      String key = "k" + i + suffixes[i % suffixes.length];
      items.add(new EncodedItem(s, l, 0, key, new byte[1]));
      expected[s][l]++;
      keyBytes[s] += key.getBytes(StandardCharsets.UTF_8).length;
    }
    ListCounts c = ListCounts.of(
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(items, 7),
        shards, nlist);
    int[] totals = new int[nlist];
    for (int s = 0; s < shards; s++) {
      assertArrayEquals(expected[s], c.listSizes(s), "shard " + s);
      long n = 0;
      for (int l = 0; l < nlist; l++) {
        n += expected[s][l];
        totals[l] += (int) expected[s][l];
      }
      assertEquals(n, c.shardCount(s));
      assertEquals(keyBytes[s], c.keyBytes(s), "key bytes are UTF-8 bytes, shard " + s);
    }
    assertEquals(500, c.total());
    assertArrayEquals(totals, c.totalListSizes());
    assertEquals(0, c.totalListSizes()[nlist - 1]);
    assertEquals(1, c.listStatistics().empty());
    assertEquals(nlist, c.listStatistics().nlist());
    assertEquals(100.0, c.listStatistics().mean(), 1e-9);
  }

  @Test
  void longIdsHaveNoKeyBytesAndEmptyPartitionsCountNothing(SparkSession spark) {
    List<EncodedItem> items = List.of(new EncodedItem(1, 0, 5, null, new byte[1]),
        new EncodedItem(1, 2, 6, null, new byte[1]), new EncodedItem(1, 2, 7, null, new byte[1]));
    ListCounts c = ListCounts.of(
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(items, 5), 2, 3);
    assertArrayEquals(new long[] {0, 0, 0}, c.listSizes(0));
    assertArrayEquals(new long[] {1, 0, 2}, c.listSizes(1));
    assertEquals(0, c.shardCount(0));
    assertEquals(3, c.shardCount(1));
    assertEquals(0, c.keyBytes(1));
    assertEquals(3, c.total());
  }

  @Test
  void statisticsAreMinMaxMeanNearestRankP99AndEmpties() {
    long[] sizes = new long[100];
    for (int i = 0; i < 100; i++) {
      sizes[i] = i; // 0..99: one empty
    }
    sizes[42] = 1000;
    ListStats m = ListCounts.statistics(sizes);
    assertEquals(100, m.nlist());
    assertEquals(0L, m.min());
    assertEquals(1000L, m.max());
    assertEquals((4950 - 42 + 1000) / 100.0, m.mean(), 1e-9);
    // Sorted: 0,1,...,41,43,...,99,1000; the 99th of 100 is 99.
    assertEquals(99L, m.p99());
    assertEquals(1, m.empty());

    ListStats one = ListCounts.statistics(new long[] {7});
    assertEquals(7L, one.p99());
    assertEquals(0, one.empty());
    ListStats ten = ListCounts.statistics(new long[] {0, 0, 1, 2, 3, 4, 5, 6, 7, 50});
    assertEquals(50L, ten.p99());
    assertEquals(2, ten.empty());
  }
}
