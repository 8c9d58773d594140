package dev.kiln.job.config;

import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.io.Serializable;
import java.time.Duration;

/**
 * Everything one build needs to know. Defaults follow Faiss where Faiss has one (25 k-means
 * iterations, 65,536 PQ training points), except the coarse training sample: 32 points per
 * list rather than Faiss's up to 256, from measurements (README, "Training sample size"): on
 * Fashion-MNIST and 1M synthetic vectors it kept recall@10 within 0.008 of 256's (or of Faiss's)
 * at every nprobe while cutting the k-means work eightfold.
 *
 * @param input Parquet file or directory, any Hadoop URI
 * @param output index root, any Hadoop URI
 * @param versionId the version directory name
 * @param spec the index type, or null for {@code --index auto} (chosen from the data size, the
 *     dimension and {@code memoryBudget} by {@link dev.kiln.job.plan.AutoIndex})
 * @param metric the metric
 * @param idColumn id column: long, int or string
 * @param vectorColumn embedding column: array of float or double
 * @param dim expected dimension, or 0 to take it from the first row
 * @param seed seed for every random choice: the same input, seed and parameters give the same
 *     bytes
 * @param shards shard files, or 0 to derive from the data size
 * @param partitions Spark partitions the items are arranged in, or 0 to derive from the data
 *     size; never from the cluster, so every cluster builds the same bytes
 * @param pointsPerCentroid coarse training sample size per list
 * @param kmeansIterations Lloyd iterations for the coarse quantizer
 * @param coarseTraining flat or two-level coarse k-means, or automatic by nlist
 * @param exactAssignment assign items to lists by scoring every centroid even when the index has
 *     an HNSW graph over them (which is faster, and what fresh items in the loader use)
 * @param pqTrainingPoints PQ training sample size
 * @param pqIterations k-means iterations per PQ sub-space
 * @param efConstruction {@code HNSW{M}}: the beam while inserting items into a shard's graph
 * @param maxRejectFraction fraction of invalid rows tolerated (they are set aside in
 *     {@code _rejects/}); beyond it the build fails
 * @param onDuplicate what to do with an id on more than one valid row: fail, or keep one row per
 *     id (chosen from the rows' contents, see {@link OnDuplicate#KEEP_ANY}); the rows set aside
 *     do not count towards {@code maxRejectFraction}
 * @param stagingGrace staging entries of other builds not modified for this long are taken for
 *     leftovers of killed builds and removed (see {@code Publisher}); not part of the build's
 *     fingerprint
 * @param memoryBudget bytes a serving node may map for the index, or 0 for no limit: picks the
 *     encoding under {@code --index auto}; an explicit index over it fails the build
 * @param evaluation how the build measures the index before publishing it, and the publish gate;
 *     not part of the build's fingerprint (it does not change the files)
 */
