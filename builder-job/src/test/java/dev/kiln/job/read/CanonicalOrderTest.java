package dev.kiln.job.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.format.ShardHash;
import dev.kiln.job.config.OnDuplicate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import dev.kiln.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import scala.collection.Seq;

/**
 * The canonical order on its own: the items come out hash-partitioned by id and sorted by id in
 * each partition, the same list whatever the input's split and row order; under keep-any the row
 * kept for an id is the one {@link OnDuplicate#KEEP_ANY} documents (first embedding in
 * {@link Float#compare} order, then file), chosen before cosine normalization.
 */
@ExtendWith(SparkExtension.class)
class CanonicalOrderTest {

  private static Row row(Object id, String file, float... v) {
    List<Float> l = new ArrayList<>();
    for (float x : v) {
      l.add(x);
    }
    return RowFactory.create(id, l, file);
  }

  /** What the read pass hands the shuffle for these rows, split into {@code splits} slices. */
  private static JavaRDD<Object> decoded(SparkSession spark, List<?> rows, int splits) {
    List<Object> out = new ArrayList<>();
    for (Object o : rows) {
      if (o instanceof Row r) {
        @SuppressWarnings("unchecked")
        List<Float> l = (List<Float>) r.get(1);
        float[] x = new float[l.size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = l.get(i);
        }
        Item item = r.get(0) instanceof Long id ? new Item(id, null, x)
            : new Item(0, r.getString(0), x);
        out.add(new InputRow(item, r.getString(2)));
      } else {
        out.add(o);
      }
    }
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(out, splits);
  }

  private static JavaRDD<ReadBlock> order(SparkSession spark, List<?> rows, int splits,
      Metric metric, int partitions, boolean keepDropped) {
    return CanonicalOrder.apply(decoded(spark, rows, splits), metric, partitions, keepDropped);
  }

