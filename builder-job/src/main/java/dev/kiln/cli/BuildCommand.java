package dev.kiln.cli;

import dev.kiln.build.BuildConfig;
import dev.kiln.build.BuildResult;
import dev.kiln.build.KilnBuildJob;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = {
      "Build an index from Parquet (id, embedding) rows and publish it as a new version.",
      "Runs on the Spark master spark-submit gives, or on an embedded local Spark."
    })
final class BuildCommand implements Callable<Integer> {
  @Mixin BuildOptions options;

  @Option(names = "--master", description = "Spark master URL (default: spark-submit's, else local[*]).")
  String master;

  @Override
  public Integer call() throws Exception {
    BuildConfig cfg = options.toConfig();
    try (SparkSessions.Lease spark = SparkSessions.get("kiln-build " + cfg.versionId(), master)) {
      BuildResult r = new KilnBuildJob(spark.spark(), cfg).run();
      System.out.printf("published %s: %d items, %s, metric %s, %d shard(s) in %.1f s%n",
          r.versionDir(), r.manifest().count(), r.manifest().index(), r.manifest().metric(),
          r.manifest().shards(), r.seconds());
      return 0;
    }
  }

  /** The build options, shared by {@code build} and {@code bench}. */
  static final class BuildOptions {
    @Option(names = "--input", required = true, description = "Parquet file or directory (any Hadoop URI).")
    String input;

    @Option(names = "--output", required = true, description = "Index root (any Hadoop URI).")
    String output;

    @Option(names = "--index", required = true,
        description = "Index type, Faiss factory style: IVF{nlist},Flat or IVF{nlist},PQ{m}.")
    String index;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--version", description = "Version id (default: the current time, yyyyMMdd-HHmmss).")
    String version;

    @Option(names = "--id-column", defaultValue = "id", description = "Id column: long, int or string (default: ${DEFAULT-VALUE}).")
    String idColumn;

    @Option(names = "--vector-column", defaultValue = "embedding",
        description = "Embedding column: array<float> or array<double> (default: ${DEFAULT-VALUE}).")
    String vectorColumn;

    @Option(names = "--dim", defaultValue = "0", description = "Expected dimension (default: the first row's).")
    int dim;

    @Option(names = "--shards", defaultValue = "0", description = "Shard files (default: about one per 512 MiB).")
    int shards;

    @Option(names = "--partitions", defaultValue = "0",
        description = "Spark partitions for the items (default: from the data size, never from"
            + " the cluster, so any cluster builds the same bytes).")
    int partitions;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed for sampling and training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train-points-per-list", defaultValue = "256",
        description = "Coarse training sample per list (default: ${DEFAULT-VALUE}, as Faiss).")
    int pointsPerList;

    @Option(names = "--kmeans-iterations", defaultValue = "25", description = "Coarse k-means iterations (default: ${DEFAULT-VALUE}).")
    int kmeansIterations;

    @Option(names = "--pq-train-points", defaultValue = "65536", description = "PQ training sample (default: ${DEFAULT-VALUE}).")
    int pqTrainPoints;

    @Option(names = "--pq-iterations", defaultValue = "25", description = "k-means iterations per PQ sub-space (default: ${DEFAULT-VALUE}).")
    int pqIterations;

    @Option(names = "--max-reject-fraction", defaultValue = "0",
        description = "Fraction of invalid rows to set aside in _rejects/ before failing (default: ${DEFAULT-VALUE}).")
    double maxRejectFraction;

    BuildConfig toConfig() {
      String v = version != null ? version
          : LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      return BuildConfig.defaults(input, output, v, IndexSpec.parse(index), Metric.parse(metric))
          .withColumns(idColumn, vectorColumn)
          .withDim(dim)
          .withShards(shards)
          .withPartitions(partitions)
          .withTraining(seed, pointsPerList, kmeansIterations, pqTrainPoints, pqIterations)
          .withMaxRejectFraction(maxRejectFraction);
    }
  }
}
