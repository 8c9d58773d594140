package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.SubspaceProber;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lloyd's k-means over a cached, distributed training sample: each iteration broadcasts the
 * centroids (with their subspace, so the nearest centroid is found by bounds first: {@link
 * SubspaceProber}), every partition assigns its blocks and emits partial sums
 * and counts ({@link ClusterSums}), an ordered reduction merges them, and the driver moves the
 * centroids. Seeds come from Smile's k-means++ ({@link KMeansSeeds}) on a small driver-side
 * subsample. Empty clusters are refilled by splitting the largest cluster of distinct points;
 * only when there are fewer distinct points than clusters do some stay empty (their lists are
 * then empty: search skips them, the manifest counts them). Inner
 * product and cosine train spherical k-means (inner-product assignment, unit-norm centroids), as
 * Faiss does for IP quantizers.
 */
public final class DistributedKMeans {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedKMeans.class);

  /** Trained centroids, the last iteration's cluster sizes and objective. */
  public record Result(float[] centroids, long[] sizes, double objective, int iterations)
      implements java.io.Serializable {}

  private static final java.util.concurrent.atomic.AtomicLong RUNS =
      new java.util.concurrent.atomic.AtomicLong();

  private DistributedKMeans() {}

  /**
   * An iteration's centroids and the subspace the driver found from them (null: none pays), so
   * every task assigns through the same bound ({@link SubspaceProber}) without finding it again.
   */
  record Centroids(float[] centroids, CentroidSubspace subspace, KMeansBounds.Moves moves)
      implements java.io.Serializable {
    CoarseAssigner assigner(int k, int dim, Metric metric) {
      CoarseQuantizer q = new CoarseQuantizer(centroids, k, dim, metric);
      return new CoarseAssigner(SubspaceProber.of(q, subspace), dim);
    }
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
      ClusterSums.normalizeRows(centroids, k, dim);
    }
    ClusterSums stats = null;
    // Identifies this run's bound state on the executors; not part of any result.
    long run = RUNS.incrementAndGet() ^ System.nanoTime();
    boolean bounded = metric == Metric.L2;
    float[] previous = null;
    for (int it = 0; it < iterations; it++) {
      KMeansBounds.Moves moves = bounded && previous != null
          ? KMeansBounds.Moves.of(run, it, previous, centroids, k, dim) : null;
      Broadcast<Centroids> bc = jsc.broadcast(
          new Centroids(centroids, CentroidSubspace.of(centroids, k, dim), moves));
      int iteration = it;
      JavaRDD<ClusterSums> partials =
          blocks.mapPartitions(
              part -> {
                Centroids c = bc.value();
                CoarseAssigner q = c.assigner(k, dim, metric);
                KMeansBounds bounds =
                    bounded ? new KMeansBounds(q, dim, c.moves(), run, iteration) : null;
                ClusterSums s = new ClusterSums(k, dim);
                while (part.hasNext()) {
                  VectorBlock b = part.next();
                  if (bounds == null) {
                    s.add(b.data(), b.rows(), q);
                  } else {
                    int[] lists = new int[b.rows()];
                    float[] dist = new float[b.rows()];
                    s.skipped += bounds.assign(b.data(), b.rows(), lists, dist);
                    s.add(b.data(), b.rows(), lists, dist);
                  }
                }
                return List.of(s).iterator();
              });
      stats = OrderedReduce.reduce(partials, ClusterSums::merge, 8L * k * dim + 24L * k);
      bc.destroy();
      previous = centroids;
      centroids = centroids.clone();
      int empty = stats.empty();
      int split = stats.update(centroids, spherical);
      long points = 0;
      for (long n : stats.counts) {
        points += n;
      }
      LOG.info("k-means iteration {}/{}: objective {} ({} empty clusters re-split{}{})",
          it + 1, iterations, String.format("%.6g", stats.objective), split, split < empty
              ? ", " + (empty - split) + " left empty: fewer distinct points than clusters in the sample"
              : "", stats.skipped > 0 ? String.format("; %.0f%% of points kept their list by the"
              + " bounds", 100.0 * stats.skipped / points) : "");
    }
    return new Result(centroids, stats.counts, stats.objective, iterations);
  }
}
