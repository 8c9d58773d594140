package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.job.read.Item;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Stage train.coarse: the coarse centroids from the training sample, by flat k-means
 * ({@link DistributedKMeans}) or two-level ({@link TwoLevelKMeans}). Either way the first level
 * is seeded by k-means++ over 4 seeds' worth of items per centroid drawn on the driver.
 */
public final class CoarseTrainer {
  private CoarseTrainer() {}

  /**
   * Trains {@code nlist} centroids on {@code sample} (blocks of the items); {@code items} and
   * {@code n} (their count) supply the seeding subsample; {@code progress} hears of each
   * (top-level) iteration.
   */
  public static DistributedKMeans.Result train(JavaSparkContext jsc, JavaRDD<Item> items, long n,
      JavaRDD<VectorBlock> sample, int nlist, int dim, Metric metric, int iterations,
      boolean twoLevel, long seed, Iterations progress) {
    int first = twoLevel ? TwoLevelKMeans.topClusters(nlist) : nlist;
    List<Item> seedSample = items.takeSample(false, (int) Math.min(n, 4L * first), seed);
    float[] seedPoints = new float[seedSample.size() * dim];
    for (int i = 0; i < seedSample.size(); i++) {
      System.arraycopy(seedSample.get(i).vector(), 0, seedPoints, i * dim, dim);
    }
    float[] init = KMeansSeeds.kmeansPlusPlus(seedPoints, seedSample.size(), dim, first, seed);
    return twoLevel
        ? TwoLevelKMeans.train(jsc, sample, init, nlist, dim, metric, iterations, seed, progress)
        : DistributedKMeans.train(jsc, sample, init, nlist, dim, metric, iterations, progress);
  }
}
