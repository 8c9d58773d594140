package dev.kiln.it;

import static dev.kiln.testing.KilnTestData.assertExactTopK;
import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.rowOfId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.ListStats;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data k-means finds awkward: half the rows one vector, fewer distinct vectors than lists, one
 * huge cluster beside many tiny ones. The build succeeds, empty lists are allowed (a list no
 * item is nearest to stays empty, and the manifest counts it), every copy of a repeated vector is
 * found in its list, search with every list probed is exact, and the manifest's list statistics
 * agree with the lists the loader reads.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DegenerateDataTest {
  private static final int DIM = 16;

  /** 2,000 rows, the first 1,000 one and the same vector. */
  private float[][] halfSame;
  private String halfSameInput;
  /** 400 rows, only 5 distinct vectors (row i is vector i % 5). */
  private float[][] fiveDistinct;
  private String fiveDistinctInput;
  /** 3,000 rows in one tight blob, then 40 clusters of 3 rows each far from it. */
  private float[][] lopsided;
  private String lopsidedInput;

  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) {
    halfSame = gaussian(new Random(1), 2_000, DIM, 1);
    for (int i = 1; i < 1_000; i++) {
      halfSame[i] = halfSame[0].clone();
    }
    halfSameInput = write(spark, data.resolve("half-same"), halfSame);

    float[][] distinct = gaussian(new Random(2), 5, DIM, 1);
    fiveDistinct = new float[400][];
    for (int i = 0; i < fiveDistinct.length; i++) {
      fiveDistinct[i] = distinct[i % 5].clone();
    }
    fiveDistinctInput = write(spark, data.resolve("five-distinct"), fiveDistinct);

    Random rnd = new Random(3);
    List<float[]> rows = new ArrayList<>(Arrays.asList(gaussian(rnd, 3_000, DIM, 0.1)));
    for (float[] centre : gaussian(rnd, 40, DIM, 10)) {
      for (float[] noise : gaussian(rnd, 3, DIM, 0.1)) {
        float[] x = new float[DIM];
        for (int j = 0; j < DIM; j++) {
          x[j] = centre[j] + noise[j];
        }
        rows.add(x);
      }
    }
    lopsided = rows.toArray(float[][]::new);
    lopsidedInput = write(spark, data.resolve("lopsided"), lopsided);
  }

  private static String write(SparkSession spark, Path dir, float[][] v) {
    Long[] ids = LongStream.range(0, v.length).boxed().toArray(Long[]::new);
    return KilnTestData.writeVectors(spark, dir, ids, v);
  }

  private Manifest build(String input, Path root, String index) throws IOException {
    CliRun run = cli("build", "--input", input, "--output", root.toString(), "--index", index,
        "--version", "v1", "--seed", "5", "--kmeans-iterations", "10", "--pq-iterations", "5",
        "--eval-queries", "0");
    assertEquals(0, run.exitCode(), run.err());
    return assertPublished(root, "v1", 1, false);
  }

  /** The manifest's list statistics are those of the lists the loader reads. */
  private static void assertListStatistics(Manifest m, KilnIndex index) {
    long[] sizes = Arrays.stream(index.listSizes()).asLongStream().sorted().toArray();
    ListStats lists = m.lists();
    assertEquals(sizes.length, lists.nlist());
    assertEquals(sizes[0], lists.min());
    assertEquals(sizes[sizes.length - 1], lists.max());
    assertEquals(Arrays.stream(sizes).filter(n -> n == 0).count(), (long) lists.empty());
    assertEquals((double) m.count() / sizes.length, lists.mean());
    long p99 = lists.p99();
    long atMost = Arrays.stream(sizes).filter(n -> n <= p99).count();
    assertTrue(atMost >= 0.99 * sizes.length, "p99 " + p99 + " of " + Arrays.toString(sizes));
    assertTrue(Arrays.stream(sizes).filter(n -> n < p99).count() < 0.99 * sizes.length,
        "p99 " + p99 + " is the smallest such size: " + Arrays.toString(sizes));
  }

  /** Every row holding vector {@code x}, by id (the row number). */
  private static long[] rowsEqualTo(float[][] data, float[] x) {
    return LongStream.range(0, data.length).filter(i -> Arrays.equals(data[(int) i], x)).toArray();
  }

  /** All copies of x come back at nprobe 1, best first, tied, and nothing else ahead of them. */
  private static void assertAllCopiesFound(KilnIndex index, float[][] data, float[] x) {
    long[] copies = rowsEqualTo(data, x);
    Neighbors n = index.search(x, copies.length, SearchParams.nprobe(1));
    long[] got = n.ids().clone();
    Arrays.sort(got);
    assertArrayEquals(copies, got, "every copy, in the one list probed");
    for (float s : n.scores()) {
      assertEquals(n.scores()[0], s, "copies share one code, so one score");
    }
  }

  @Test
  void halfTheRowsOneVector() throws IOException {
    Path root = tmp.resolve("root");
    Manifest m = build(halfSameInput, root, "IVF16,Flat");
    assertEquals(2_000, m.count());
    Map<String, Integer> rows = rowOfId(LongStream.range(0, halfSame.length).boxed()
        .toArray(Long[]::new));
    try (KilnIndex index = KilnIndex.open(root)) {
      assertListStatistics(m, index);
      assertTrue(m.lists().max() >= 1_000, m.lists().toString());
      assertAllCopiesFound(index, halfSame, halfSame[0]);
      assertEquals(0f, index.search(halfSame[0], 1, SearchParams.nprobe(1)).scores()[0]);
      for (float[] q : gaussian(new Random(4), 20, DIM, 1.2)) {
        assertExactTopK(Metric.L2, halfSame, rows, q, 10, index.search(q, 10, SearchParams.nprobe(16)));
      }
    }
  }

  @Test
  void fewerDistinctVectorsThanLists() throws IOException {
    for (String index : List.of("IVF16,Flat", "IVF16,PQ4")) {
      Path root = tmp.resolve(index.replace(',', '-'));
      Manifest m = build(fiveDistinctInput, root, index);
      assertEquals(400, m.count());
      // Each distinct vector lies in one list: 5 lists hold 80 items each, 11 are empty.
      assertEquals(11L, (long) m.lists().empty(), m.lists().toString());
      assertEquals(80L, m.lists().max(), m.lists().toString());
      try (KilnIndex idx = KilnIndex.open(root)) {
        assertListStatistics(m, idx);
        for (int v = 0; v < 5; v++) {
          assertAllCopiesFound(idx, fiveDistinct, fiveDistinct[v]);
        }
      }
    }
  }

  @Test
  void oneHugeClusterAndManyTinyOnes() throws IOException {
    Path root = tmp.resolve("root");
    Manifest m = build(lopsidedInput, root, "IVF32,Flat");
    assertEquals(lopsided.length, m.count());
    Map<String, Integer> rows = rowOfId(LongStream.range(0, lopsided.length).boxed()
        .toArray(Long[]::new));
    try (KilnIndex index = KilnIndex.open(root)) {
      assertListStatistics(m, index);
      Random rnd = new Random(6);
      for (int i = 0; i < 30; i++) {
        // Queries near the rows, half of them near the tiny clusters.
        float[] q = lopsided[i % 2 == 0 ? rnd.nextInt(3_000) : 3_000 + rnd.nextInt(120)].clone();
        q[0] += 0.05f;
        assertExactTopK(Metric.L2, lopsided, rows, q, 10, index.search(q, 10, SearchParams.nprobe(32)));
      }
    }
  }
}
