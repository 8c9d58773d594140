package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.CoarseAssigner;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.SubspaceProber;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
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
 *
 * <p>In Spark's local mode the executors are this JVM's threads, and a job per iteration (task
 * scheduling, the broadcast, the collect) costs about 0.15 s however little the tasks do (with
 * the bounds, most iterations skip nearly every point). There a sample of at most {@link
 * #DRIVER_SAMPLE_BYTES} is collected once, partition by partition, and the iterations run on
 * the driver's threads: each partition's partial sums are computed by the same code as a task's
 * and merged in partition order, as {@link OrderedReduce} merges them when one group holds them
 * all, so the centroids are the distributed path's bit for bit.
 */
public final class DistributedKMeans {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedKMeans.class);

  /** Trained centroids, the last iteration's cluster sizes and objective. */
  public record Result(float[] centroids, long[] sizes, double objective, int iterations)
      implements java.io.Serializable {}

  private static final java.util.concurrent.atomic.AtomicLong RUNS =
      new java.util.concurrent.atomic.AtomicLong();

  /** The largest sample (vector bytes) the driver iterates over itself in local mode. */
  static final long DRIVER_SAMPLE_BYTES = 512L << 20;

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
    return train(jsc, blocks, init, k, dim, metric, iterations, true, Iterations.NONE);
  }

  /** {@link #train(JavaSparkContext, JavaRDD, float[], int, int, Metric, int)}, telling each
   * iteration's end to {@code progress}. */
  public static Result train(JavaSparkContext jsc, JavaRDD<VectorBlock> blocks, float[] init,
      int k, int dim, Metric metric, int iterations, Iterations progress) {
    return train(jsc, blocks, init, k, dim, metric, iterations, true, progress);
  }

  /**
   * {@link #train(JavaSparkContext, JavaRDD, float[], int, int, Metric, int)}, with {@code
   * mayRunOnDriver} false forcing a Spark job per iteration even in local mode (for tests: both
   * paths give the same bits).
   */
  static Result train(JavaSparkContext jsc, JavaRDD<VectorBlock> blocks, float[] init, int k,
      int dim, Metric metric, int iterations, boolean mayRunOnDriver, Iterations progress) {
    boolean spherical = metric != Metric.L2;
    float[] centroids = init.clone();
    if (spherical) {
      ClusterSums.normalizeRows(centroids, k, dim);
    }
    ClusterSums stats = null;
    // Identifies this run's bound state on the executors; not part of any result.
    long run = RUNS.incrementAndGet() ^ System.nanoTime();
    boolean bounded = metric == Metric.L2;
    long partialBytes = 8L * k * dim + 24L * k;
    List<List<VectorBlock>> onDriver = mayRunOnDriver && jsc.isLocal()
        && OrderedReduce.mergesOnDriver(blocks.getNumPartitions(), partialBytes)
        && 4L * dim * TrainingSample.rows(blocks) <= DRIVER_SAMPLE_BYTES
        ? blocks.glom().collect() : null;
    float[] previous = null;
    for (int it = 0; it < iterations; it++) {
      KMeansBounds.Moves moves = bounded && previous != null
          ? KMeansBounds.Moves.of(run, it, previous, centroids, k, dim) : null;
      Centroids now = new Centroids(centroids, CentroidSubspace.of(centroids, k, dim), moves);
      int iteration = it;
      if (onDriver != null) {
        ClusterSums[] partials = new ClusterSums[onDriver.size()];
        IntStream.range(0, partials.length).parallel().forEach(p -> partials[p] =
            partial(onDriver.get(p).iterator(), now, k, dim, metric, bounded, run, iteration));
        stats = partials[0];
        for (int p = 1; p < partials.length; p++) {
          stats = stats.merge(partials[p]);
        }
      } else {
        Broadcast<Centroids> bc = jsc.broadcast(now);
        JavaRDD<ClusterSums> partials = blocks.mapPartitions(part -> List.of(partial(part,
            bc.value(), k, dim, metric, bounded, run, iteration)).iterator());
        stats = OrderedReduce.reduce(partials, ClusterSums::merge, partialBytes);
        bc.destroy();
      }
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
      progress.done(it + 1, iterations);
    }
    return new Result(centroids, stats.counts, stats.objective, iterations);
  }

  /** One partition's partial sums: its points assigned (through the bounds for l2) and added. */
  private static ClusterSums partial(Iterator<VectorBlock> part, Centroids c, int k, int dim,
      Metric metric, boolean bounded, long run, int iteration) {
    CoarseAssigner q = c.assigner(k, dim, metric);
    KMeansBounds bounds = bounded ? new KMeansBounds(q, dim, c.moves(), run, iteration) : null;
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
    return s;
  }
}
