package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseQuantizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Two-level k-means for large nlist, as Faiss's {@code two_level_clustering}: about √nlist top
 * clusters by {@link DistributedKMeans} over the whole sample, then each top cluster split into
 * fine centroids in proportion to its share of the sample ({@link #allocate}), each by
 * {@link LocalKMeans} from k-means++ seeds in its own Spark task. The work per iteration is about
 * n·√nlist·d for each level instead of n·nlist·d; the price is that a point can only join a fine
 * centroid of its own top cluster. There are no global iterations afterwards (Faiss's default
 * too): recall against flat training is measured in the README.
 *
 * <p>Deterministic: the sample is keyed by its position (partition, row), each top cluster's
 * points are sorted by it before training, and each cluster's seed is derived from the build
 * seed and the cluster number, so any cluster and partitioning give the same centroids.
 */
public final class TwoLevelKMeans {
  private static final Logger LOG = LoggerFactory.getLogger(TwoLevelKMeans.class);

  private TwoLevelKMeans() {}

  /** Top-level clusters for nlist lists: √nlist rounded, at least 1, at most nlist. */
  public static int topClusters(int nlist) {
    return (int) Math.max(1, Math.min(nlist, Math.round(Math.sqrt(nlist))));
  }

  /**
   * Trains {@code k} centroids: top clusters seeded from {@code topSeeds} (k-means++ picks of
   * the top level), then the fine level. The result's sizes and objective are the fine level's
   * last iterations, each point counted in its own top cluster.
   */
  public static DistributedKMeans.Result train(JavaSparkContext jsc, JavaRDD<VectorBlock> blocks,
      float[] topSeeds, int k, int dim, Metric metric, int iterations, long seed) {
    return train(jsc, blocks, topSeeds, k, dim, metric, iterations, seed, Iterations.NONE);
  }

  /** As above, telling the top level's iterations to {@code progress}. */
  public static DistributedKMeans.Result train(JavaSparkContext jsc, JavaRDD<VectorBlock> blocks,
      float[] topSeeds, int k, int dim, Metric metric, int iterations, long seed,
      Iterations progress) {
    int k1 = topSeeds.length / dim;
    DistributedKMeans.Result top =
        DistributedKMeans.train(jsc, blocks, topSeeds, k1, dim, metric, iterations, progress);
    Broadcast<float[]> topBc = jsc.broadcast(top.centroids());
    // Each point, keyed by its top cluster, carrying its position for a canonical order.
    JavaPairRDD<Integer, Iterable<Point>> byTop = blocks
        .mapPartitionsToPair(part -> {
          CoarseQuantizer q = new CoarseQuantizer(topBc.value(), k1, dim, metric);
          List<Tuple2<Integer, Point>> out = new ArrayList<>();
          long row = 0;
          while (part.hasNext()) {
            VectorBlock b = part.next();
            int[] lists = new int[b.rows()];
            q.assign(b.data(), b.rows(), lists, new float[b.rows()]);
            for (int i = 0; i < b.rows(); i++) {
              long position = ((long) b.partition() << 32) | row++;
              out.add(new Tuple2<>(lists[i], new Point(position,
                  Arrays.copyOfRange(b.data(), i * dim, (i + 1) * dim))));
            }
          }
          return out.iterator();
        })
        // A partition count from k1 alone, not the cluster: the same tasks everywhere.
        .groupByKey(new HashPartitioner(Math.min(k1, 1024)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    long[] sizes = new long[k1];
    for (Tuple2<Integer, Long> t : byTop.mapValues(TwoLevelKMeans::count).collect()) {
      sizes[t._1()] = t._2();
    }
    int[] fine = allocate(sizes, k);
    Broadcast<int[]> fineBc = jsc.broadcast(fine);
    List<Tuple2<Integer, DistributedKMeans.Result>> parts = byTop
        .filter(t -> fineBc.value()[t._1()] > 0) // a sliver of the sample may get no list
        .mapToPair(t -> {
          int c = t._1();
          List<Point> points = new ArrayList<>();
          t._2().forEach(points::add);
          points.sort(Comparator.comparingLong(Point::position));
          float[] data = new float[points.size() * dim];
          for (int i = 0; i < points.size(); i++) {
            System.arraycopy(points.get(i).vector(), 0, data, i * dim, dim);
          }
          int kc = fineBc.value()[c];
          float[] seeds = KMeansSeeds.kmeansPlusPlus(data, points.size(), dim, kc,
              clusterSeed(seed, c));
          return new Tuple2<>(c,
              LocalKMeans.train(data, points.size(), dim, seeds, kc, metric, iterations));
        })
        .collect();
    byTop.unpersist(false);
    topBc.destroy();
    fineBc.destroy();
    DistributedKMeans.Result[] byCluster = new DistributedKMeans.Result[k1];
    for (Tuple2<Integer, DistributedKMeans.Result> t : parts) {
      byCluster[t._1()] = t._2();
    }
    float[] centroids = new float[k * dim];
    long[] counts = new long[k];
    double objective = 0;
    int at = 0;
    for (int c = 0; c < k1; c++) {
      if (fine[c] == 0) {
        continue;
      }
      DistributedKMeans.Result r = byCluster[c];
      System.arraycopy(r.centroids(), 0, centroids, at * dim, fine[c] * dim);
      System.arraycopy(r.sizes(), 0, counts, at, fine[c]);
      objective += r.objective();
      at += fine[c];
    }
    LOG.info("two-level k-means: {} top clusters of {} to {} sample points, split into {} to {}"
        + " lists; fine objective {}", k1, Arrays.stream(sizes).min().orElse(0),
        Arrays.stream(sizes).max().orElse(0), Arrays.stream(fine).min().orElse(0),
        Arrays.stream(fine).max().orElse(0), String.format("%.6g", objective));
    return new DistributedKMeans.Result(centroids, counts, objective, iterations);
  }

  /**
   * Fine centroids per top cluster, in proportion to its points (largest remainders first,
   * ties to the lower cluster), each at most its points so every cluster can seed its share,
   * summing to {@code k}.
   *
   * @throws IllegalArgumentException when the clusters hold fewer than k points in all
   */
  static int[] allocate(long[] sizes, int k) {
    long total = Arrays.stream(sizes).sum();
    if (total < k) {
      throw new IllegalArgumentException(
          "two-level k-means needs at least " + k + " sample points, got " + total);
    }
    int[] out = new int[sizes.length];
    double[] remainder = new double[sizes.length];
    int given = 0;
    for (int c = 0; c < sizes.length; c++) {
      double share = (double) k * sizes[c] / total;
      out[c] = (int) Math.min(sizes[c], Math.floor(share));
      remainder[c] = share - out[c];
      given += out[c];
    }
    // Hand out the rest one at a time to the largest remainder with room left.
    while (given < k) {
      int best = -1;
      for (int c = 0; c < sizes.length; c++) {
        if (out[c] < sizes[c] && (best < 0 || remainder[c] > remainder[best])) {
          best = c;
        }
      }
      out[best]++;
      remainder[best] -= 1;
      given++;
    }
    return out;
  }

  /** A fixed, well-mixed seed per top cluster (SplitMix64's finalizer over seed and cluster). */
  static long clusterSeed(long seed, int cluster) {
    long z = seed + 0x9E3779B97F4A7C15L * (cluster + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long count(Iterable<Point> points) {
    long n = 0;
    for (Point ignored : points) {
      n++;
    }
    return n;
  }

  /** One sample point and where it sits in the sample. */
  record Point(long position, float[] vector) implements java.io.Serializable {}
}
