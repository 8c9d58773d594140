package dev.kiln.job.train;

import static dev.kiln.testing.KilnTestData.items;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.util.Arrays;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PQ training on data whose residuals have a known structure: every sub-vector is one of 64
 * component centres (per sub-space) plus N(0, sigma^2) noise, added to one of four far-apart
 * coarse centroids. A codebook holding the 64 true centres would reconstruct a residual with
 * expected squared error d * sigma^2; k-means with 256 centroids per sub-space must do at least
 * about as well.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PqTrainerTest {
  private static final int DIM = 32;
  private static final int M = 8;
  private static final int DSUB = DIM / M;
  private static final int NLIST = 4;
  private static final int COMPONENTS = 64;
  private static final int N = 4096;
  private static final double SIGMA = 0.1;

  private JavaSparkContext jsc;
  private float[] coarse;
  private float[][] points;
  private JavaRDD<VectorBlock> sample;

  @BeforeAll
  void data(SparkSession spark) {
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Random rnd = new Random(2024);
    float[][] coarseCenters = KilnTestData.gaussian(rnd, NLIST, DIM, 20);
    coarse = new float[NLIST * DIM];
    for (int l = 0; l < NLIST; l++) {
      System.arraycopy(coarseCenters[l], 0, coarse, l * DIM, DIM);
    }
    float[][][] components = new float[M][][];
    for (int j = 0; j < M; j++) {
      components[j] = KilnTestData.gaussian(rnd, COMPONENTS, DSUB, 1);
    }
    points = new float[N][DIM];
    for (int i = 0; i < N; i++) {
      int list = rnd.nextInt(NLIST);
      for (int j = 0; j < M; j++) {
        float[] comp = components[j][rnd.nextInt(COMPONENTS)];
        for (int s = 0; s < DSUB; s++) {
          int col = j * DSUB + s;
          points[i][col] =
              (float) (coarse[list * DIM + col] + comp[s] + SIGMA * rnd.nextGaussian());
        }
      }
    }
    sample = TrainingSample.blocks(items(spark, points, 3), 1.0, 1, DIM).cache();
  }

  @AfterAll
  void release() {
    sample.unpersist();
  }

  private float[] train(long seed) {
    return PqTrainer.train(jsc, sample, coarse, NLIST, DIM, Metric.L2, M, ProductQuantizer.KSUB, 15,
        seed);
  }

  /** Mean over all points of ||r - decode(encode(r))||^2, r the residual to the point's list. */
  private double reconstructionError(float[] codebooks) {
    ProductQuantizer pq = new ProductQuantizer(codebooks, DIM, M);
    CoarseQuantizer q = new CoarseQuantizer(coarse, NLIST, DIM, Metric.L2);
    float[] r = new float[DIM];
    float[] back = new float[DIM];
    byte[] code = new byte[M];
    double sum = 0;
    for (float[] x : points) {
      int list = q.assign(x);
      for (int i = 0; i < DIM; i++) {
        r[i] = x[i] - coarse[list * DIM + i];
      }
      pq.encode(r, 0, code, 0);
      pq.decode(code, 0, back);
      sum += KilnTestData.squareDistance(r, back);
    }
    return sum / points.length;
  }

  @Test
  void reconstructionErrorIsNearTheNoiseFloor() {
    float[] books = train(99);
    assertEquals(ProductQuantizer.KSUB * DIM, books.length);

    double mse = reconstructionError(books);
    double noise = DIM * SIGMA * SIGMA; // 0.32: what the 64 true centres per sub-space give
    double variance = DIM * (1 + SIGMA * SIGMA); // ~32: what a single mean per sub-space gives

    // Random codebooks of the same scale as the residuals.
    float[] random = new float[books.length];
    Random rnd = new Random(1);
    for (int i = 0; i < random.length; i++) {
      random[i] = (float) rnd.nextGaussian();
    }
    double mseRandom = reconstructionError(random);

    assertTrue(mse < noise, "PQ error " + mse + " must beat the true-centres bound " + noise);
    assertTrue(mse < variance / 50, "PQ error " + mse + " vs data variance " + variance);
    assertTrue(mse < mseRandom / 10, "PQ error " + mse + " vs random codebooks " + mseRandom);
  }

  @Test
  void sameSeedGivesIdenticalCodebooks() {
    float[] a = train(5);
    float[] b = train(5);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, train(6)), "another seed gives other codebooks");
  }
}