public record BuildConfig(
    String input,
    String output,
    String versionId,
    IndexSpec spec,
    Metric metric,
    String idColumn,
    String vectorColumn,
    int dim,
    long seed,
    int shards,
    int partitions,
    int pointsPerCentroid,
    int kmeansIterations,
    CoarseTraining coarseTraining,
    boolean exactAssignment,
    int pqTrainingPoints,
    int pqIterations,
    int efConstruction,
    double maxRejectFraction,
    OnDuplicate onDuplicate,
    Duration stagingGrace,
    long memoryBudget,
    EvalConfig evaluation)
    implements Serializable {

  // Each default is written once, as text: picocli's defaultValue needs a compile-time constant
  // string, and the number is parsed from it, so the CLI and defaults() cannot drift apart.

  /** Coarse training points per list; see the README's training-sample study. */
  public static final String DEFAULT_POINTS_PER_LIST_TEXT = "32";

  public static final int DEFAULT_POINTS_PER_LIST = Integer.parseInt(DEFAULT_POINTS_PER_LIST_TEXT);

  public static final String DEFAULT_SEED_TEXT = "1234";

  public static final long DEFAULT_SEED = Long.parseLong(DEFAULT_SEED_TEXT);

  /** Coarse k-means iterations, as Faiss. */
  public static final String DEFAULT_KMEANS_ITERATIONS_TEXT = "25";

  public static final int DEFAULT_KMEANS_ITERATIONS = Integer.parseInt(DEFAULT_KMEANS_ITERATIONS_TEXT);

  /** PQ training sample, as Faiss. */
  public static final String DEFAULT_PQ_TRAIN_POINTS_TEXT = "65536";

  public static final int DEFAULT_PQ_TRAIN_POINTS = Integer.parseInt(DEFAULT_PQ_TRAIN_POINTS_TEXT);

  /** k-means iterations per PQ sub-space, as Faiss. */
  public static final String DEFAULT_PQ_ITERATIONS_TEXT = "25";

  public static final int DEFAULT_PQ_ITERATIONS = Integer.parseInt(DEFAULT_PQ_ITERATIONS_TEXT);

  /**
   * {@code HNSW{M}}'s beam while inserting, Faiss's default. Wider than a row (2M) it prunes
   * every row by the heuristic, as in Faiss: a sparser graph on the same recall/QPS curve, built
   * slower (measured on Fashion-MNIST; README, "HNSW").
   */
  public static final String DEFAULT_EF_CONSTRUCTION_TEXT = "40";

  public static final int DEFAULT_EF_CONSTRUCTION = Integer.parseInt(DEFAULT_EF_CONSTRUCTION_TEXT);

  public static final String DEFAULT_ID_COLUMN = "id";

  public static final String DEFAULT_VECTOR_COLUMN = "embedding";

  /** Shards are sized so that each stays well under the 2 GiB one mapping can hold. */
  public static final long TARGET_SHARD_BYTES = 512L << 20;

  /** How long a staging directory may go unmodified before another build removes it. */
  public static final Duration DEFAULT_STAGING_GRACE = Duration.ofHours(1);

  public BuildConfig {
    IndexLayout.checkVersionId(versionId);
    // Named as the CLI options are: each component is one build option.
    atLeast("--shards", shards, 0);
    atLeast("--partitions", partitions, 0);
    atLeast("--dim", dim, 0);
    atLeast("--train-points-per-list", pointsPerCentroid, 1);
    atLeast("--kmeans-iterations", kmeansIterations, 1);
    atLeast("--pq-train-points", pqTrainingPoints, 1);
    atLeast("--pq-iterations", pqIterations, 1);
    atLeast("--ef-construction", efConstruction, 1);
    atLeast("--memory-budget", memoryBudget, 0);
    if (!(maxRejectFraction >= 0 && maxRejectFraction <= 1)) {
      throw new IllegalArgumentException(
          "--max-reject-fraction must be in [0, 1], not " + maxRejectFraction);
    }
    if (coarseTraining == null) {
      throw new IllegalArgumentException("a coarse training mode is required");
    }
    if (onDuplicate == null) {
      throw new IllegalArgumentException("a duplicate-id policy is required");
    }
    if (stagingGrace == null || stagingGrace.isNegative()) {
      throw new IllegalArgumentException("the staging grace period must be zero or more");
    }
    if (evaluation == null) {
      throw new IllegalArgumentException("evaluation settings are required (EvalConfig.off())");
    }
  }

  private static void atLeast(String option, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(option + " must be "
          + (min == 0 ? "0 (the default: automatic) or more" : "positive") + ", not " + value);
    }
  }

  /** A configuration with the defaults for everything but the essentials. */
  public static BuildConfig defaults(
      String input, String output, String versionId, IndexSpec spec, Metric metric) {
    return new BuildConfig(
        input, output, versionId, spec, metric, DEFAULT_ID_COLUMN, DEFAULT_VECTOR_COLUMN, 0,
        DEFAULT_SEED, 0, 0, DEFAULT_POINTS_PER_LIST, DEFAULT_KMEANS_ITERATIONS,
        CoarseTraining.AUTO, false, DEFAULT_PQ_TRAIN_POINTS, DEFAULT_PQ_ITERATIONS,
        DEFAULT_EF_CONSTRUCTION, 0.0, OnDuplicate.FAIL, DEFAULT_STAGING_GRACE, 0, EvalConfig.defaults());
  }

  public BuildConfig withShards(int n) {
    return edit(b -> b.shards = n);
  }

  public BuildConfig withPartitions(int n) {
    return edit(b -> b.partitions = n);
  }

  public BuildConfig withColumns(String id, String vector) {
    return edit(b -> {
      b.idColumn = id;
      b.vectorColumn = vector;
    });
  }

  public BuildConfig withTraining(long seed, int pointsPerCentroid, int kmeansIterations,
      int pqTrainingPoints, int pqIterations) {
    return edit(b -> {
      b.seed = seed;
      b.pointsPerCentroid = pointsPerCentroid;
      b.kmeansIterations = kmeansIterations;
      b.pqTrainingPoints = pqTrainingPoints;
      b.pqIterations = pqIterations;
    });
  }

  public BuildConfig withEfConstruction(int ef) {
    return edit(b -> b.efConstruction = ef);
  }

  public BuildConfig withCoarseTraining(CoarseTraining t) {
    return edit(b -> b.coarseTraining = t);
  }

  public BuildConfig withExactAssignment(boolean exact) {
    return edit(b -> b.exactAssignment = exact);
  }

  public BuildConfig withDim(int d) {
    return edit(b -> b.dim = d);
  }

  public BuildConfig withMaxRejectFraction(double f) {
    return edit(b -> b.maxRejectFraction = f);
  }

  public BuildConfig withOnDuplicate(OnDuplicate policy) {
    return edit(b -> b.onDuplicate = policy);
  }

  public BuildConfig withStagingGrace(Duration grace) {
    return edit(b -> b.stagingGrace = grace);
  }

  public BuildConfig withMemoryBudget(long bytes) {
    return edit(b -> b.memoryBudget = bytes);
  }

  public BuildConfig withEvaluation(EvalConfig e) {
    return edit(b -> b.evaluation = e);
  }

  /** A copy with some components changed: records have no "with", so one mutable copy does. */
  private BuildConfig edit(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  private static final class Copy {
    final String input;
    final String output;
    final String versionId;
    final IndexSpec spec;
    final Metric metric;
    String idColumn;
    String vectorColumn;
    int dim;
    long seed;
    int shards;
    int partitions;
    int pointsPerCentroid;
    int kmeansIterations;
    CoarseTraining coarseTraining;
    boolean exactAssignment;
    int pqTrainingPoints;
    int pqIterations;
    int efConstruction;
    double maxRejectFraction;
    OnDuplicate onDuplicate;
    Duration stagingGrace;
    long memoryBudget;
    EvalConfig evaluation;

    Copy(BuildConfig c) {
      input = c.input;
      output = c.output;
      versionId = c.versionId;
      spec = c.spec;
      metric = c.metric;
      idColumn = c.idColumn;
      vectorColumn = c.vectorColumn;
      dim = c.dim;
      seed = c.seed;
      shards = c.shards;
      partitions = c.partitions;
      pointsPerCentroid = c.pointsPerCentroid;
      kmeansIterations = c.kmeansIterations;
      coarseTraining = c.coarseTraining;
      exactAssignment = c.exactAssignment;
      pqTrainingPoints = c.pqTrainingPoints;
      pqIterations = c.pqIterations;
      efConstruction = c.efConstruction;
      maxRejectFraction = c.maxRejectFraction;
      onDuplicate = c.onDuplicate;
      stagingGrace = c.stagingGrace;
      memoryBudget = c.memoryBudget;
      evaluation = c.evaluation;
    }

    BuildConfig build() {
      return new BuildConfig(input, output, versionId, spec, metric, idColumn, vectorColumn, dim,
          seed, shards, partitions, pointsPerCentroid, kmeansIterations, coarseTraining,
          exactAssignment, pqTrainingPoints,
          pqIterations, efConstruction, maxRejectFraction, onDuplicate, stagingGrace, memoryBudget, evaluation);
    }
  }
}
