package dev.kiln.job.train;

import static dev.kiln.testing.KilnTestData.blobs;
import static dev.kiln.testing.KilnTestData.items;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.Blobs;
import dev.kiln.testing.SparkExtension;
import java.util.Arrays;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class TwoLevelKMeansTest {
  private static final int DIM = 16;
  private static final int K = 64;

  @Test
  void topClustersIsTheRoundedSquareRoot() {
    assertEquals(1, TwoLevelKMeans.topClusters(1));
    assertEquals(1, TwoLevelKMeans.topClusters(2));
    assertEquals(8, TwoLevelKMeans.topClusters(64));
    assertEquals(128, TwoLevelKMeans.topClusters(16_384));
    assertEquals(256, TwoLevelKMeans.topClusters(65_536));
  }

  @Test
  void allocateSharesListsInProportionWithinEachClustersPoints() {
    assertArrayEquals(new int[] {1, 3, 0, 0, 6},
        TwoLevelKMeans.allocate(new long[] {100, 300, 0, 1, 600}, 10));
    // 9.8 rounds down to 9 and takes the one left over; the slivers get none.
    assertArrayEquals(new int[] {0, 0, 10}, TwoLevelKMeans.allocate(new long[] {1, 1, 98}, 10));
    // A cluster never gets more lists than points, so every one can seed its share.
    assertArrayEquals(new int[] {2, 2, 2}, TwoLevelKMeans.allocate(new long[] {2, 2, 2}, 6));
    assertArrayEquals(new int[] {0, 5}, TwoLevelKMeans.allocate(new long[] {1, 1000}, 5));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TwoLevelKMeans.allocate(new long[] {2, 2}, 5));
    assertTrue(e.getMessage().contains("at least 5 sample points, got 4"), e.getMessage());
  }

  private static DistributedKMeans.Result train(SparkSession spark, float[][] points, int k,
      Metric metric, boolean twoLevel) {
    JavaRDD<VectorBlock> blocks = TrainingSample.blocks(items(spark, points, 3), 1.0, 1, DIM)
        .cache();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int first = twoLevel ? TwoLevelKMeans.topClusters(k) : k;
    float[] flat = new float[points.length * DIM];
    for (int i = 0; i < points.length; i++) {
      System.arraycopy(points[i], 0, flat, i * DIM, DIM);
    }
    float[] init = KMeansSeeds.kmeansPlusPlus(flat, points.length, DIM, first, 5);
    DistributedKMeans.Result r = twoLevel
        ? TwoLevelKMeans.train(jsc, blocks, init, k, DIM, metric, 10, 5)
        : DistributedKMeans.train(jsc, blocks, init, k, DIM, metric, 10);
    blocks.unpersist();
    return r;
  }

  /**
   * 64 blobs, 64 lists: two-level splits 8 top clusters and lands within reach of flat
   * k-means's objective, every point counted once, and the same sample gives the same bytes.
   */
  @Test
  void trainsAsWellAsFlatKMeansAndRepeatsExactly(SparkSession spark) {
    Blobs b = blobs(new Random(9), K, 50, DIM, 4, 1);
    DistributedKMeans.Result two = train(spark, b.points(), K, Metric.L2, true);
    DistributedKMeans.Result flat = train(spark, b.points(), K, Metric.L2, false);
    assertEquals(K * DIM, two.centroids().length);
    assertEquals(b.points().length, Arrays.stream(two.sizes()).sum());
    // Measured 0.91x flat's (k-means++ within each top cluster; uniform seeds there measured
    // 1.29x: blobs left unseeded share a list).
    assertTrue(two.objective() <= 1.1 * flat.objective(),
        "two-level objective " + two.objective() + " against flat " + flat.objective());
    assertArrayEquals(two.centroids(), train(spark, b.points(), K, Metric.L2, true).centroids());
  }

  @Test
  void innerProductTrainsUnitCentroids(SparkSession spark) {
    Blobs b = blobs(new Random(10), K, 20, DIM, 4, 1);
    DistributedKMeans.Result r = train(spark, b.points(), K, Metric.IP, true);
    for (int c = 0; c < K; c++) {
      float[] row = Arrays.copyOfRange(r.centroids(), c * DIM, (c + 1) * DIM);
      assertEquals(1.0, KilnTestData.norm(row), 1e-5, "centroid " + c + " has unit norm");
    }
  }
}