  private static List<Row> longRows(int n, long seed) {
    List<Row> rows = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      rows.add(row(i * 7919 % 100_003, "f" + (i % 3), i, -i));
    }
    Collections.shuffle(rows, new Random(seed));
    return rows;
  }

  @Test
  void theOrderIsByIdWhateverTheSplit(SparkSession spark) {
    int partitions = 5;
    List<List<Item>> first = null;
    for (int splits : new int[] {1, 3, 7}) {
      List<Row> rows = longRows(200, splits);
      List<List<Item>> parts = CanonicalOrder.items(
          order(spark, rows, splits, Metric.L2, partitions, false)).glom().collect();
      assertEquals(partitions, parts.size());
      int total = 0;
      for (int p = 0; p < parts.size(); p++) {
        long last = Long.MIN_VALUE;
        for (Item it : parts.get(p)) {
          assertEquals(p, ShardHash.shardOf(it.id(), partitions), "id " + it.id());
          assertTrue(it.id() > last, "sorted by id within partition " + p);
          last = it.id();
          assertEquals(-it.vector()[0], it.vector()[1], 0f, "vector rides with its id");
          total++;
        }
      }
      assertEquals(200, total);
      if (first == null) {
        first = parts;
      } else {
        assertEquals(ids(first), ids(parts), "split " + splits);
      }
    }
  }

  private static List<List<Long>> ids(List<List<Item>> parts) {
    List<List<Long>> out = new ArrayList<>();
    for (List<Item> p : parts) {
      List<Long> l = new ArrayList<>();
      p.forEach(i -> l.add(i.id()));
      out.add(l);
    }
    return out;
  }

  @Test
  void stringIdsAreSortedByKey(SparkSession spark) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(row("k" + (char) ('a' + i % 26) + i, "f", i, i));
    }
    Collections.shuffle(rows, new Random(1));
    List<List<Item>> parts =
        CanonicalOrder.items(order(spark, rows, 4, Metric.L2, 3, false)).glom().collect();
    int total = 0;
    for (int p = 0; p < parts.size(); p++) {
      String last = null;
      for (Item it : parts.get(p)) {
        assertEquals(p, ShardHash.shardOf(it.key(), 3));
        assertTrue(last == null || it.key().compareTo(last) > 0);
        last = it.key();
        total++;
      }
    }
    assertEquals(50, total);
  }

  @Test
  void keepAnyKeepsTheFirstEmbeddingInFloatOrderWhateverTheSplit(SparkSession spark) {
    List<Row> rows = new ArrayList<>(longRows(30, 3));
    // id 1_000_000 three times: [-0.0, 5] sorts before [0.0, 1] by Float.compare.
    rows.add(row(1_000_000L, "b", 0f, 1f));
    rows.add(row(1_000_000L, "a", 2f, 0f));
    rows.add(row(1_000_000L, "c", -0f, 5f));
    // id 2_000_000 twice, same vector: the file breaks the tie.
    rows.add(row(2_000_000L, "z", 3f, 3f));
    rows.add(row(2_000_000L, "y", 3f, 3f));
    for (int splits : new int[] {1, 4}) {
      List<Row> shuffled = new ArrayList<>(rows);
      Collections.shuffle(shuffled, new Random(splits));
      JavaRDD<ReadBlock> o = order(spark, shuffled, splits, Metric.L2, 4, true);
      List<Item> items = CanonicalOrder.items(o).collect();
      assertEquals(32, items.size());
      Item kept = items.stream().filter(i -> i.id() == 1_000_000L).findFirst().orElseThrow();
      assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(kept.vector()[0]));
      assertEquals(5f, kept.vector()[1]);
      assertEquals(1, items.stream().filter(i -> i.id() == 2_000_000L).count());

      ReadCounts counts = o.map(ReadBlock::counts).reduce(ReadCounts::merge);
      assertEquals(new InputReader.Duplicates(2, 3, "1000000", 3), counts.duplicates());
      assertEquals(List.of("a", "b", "c"), counts.firstDupFiles());
      assertEquals(35, counts.rows());
      List<Row> dups = new ArrayList<>(CanonicalOrder.dropped(o, true).collect());
      dups.sort((x, y) -> x.getString(2).compareTo(y.getString(2)));
      assertEquals(3, dups.size());
      assertEquals(List.of("a", "b", "z"), dups.stream().map(r -> r.getString(2)).toList());
      for (Row r : dups) {
        assertEquals(CanonicalOrder.DUPLICATE_ID, r.getString(3));
      }
      assertEquals(1_000_000L, dups.get(0).get(0));
      assertEquals(List.of(2f, 0f), scala.jdk.javaapi.CollectionConverters.asJava(
          (Seq<?>) dups.get(0).get(1)));
      assertEquals(2_000_000L, dups.get(2).get(0));
    }
  }

  @Test
  void cosineNormalizesAfterTheChoice(SparkSession spark) {
    List<Row> rows = List.of(row(1L, "f", 3f, 4f), row(1L, "f", 1f, 9f), row(2L, "f", 0f, 2f));
    JavaRDD<ReadBlock> o = order(spark, rows, 2, Metric.COSINE, 2, true);
    List<Item> items = new ArrayList<>(CanonicalOrder.items(o).collect());
    items.sort((a, b) -> Long.compare(a.id(), b.id()));
    assertEquals(2, items.size());
    float n = (float) Math.sqrt(82);
    assertArrayEquals(new float[] {1 / n, 9 / n}, items.get(0).vector(), 1e-6f);
    assertArrayEquals(new float[] {0f, 1f}, items.get(1).vector(), 1e-6f);
    // The row set aside keeps its vector as read.
    Row d = CanonicalOrder.dropped(o, true).collect().get(0);
    assertEquals(List.of(3f, 4f),
        scala.jdk.javaapi.CollectionConverters.asJava((Seq<?>) d.get(1)));
  }

  @Test
  void withoutDuplicatesNothingIsSetAside(SparkSession spark) {
    JavaRDD<ReadBlock> o = order(spark, longRows(20, 5), 2, Metric.L2, 2, true);
    assertEquals(0, CanonicalOrder.dropped(o, true).count());
    assertEquals(20, CanonicalOrder.items(o).count());
    assertEquals(InputReader.Duplicates.NONE,
        o.map(ReadBlock::counts).reduce(ReadCounts::merge).duplicates());
  }

  @Test
  void rejectedRowsAreCountedWithTheSameFirstExampleWhateverTheSplit(SparkSession spark) {
    List<Object> rows = new ArrayList<>(longRows(40, 9));
    rows.add(new RejectedRow(RejectReasons.WRONG_DIMENSION, "12", "f2"));
    rows.add(new RejectedRow(RejectReasons.WRONG_DIMENSION, "3", "f9"));
    rows.add(new RejectedRow(RejectReasons.NULL_ID, null, "f1"));
    rows.add(new RejectedRow(RejectReasons.NAN_OR_INFINITE, "77", "f1"));
    for (int splits : new int[] {1, 3, 6}) {
      List<Object> shuffled = new ArrayList<>(rows);
      Collections.shuffle(shuffled, new Random(splits));
      JavaRDD<ReadBlock> o = order(spark, shuffled, splits, Metric.L2, 5, false);
      Rejects r = o.map(ReadBlock::counts).reduce(ReadCounts::merge).rejects(2);
      assertEquals(44, r.rows());
      assertEquals(4, r.total());
      assertEquals(Map.of(RejectReasons.NAN_OR_INFINITE, 1L, RejectReasons.NULL_ID, 1L,
          "wrong dimension (expected 2)", 2L), r.byReason());
      // The smallest by (reason, id, file), not whichever a task met first.
      assertEquals("id 77 in f1: NaN or infinite value", r.firstExample());
      assertEquals(40, CanonicalOrder.items(o).count());
    }
  }

  @Test
  void thePartitionCountFollowsTheDataSizeNotTheCluster() {
    assertEquals(CanonicalOrder.MIN_PARTITIONS, CanonicalOrder.partitions(1000, 128));
    long perPartition = CanonicalOrder.TARGET_PARTITION_BYTES / (4 * 128);
    assertEquals(20, CanonicalOrder.partitions(20 * perPartition, 128));
    assertEquals(21, CanonicalOrder.partitions(20 * perPartition + 1, 128));
    assertEquals(100_000, CanonicalOrder.partitions(Long.MAX_VALUE / 1024, 128));
  }
}
