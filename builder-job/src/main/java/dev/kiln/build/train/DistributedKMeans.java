package dev.kiln.build.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.IndexModel;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import smile.clustering.PartitionClustering;
import smile.math.MathEx;

/**
 * Lloyd's k-means over a cached, distributed training sample: each iteration broadcasts the
 * centroids, every partition assigns its blocks with the blocked kernel and emits partial sums
 * and counts, a tree aggregation merges them, and the driver moves the centroids. Seeds come
 * from Smile's k-means++ on a small driver-side subsample. Empty clusters are re-seeded by
 * splitting the largest one, never left empty. Inner product and cosine train spherical
 * k-means (inner-product assignment, unit-norm centroids), as Faiss does for IP quantizers.
 */
public final class DistributedKMeans {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedKMeans.class);
  /** Relative perturbation when splitting a cluster to fill an empty one (as Faiss). */
  private static final float SPLIT_EPS = 1f / 1024;

  /** Trained centroids, the last iteration's cluster sizes and objective. */
  public record Result(float[] centroids, long[] sizes, double objective, int iterations) {}

  private DistributedKMeans() {}

  /**
   * k-means++ seeds (Smile) from up to {@code 4k} sampled points. Returns k x dim floats.
   *
   * @param points the driver-side subsample, at least k of them
   */
  public static float[] seeds(List<float[]> points, int k, long seed) {
    double[][] data = new double[points.size()][];
    for (int i = 0; i < data.length; i++) {
      float[] p = points.get(i);
      data[i] = new double[p.length];
      for (int j = 0; j < p.length; j++) {
        data[i][j] = p[j];
      }
    }
    double[][] medoids = new double[k][];
    MathEx.setSeed(seed);
    PartitionClustering.seed(data, medoids, new int[data.length], MathEx::squaredDistance);
    int dim = data[0].length;
    float[] out = new float[k * dim];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < dim; j++) {
        out[c * dim + j] = (float) medoids[c][j];
      }
    }
    return out;
  }

  public static Result train(
      JavaSparkContext jsc,
      JavaRDD<VectorBlock> blocks,
      float[] init,
      int k,
      int dim,
      Metric metric,
      int iterations) {
    boolean spherical = metric != Metric.L2;
    float[] centroids = init.clone();
    if (spherical) {
      normalizeRows(centroids, k, dim);
    }
    Stats stats = null;
    for (int it = 0; it < iterations; it++) {
      Broadcast<float[]> bc = jsc.broadcast(centroids);
      stats =
          blocks
              .mapPartitions(
                  part -> {
                    CoarseQuantizer q = new CoarseQuantizer(bc.value(), k, dim, metric);
                    Stats s = new Stats(k, dim);
                    while (part.hasNext()) {
                      s.add(part.next(), q);
                    }
                    return List.of(s).iterator();
                  })
              .treeReduce(Stats::merge, 2);
      bc.destroy();
      centroids = stats.centroids(centroids);
      int split = splitEmpty(centroids, stats.counts, k, dim);
      if (spherical) {
        normalizeRows(centroids, k, dim);
      }
      LOG.info("k-means iteration {}/{}: objective {} ({} empty clusters re-split)",
          it + 1, iterations, String.format("%.6g", stats.objective), split);
    }
    return new Result(centroids, stats.counts, stats.objective, iterations);
  }

  /**
   * Refills each empty cluster by splitting the largest: the two centroids are nudged apart
   * by a tiny relative perturbation, and the next assignment divides the points between them.
   */
  static int splitEmpty(float[] centroids, long[] counts, int k, int dim) {
    int split = 0;
    for (int ci = 0; ci < k; ci++) {
      if (counts[ci] > 0) {
        continue;
      }
      int cj = 0;
      for (int c = 1; c < k; c++) {
        if (counts[c] > counts[cj]) {
          cj = c;
        }
      }
      if (counts[cj] < 2) {
        break; // fewer distinct points than clusters: nothing left to split
      }
      for (int j = 0; j < dim; j++) {
        float v = centroids[cj * dim + j];
        float sign = (j % 2 == 0) ? 1 : -1;
        centroids[ci * dim + j] = v * (1 + sign * SPLIT_EPS);
        centroids[cj * dim + j] = v * (1 - sign * SPLIT_EPS);
      }
      counts[ci] = counts[cj] / 2;
      counts[cj] -= counts[ci];
      split++;
    }
    return split;
  }

  private static void normalizeRows(float[] c, int k, int dim) {
    for (int i = 0; i < k; i++) {
      IndexModel.normalize(c, i * dim, dim);
    }
  }

  /** Partial sums of one or more partitions: per cluster, the vector sum and the count. */
  static final class Stats implements Serializable {
    private static final long serialVersionUID = 1L;
    final int k;
    final int dim;
    final double[] sums;
    final long[] counts;
    /** Sum of squared distances (L2) or of negated inner products (spherical). */
    double objective;

    Stats(int k, int dim) {
      this.k = k;
      this.dim = dim;
      this.sums = new double[k * dim];
      this.counts = new long[k];
    }

    void add(VectorBlock b, CoarseQuantizer q) {
      int[] lists = new int[b.rows()];
      float[] score = new float[b.rows()];
      q.assign(b.data(), b.rows(), lists, score);
      float[] x = b.data();
      for (int i = 0; i < b.rows(); i++) {
        int c = lists[i];
        counts[c]++;
        int s = c * dim;
        int o = i * dim;
        for (int j = 0; j < dim; j++) {
          sums[s + j] += x[o + j];
        }
        // For L2 the kernel's score is ||c||^2/2 - x.c: twice it plus ||x||^2 is the distance.
        if (q.innerProduct()) {
          objective += score[i];
        } else {
          double norm = 0;
          for (int j = 0; j < dim; j++) {
            norm += (double) x[o + j] * x[o + j];
          }
          objective += norm + 2.0 * score[i];
        }
      }
    }

    Stats merge(Stats o) {
      for (int i = 0; i < sums.length; i++) {
        sums[i] += o.sums[i];
      }
      for (int i = 0; i < k; i++) {
        counts[i] += o.counts[i];
      }
      objective += o.objective;
      return this;
    }

    /** New centroids: the mean of each non-empty cluster; empty ones keep their old value. */
    float[] centroids(float[] previous) {
      float[] out = previous.clone();
      for (int c = 0; c < k; c++) {
        if (counts[c] > 0) {
          for (int j = 0; j < dim; j++) {
            out[c * dim + j] = (float) (sums[c * dim + j] / counts[c]);
          }
        }
      }
      return out;
    }
  }
}
