package dev.kiln.job.train;

import static dev.kiln.testing.KilnTestData.blobs;
import static dev.kiln.testing.KilnTestData.items;
import static dev.kiln.testing.KilnTestData.squareDistance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.Blobs;
import dev.kiln.testing.SparkExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkExtension.class)
class DistributedKMeansTest {
  private static final int K = 8;
  private static final int DIM = 16;
  private static final int PER_CLUSTER = 300;
  private static final double SPREAD = 10;
  private static final double SIGMA = 1;

  /** The found centroid nearest each true centre: distinct, and each within maxDistance. */
  private static void assertRecovers(float[][] truth, float[] centroids, double maxDistance) {
    Set<Integer> matched = new HashSet<>();
    for (int c = 0; c < truth.length; c++) {
      float[] found = Arrays.copyOfRange(centroids, c * DIM, (c + 1) * DIM);
      int best = -1;
      double bestD = Double.POSITIVE_INFINITY;
      for (int t = 0; t < truth.length; t++) {
        double d = squareDistance(found, truth[t]);
        if (d < bestD) {
          bestD = d;
          best = t;
        }
      }
      assertTrue(Math.sqrt(bestD) < maxDistance,
          "centroid " + c + " is " + Math.sqrt(bestD) + " from the nearest true centre " + best);
      matched.add(best);
    }
    assertEquals(truth.length, matched.size(), "every true centre found by a distinct centroid");
  }

  private static JavaRDD<VectorBlock> blocksOf(SparkSession spark, float[][] points) {
    return TrainingSample.blocks(items(spark, points, 2), 1.0, 1, DIM).cache();
  }

  @Test
  void recoversWellSeparatedBlobs(SparkSession spark) {
    Blobs b = blobs(new Random(42), K, PER_CLUSTER, DIM, SPREAD, SIGMA);
    JavaRDD<VectorBlock> blocks = blocksOf(spark, b.points());
    assertEquals(b.points().length, TrainingSample.rows(blocks));

    Random rnd = new Random(7);
    List<float[]> sample = new ArrayList<>();
    for (int i = 0; i < 4 * K; i++) {
      sample.add(b.points()[rnd.nextInt(b.points().length)]);
    }
    float[] init = seeds(sample, K, 11);
    assertEquals(K * DIM, init.length);
    assertArrayEquals(init, seeds(sample, K, 11), "seeding is deterministic");

    DistributedKMeans.Result r = DistributedKMeans.train(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), blocks, init, K, DIM, Metric.L2, 10);
    blocks.unpersist();

