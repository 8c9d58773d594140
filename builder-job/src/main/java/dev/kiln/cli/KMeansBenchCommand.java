package dev.kiln.cli;

import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.read.InputReader;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.job.read.Item;
import dev.kiln.job.train.DistributedKMeans;
import dev.kiln.job.train.KMeansSeeds;
import dev.kiln.job.train.TrainingSample;
import dev.kiln.job.train.VectorBlock;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.mllib.clustering.KMeans;
import org.apache.spark.mllib.clustering.KMeansModel;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Kiln's distributed k-means against Spark MLlib's on the same terms: the coarse training
 * sample a build would draw, the same initial centroids (Kiln's k-means++ seeds), the same number
 * of Lloyd iterations. Both results are scored by one function, MLlib's {@code computeCost}.
 */
@Command(name = "kmeans-bench", mixinStandardHelpOptions = true,
    description = {
      "Compare Kiln's k-means with Spark MLlib's KMeans on the build's training sample.",
      "Same sample, same initial centroids, same iterations (L2). Prints seconds and final",
      "inertia (sum of squared distances to the nearest centroid) for each."
    },
    footer = {"", "Example:",
        "  kiln kmeans-bench --input base.parquet --k 1024 --iterations 25"})
final class KMeansBenchCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, description = "Parquet (id, embedding) rows.") String input;
  @Option(names = "--k", required = true, description = "Centroids (nlist).") int k;
  @Option(names = "--train-points-per-list", defaultValue = BuildConfig.DEFAULT_POINTS_PER_LIST_TEXT,
      description = "Sample size per centroid, as the build (default: ${DEFAULT-VALUE}).") int pointsPerList;
  @Option(names = "--iterations", defaultValue = "10", description = "Lloyd iterations for both (default: ${DEFAULT-VALUE}).") int iterations;
  @Option(names = "--seed", defaultValue = BuildConfig.DEFAULT_SEED_TEXT, description = "Sample and seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--vector-column", defaultValue = BuildConfig.DEFAULT_VECTOR_COLUMN, description = "Embedding column (default: ${DEFAULT-VALUE}).") String vectorColumn;
  @Option(names = "--master", description = "Spark master (default: local[*]).") String master;

  @Override
  public Integer call() throws Exception {
    try (SparkSessions.Lease lease = SparkSessions.get("kiln-kmeans-bench", master)) {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(lease.spark().sparkContext());
      BuildConfig cfg = BuildConfig.defaults(input, "unused", "kmeans-bench", IndexSpec.flat(k),
          Metric.L2).withColumns("id", vectorColumn).withOnDuplicate(OnDuplicate.KEEP_ANY);
      InputReader.Input in = new InputReader(lease.spark(), cfg).read();
      int dim = in.dim();
      long n = in.count();
      JavaRDD<Item> items = in.items(); // canonical and cached by the read
      long nTrain = Math.min(n, (long) pointsPerList * k);
      JavaRDD<VectorBlock> blocks = TrainingSample.blocks(items, (double) nTrain / n, seed, dim)
          .persist(StorageLevel.MEMORY_AND_DISK());
      long rows = TrainingSample.rows(blocks);
      List<Item> seedSample = items.takeSample(false, (int) Math.min(n, 4L * k), seed);
      float[] seedPoints = new float[seedSample.size() * dim];
      for (int i = 0; i < seedSample.size(); i++) {
        System.arraycopy(seedSample.get(i).vector(), 0, seedPoints, i * dim, dim);
      }
      float[] init = KMeansSeeds.kmeansPlusPlus(seedPoints, seedSample.size(), dim, k, seed);
      JavaRDD<Vector> vectors = blocks.flatMap(b -> {
        List<Vector> out = new ArrayList<>(b.rows());
        for (int r = 0; r < b.rows(); r++) {
          double[] x = new double[b.dim()];
          for (int j = 0; j < x.length; j++) {
            x[j] = b.data()[r * b.dim() + j];
          }
          out.add(Vectors.dense(x));
        }
        return out.iterator();
      }).persist(StorageLevel.MEMORY_AND_DISK());
      vectors.count(); // cached before either clock starts, as the blocks are
      System.out.printf("sample_rows=%d dim=%d k=%d iterations=%d%n", rows, dim, k, iterations);

      long t0 = System.nanoTime();
      DistributedKMeans.Result kiln =
          DistributedKMeans.train(jsc, blocks, init, k, dim, Metric.L2, iterations);
      double kilnSeconds = (System.nanoTime() - t0) / 1e9;

      t0 = System.nanoTime();
      KMeansModel mllib = new KMeans().setK(k).setMaxIterations(iterations).setEpsilon(0)
          .setInitialModel(model(init, k, dim)).setSeed(seed).run(vectors.rdd());
      double mllibSeconds = (System.nanoTime() - t0) / 1e9;

      double kilnCost = model(kiln.centroids(), k, dim).computeCost(vectors.rdd());
      double mllibCost = mllib.computeCost(vectors.rdd());
      System.out.printf("kiln_seconds=%.2f kiln_inertia=%.6e%n", kilnSeconds, kilnCost);
      System.out.printf("mllib_seconds=%.2f mllib_inertia=%.6e%n", mllibSeconds, mllibCost);
      System.out.printf("speedup=%.2f inertia_ratio=%.4f%n", mllibSeconds / kilnSeconds,
          kilnCost / mllibCost);
      vectors.unpersist(true);
      blocks.unpersist(true);
      items.unpersist(true);
    }
    return 0;
  }

  private static KMeansModel model(float[] centroids, int k, int dim) {
    Vector[] v = new Vector[k];
    for (int c = 0; c < k; c++) {
      double[] x = new double[dim];
      for (int j = 0; j < dim; j++) {
        x[j] = centroids[c * dim + j];
      }
      v[c] = Vectors.dense(x);
    }
    return new KMeansModel(v);
  }
}