    // The mean of 300 points with unit noise lies ~sqrt(16/300) = 0.23 from its true centre;
    // any centroid sharing or straddling blobs would be tens of units off.
    assertRecovers(b.centers(), r.centroids(), 0.6);
    assertEquals(b.points().length, Arrays.stream(r.sizes()).sum());
    for (long size : r.sizes()) {
      assertEquals(PER_CLUSTER, size, "each blob is one cluster");
    }
    // Objective: sum of squared distances, ~ n * d * sigma^2 (relative std of that sum ~ 0.7%).
    double perCoordinate = r.objective() / ((double) b.points().length * DIM);
    assertEquals(SIGMA * SIGMA, perCoordinate, 0.05 * SIGMA * SIGMA, "objective / (n d)");
    assertEquals(10, r.iterations());
  }

  /**
   * Local mode runs the iterations on the driver's threads; the same sample over several
   * partitions gives the distributed path's centroids, sizes and objective bit for bit, for the
   * bounded (l2) and the spherical (ip) assignment.
   */
  @Test
  void theDriverPathGivesTheDistributedBits(SparkSession spark) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Blobs b = blobs(new Random(9), K, PER_CLUSTER, DIM, SPREAD, 4 * SIGMA);
    JavaRDD<VectorBlock> blocks = blocksOf(spark, b.points());
    assertTrue(blocks.getNumPartitions() > 1, "partials to merge");
    List<float[]> sample = new ArrayList<>(Arrays.asList(b.points()).subList(0, 4 * K));
    float[] init = seeds(sample, K, 5);
    for (Metric metric : new Metric[] {Metric.L2, Metric.IP}) {
      DistributedKMeans.Result local =
          DistributedKMeans.train(jsc, blocks, init, K, DIM, metric, 12, true, Iterations.NONE);
      DistributedKMeans.Result spark2 =
          DistributedKMeans.train(jsc, blocks, init, K, DIM, metric, 12, false, Iterations.NONE);
      assertArrayEquals(spark2.centroids(), local.centroids(), metric.cliName());
      assertArrayEquals(spark2.sizes(), local.sizes(), metric.cliName());
      assertEquals(Double.doubleToLongBits(spark2.objective()),
          Double.doubleToLongBits(local.objective()), metric.cliName());
    }
    blocks.unpersist();
  }

  @Test
  void emptyClusterIsRefilledDuringTraining(SparkSession spark) {
    int k = 4;
    Blobs b = blobs(new Random(3), k, 200, DIM, SPREAD, SIGMA);
    JavaRDD<VectorBlock> blocks = blocksOf(spark, b.points());
    // Three seeds on three blobs and one far from all data: that cluster is empty at once, the
    // cluster holding two blobs is split, and Lloyd separates the halves.
    float[] init = new float[k * DIM];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(b.centers()[c], 0, init, c * DIM, DIM);
    }
    Arrays.fill(init, 3 * DIM, 4 * DIM, 1000f);
    DistributedKMeans.Result r = DistributedKMeans.train(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), blocks, init, k, DIM, Metric.L2, 15);
    blocks.unpersist();
    for (long size : r.sizes()) {
      assertEquals(200, size, "no cluster left empty: " + Arrays.toString(r.sizes()));
    }
    assertRecovers(b.centers(), r.centroids(), 0.6);
  }

  @Test
  void sphericalForInnerProductGivesUnitCentroids(SparkSession spark) {
    // Directions: blobs around well-separated unit vectors; spherical k-means (ip) must return
    // unit-norm centroids pointing at them.
    Blobs b = blobs(new Random(5), K, 100, DIM, 1, 0.02);
    float[][] dirs = new float[K][];
    for (int c = 0; c < K; c++) {
      dirs[c] = b.centers()[c].clone();
      float n = (float) KilnTestData.norm(dirs[c]);
      for (int j = 0; j < DIM; j++) {
        dirs[c][j] /= n;
      }
    }
    float[][] points = new float[b.points().length][];
    for (int i = 0; i < points.length; i++) {
      points[i] = b.points()[i].clone();
      for (int j = 0; j < DIM; j++) {
        points[i][j] = dirs[b.labels()[i]][j] + (b.points()[i][j] - b.centers()[b.labels()[i]][j]);
      }
    }
    JavaRDD<VectorBlock> blocks = blocksOf(spark, points);
    List<float[]> sample = new ArrayList<>(Arrays.asList(points).subList(0, 4 * K));
    float[] init = seeds(sample, K, 1);
    DistributedKMeans.Result r = DistributedKMeans.train(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), blocks, init, K, DIM, Metric.IP, 10);
    blocks.unpersist();
    for (int c = 0; c < K; c++) {
      float[] row = Arrays.copyOfRange(r.centroids(), c * DIM, (c + 1) * DIM);
      assertEquals(1.0, KilnTestData.norm(row), 1e-5, "centroid " + c + " has unit norm");
    }
    assertRecovers(dirs, r.centroids(), 0.05);
    // The objective sums negated inner products: about -n for points near unit length.
    assertEquals(-points.length, r.objective(), 0.02 * points.length);
  }

  @Test
  void splitEmptyRefillsFromTheLargestCluster() {
    int k = 3;
    int d = 4;
    float[] c = {1, 2, 3, 4, /* empty */ 9, 9, 9, 9, /* largest */ 10, -20, 30, -40};
    float[] before = c.clone();
    long[] counts = {5, 0, 12};
    assertEquals(1, ClusterSums.splitEmpty(c, counts, new boolean[] {true, false, true}, k, d));

    assertArrayEquals(Arrays.copyOfRange(before, 0, 4), Arrays.copyOfRange(c, 0, 4),
        "other clusters untouched");
    float[] a = Arrays.copyOfRange(c, 4, 8);
    float[] z = Arrays.copyOfRange(c, 8, 12);
    float[] largest = Arrays.copyOfRange(before, 8, 12);
    assertNotEquals(Arrays.toString(a), Arrays.toString(z), "the two halves must differ");
    for (int j = 0; j < d; j++) {
      // Both are the old centroid nudged by a relative 1/1024, in opposite directions.
      assertEquals(largest[j], a[j], Math.abs(largest[j]) * 1.01 / 1024);
      assertEquals(largest[j], z[j], Math.abs(largest[j]) * 1.01 / 1024);
      assertEquals(2 * largest[j], a[j] + z[j], 1e-4 * Math.abs(largest[j]));
    }
    assertArrayEquals(new long[] {5, 6, 6}, counts, "the points are shared between the halves");
  }

  @Test
  void splitEmptyFillsSeveralAndStopsWhenNothingIsLeftToSplit() {
    int d = 2;
    float[] c = {1, 1, 0, 0, 0, 0, 5, 5};
    long[] counts = {2, 0, 0, 8};
    assertEquals(2, ClusterSums.splitEmpty(c, counts, new boolean[] {true, false, false, true}, 4, d));
    assertTrue(Arrays.stream(counts).allMatch(n -> n > 0), Arrays.toString(counts));
    assertEquals(10, Arrays.stream(counts).sum());

    // A single point cannot be split: the empty cluster stays as it is.
    float[] one = {1, 1, 7, 7};
    long[] single = {1, 0};
    assertEquals(0, ClusterSums.splitEmpty(one, single, new boolean[] {false, false}, 2, d));
    assertArrayEquals(new float[] {1, 1, 7, 7}, one);
  }

  @Test
  void aClusterOfIdenticalPointsIsNeverSplit() {
    // Cluster 0: 50 copies of one point; cluster 1: 10 distinct points; cluster 2: empty.
    int d = 2;
    float[] x = new float[60 * d];
    for (int i = 0; i < 50; i++) {
      x[i * d] = 3;
      x[i * d + 1] = -4;
    }
    Random rnd = new Random(1);
    for (int i = 50; i < 60; i++) {
      x[i * d] = 100 + (float) rnd.nextGaussian();
      x[i * d + 1] = 100 + (float) rnd.nextGaussian();
    }
    float[] c = {3, -4, 100, 100, -1000, -1000};
    ClusterSums s = new ClusterSums(3, d);
    s.add(x, 60, new CoarseAssigner(new CoarseQuantizer(c, 3, d, Metric.L2), d));
    assertArrayEquals(new long[] {50, 10, 0}, s.counts);
    assertArrayEquals(new boolean[] {false, true, false}, s.spread());
    assertEquals(1, s.update(c, false));
    assertArrayEquals(new float[] {3, -4}, Arrays.copyOfRange(c, 0, 2), "not split");
    assertNotEquals(Arrays.toString(Arrays.copyOfRange(c, 2, 4)),
        Arrays.toString(Arrays.copyOfRange(c, 4, 6)), "cluster 1 split to refill cluster 2");

    // Only identical points: nothing to split, the empty cluster stays empty.
    ClusterSums same = new ClusterSums(2, d);
    float[] two = {3, -4, 50, 50};
    same.add(Arrays.copyOf(x, 50 * d), 50,
        new CoarseAssigner(new CoarseQuantizer(two, 2, d, Metric.L2), d));
    assertEquals(0, same.update(two, false));
    assertArrayEquals(new float[] {3, -4, 50, 50}, two);
  }

  @Test
  void emptyClustersAreRefilledFromSpreadClustersNotFromRepeatedPoints(SparkSession spark) {
    // 600 copies of one point and two blobs of 200; one seed far from everything.
    int k = 4;
    Blobs b = blobs(new Random(5), 2, 200, DIM, SPREAD, SIGMA);
    float[] p = KilnTestData.gaussian(new Random(6), 1, DIM, SPREAD)[0];
    List<float[]> points = new ArrayList<>(Arrays.asList(b.points()));
    for (int i = 0; i < 600; i++) {
      points.add(p.clone());
    }
    JavaRDD<VectorBlock> blocks = blocksOf(spark, points.toArray(float[][]::new));
    float[] init = new float[k * DIM];
    System.arraycopy(p, 0, init, 0, DIM);
    System.arraycopy(b.centers()[0], 0, init, DIM, DIM);
    System.arraycopy(b.centers()[1], 0, init, 2 * DIM, DIM);
    Arrays.fill(init, 3 * DIM, 4 * DIM, 1000f);
    DistributedKMeans.Result r = DistributedKMeans.train(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), blocks, init, k, DIM, Metric.L2, 10);
    blocks.unpersist();
    long[] sizes = r.sizes().clone();
    Arrays.sort(sizes);
    assertEquals(600, sizes[3], "the repeated point is one cluster: " + Arrays.toString(r.sizes()));
    assertEquals(400, sizes[0] + sizes[1] + sizes[2], Arrays.toString(r.sizes()));
    assertTrue(sizes[0] > 0, "no cluster left empty: " + Arrays.toString(r.sizes()));
  }

  /** k-means++ seeds from a list of points, through KMeansSeeds' row-major form. */
  private static float[] seeds(List<float[]> points, int k, long seed) {
    float[] flat = new float[points.size() * DIM];
    for (int i = 0; i < points.size(); i++) {
      System.arraycopy(points.get(i), 0, flat, i * DIM, DIM);
    }
    return KMeansSeeds.kmeansPlusPlus(flat, points.size(), DIM, k, seed);
  }
}
