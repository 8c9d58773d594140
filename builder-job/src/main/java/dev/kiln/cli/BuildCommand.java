package dev.kiln.cli;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.BuildProgress;
import dev.kiln.job.BuildResult;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.job.evaluate.CurveTable;
import dev.kiln.job.read.ParquetPeek;
import dev.kiln.job.config.EvalConfig;
import dev.kiln.job.plan.AutoIndex;
import dev.kiln.job.config.CoarseTraining;
import dev.kiln.job.config.OnDuplicate;
import dev.kiln.format.Quality;
import java.util.ArrayList;
import java.util.List;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "build",
    description = {
      "Build an index from Parquet (id, embedding) rows and publish it as a new version.",
      "Runs on the Spark master spark-submit gives, or on an embedded local Spark.",
      "Re-running with a --version that is already published from the same input and",
      "parameters does nothing and succeeds (exit 0); any other existing version is a",
      "conflict (exit 4). Before publishing, the build measures recall, latency and QPS",
      "per nprobe through the serving loader (--eval-*); --min-recall makes that a gate",
      "(exit 5, nothing published). See docs/PUBLISHING.md."
    },
    footer = {"", "Example:",
        "  kiln build --input hdfs:///emb/items --output hdfs:///indexes/items \\",
        "      --index IVF4096,PQ16 --metric ip --version 2026-12-07"})
final class BuildCommand implements Callable<Integer> {
  // Not mixinStandardHelpOptions: its -V/--version clashes with this command's --version (the
  // version id), and picocli then dropped --help too ("Missing required options", exit 2).
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Mixin BuildOptions options;

  @Option(names = "--master", description = "Spark master URL (default: spark-submit's, else local[*]).")
  String master;

  @Option(names = "--progress", defaultValue = "auto",
      description = "auto (a bar on a terminal, log lines otherwise), bar, lines or none"
          + " (default: ${DEFAULT-VALUE}).")
  String progress;

  @Override
  public Integer call() throws Exception {
    BuildConfig cfg = options.toConfig();
    if (cfg.spec() != null && cfg.dim() == 0) {
      // The input's dimension from its first row, read before Spark starts (-1: unknown yet).
      int dim = ParquetPeek.firstVectorLength(new Configuration(), cfg.input(), cfg.vectorColumn());
      if (dim > 0) {
        try {
          cfg.spec().checkDimension(dim);
        } catch (IllegalArgumentException e) {
          throw new InvalidOptionException("--index: " + e.getMessage() + " (the input's first"
              + " row has " + dim + " components)");
        }
      }
    }
    try (SparkSessions.Lease spark = SparkSessions.get("kiln-build " + cfg.versionId(), master)) {
      Configuration hadoop = spark.spark().sparkContext().hadoopConfiguration();
      BuildResult r;
      try {
        BuildProgress.Mode mode;
        try {
          mode = BuildProgress.Mode.valueOf(progress.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new InvalidOptionException("--progress must be auto, bar, lines or none, not " + progress);
        }
        r = new KilnBuildJob(spark.spark(), cfg).progress(mode).run();
      } catch (Exception | Error e) {
        BuildStatus.write(hadoop, cfg.output(), cfg.versionId(), KilnCli.exitCodeOf(e),
            KilnCli.messageOf(e));
        throw e;
      }
      BuildStatus.write(hadoop, cfg.output(), cfg.versionId(), 0, (r.alreadyPublished()
          ? "already published from the same input and parameters: " : "published: ")
          + r.versionDir());
      if (r.alreadyPublished()) {
        System.out.printf("already published %s from the same input and parameters: %d items,"
            + " %s, metric %s; nothing to do (%s)%n", r.versionDir(), r.manifest().count(),
            r.manifest().index(), r.manifest().metric(), r.latest());
        return 0;
      }
      System.out.printf("published %s: %d items, %s, metric %s, %d shard(s) in %.1f s%n",
          r.versionDir(), r.manifest().count(), r.manifest().index(), r.manifest().metric(),
          r.manifest().shards(), r.seconds());
      Quality q = r.manifest().measuredQuality();
      if (q != null) {
        System.out.print(CurveTable.format(q));
      }
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
        description = {"Index type, Faiss factory style: IVF{nlist},Flat, IVF{nlist},PQ{m} or"
            + " IVF{nlist},PQ{m}x4fs (fast-scan), the PQ forms optionally with ,RFlat or"
            + " ,Refine(SQ8), IVF{nlist}_HNSW{M} for an HNSW coarse quantizer; HNSW{M}"
            + " (float32 vectors and an HNSW graph per shard) or HNSW{M},SQ8 (8-bit vectors),"
            + " optionally with ,RFlat; or auto: nlist the power of two nearest 4*sqrt(N), Flat if it fits"
            + " --memory-budget, else IVF{nlist},PQ{m}x4fs,Refine(SQ8) if that fits, else the"
            + " largest PQ code that fits there or at nlist/2."})
    String index;

    @Option(names = "--memory-budget",
        description = {"Bytes a serving node may map for the index (model and shards), like"
            + " 512m or 2g: picks the PQ code size under --index auto; an explicit --index"
            + " over it fails before training (default: no limit)."})
    String memoryBudget;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--version", description = "Version id (default: the current time, yyyyMMdd-HHmmss).")
    String version;

    @Option(names = "--id-column", defaultValue = BuildConfig.DEFAULT_ID_COLUMN, description = "Id column: long, int or string (default: ${DEFAULT-VALUE}).")
    String idColumn;

    @Option(names = "--vector-column", defaultValue = BuildConfig.DEFAULT_VECTOR_COLUMN,
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

    @Option(names = "--seed", defaultValue = BuildConfig.DEFAULT_SEED_TEXT, description = "Seed for sampling and training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train-points-per-list", defaultValue = BuildConfig.DEFAULT_POINTS_PER_LIST_TEXT,
        description = "Coarse training sample per list (default: ${DEFAULT-VALUE}; Faiss uses up"
            + " to 256: see the README's training-sample study).")
    int pointsPerList;

    @Option(names = "--kmeans-iterations", defaultValue = BuildConfig.DEFAULT_KMEANS_ITERATIONS_TEXT, description = "Coarse k-means iterations (default: ${DEFAULT-VALUE}).")
    int kmeansIterations;

    @Option(names = "--coarse-training", defaultValue = "auto",
        description = "Coarse k-means: flat, two-level (about sqrt(nlist) top clusters, each"
            + " split on its own; for large nlist), or auto: two-level from "
            + CoarseTraining.AUTO_TWO_LEVEL_NLIST_TEXT + " lists (default: ${DEFAULT-VALUE}).")
    String coarseTraining;

    @Option(names = "--exact-assignment",
        description = "With an HNSW coarse quantizer (IVF{n}_HNSW{M}), assign items to lists by"
            + " scoring every centroid instead of searching the graph (slower at large nlist;"
            + " see the README).")
    boolean exactAssignment;

    @Option(names = "--pq-train-points", defaultValue = BuildConfig.DEFAULT_PQ_TRAIN_POINTS_TEXT, description = "PQ training sample (default: ${DEFAULT-VALUE}).")
    int pqTrainPoints;

    @Option(names = "--pq-iterations", defaultValue = BuildConfig.DEFAULT_PQ_ITERATIONS_TEXT, description = "k-means iterations per PQ sub-space (default: ${DEFAULT-VALUE}).")
    int pqIterations;

    @Option(names = "--ef-construction", defaultValue = BuildConfig.DEFAULT_EF_CONSTRUCTION_TEXT,
        description = "HNSW{M}: the beam while inserting items into each shard's graph"
            + " (default: ${DEFAULT-VALUE}, as Faiss); above 2M, rows are pruned by Faiss's"
            + " heuristic: a sparser graph, built slower.")
    int efConstruction;

    @Option(names = "--max-reject-fraction", defaultValue = "0",
        description = "Fraction of invalid rows to set aside in _rejects/ before failing (default: ${DEFAULT-VALUE}).")
    double maxRejectFraction;

    @Option(names = "--on-duplicate", defaultValue = "fail",
        description = {"An id on more than one valid row: fail (exit 3, naming it), or keep-any:"
            + " keep the row whose embedding sorts first (a choice made from the rows alone, so"
            + " re-runs keep the same one) and set the others aside in _rejects/ as 'duplicate"
            + " id' (default: ${DEFAULT-VALUE})."})
    String onDuplicate;

    @Option(names = "--staging-grace", defaultValue = "1h", converter = DurationConverter.class,
        description = {"Remove other builds' staging directories under OUTPUT/_staging that have"
            + " not been modified for this long: leftovers of killed builds (a running build"
            + " keeps its own fresh). Like 90s, 30m, 6h, 2d or PT1H (default: ${DEFAULT-VALUE})."})
    Duration stagingGrace;

    @Option(names = "--queries",
        description = {"Evaluate with these query vectors: Parquet (any Hadoop URI) with the"
            + " --vector-column (default: --eval-queries items sampled from the input, each"
            + " searched with itself left out)."})
    String queries;

    @Option(names = "--eval-queries", defaultValue = "1000",
        description = "Queries sampled from the input to measure recall with; 0 skips the"
            + " evaluation (default: ${DEFAULT-VALUE}).")
    int evalQueries;

    @Option(names = "--eval-k", defaultValue = "10", description = "k of the measured recall@k (default: ${DEFAULT-VALUE}).")
    int evalK;

    @Option(names = "--eval-nprobe", split = ",",
        description = "nprobe values to measure (default: 1, 2, 4, ... up to min(nlist, 256)).")
    List<Integer> evalNprobes = new ArrayList<>();

    @Option(names = "--min-recall",
        description = {"Publish gate: fail (exit 5) without publishing when the measured"
            + " recall@k at --at-nprobe is below this; LATEST stays as it was."})
    Double minRecall;

    @Option(names = "--at-nprobe", defaultValue = "16", description = "The nprobe --min-recall is read at (default: ${DEFAULT-VALUE}).")
    int atNprobe;

    EvalConfig evalConfig() {
      try {
        return new EvalConfig(queries, evalQueries, evalK, evalNprobes,
            minRecall == null ? Double.NaN : minRecall, atNprobe);
      } catch (IllegalArgumentException e) {
        throw new InvalidOptionException(e.getMessage());
      }
    }

    OnDuplicate onDuplicatePolicy() {
      try {
        return OnDuplicate.parse(onDuplicate);
      } catch (IllegalArgumentException e) {
        throw new InvalidOptionException(e.getMessage());
      }
    }

    BuildConfig toConfig() {
      String v = version != null ? version
          : LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      // The parsers live in index-format and know nothing of options: name the option here.
      IndexSpec spec = index.equalsIgnoreCase("auto") ? null
          : named("--index", () -> IndexSpec.parse(index));
      if (spec != null && dim > 0) {
        // Known before any data is read: refuse here, before Spark starts.
        named("--index", () -> {
          spec.checkDimension(dim);
          return spec;
        });
      }
      long budget = memoryBudget == null ? 0
          : named("--memory-budget", () -> AutoIndex.parseBytes(memoryBudget));
      Metric m = named("--metric", () -> Metric.parse(metric));
      named("--version", () -> IndexLayout.checkVersionId(v));
      return BuildConfig.defaults(input, output, v, spec, m)
          .withMemoryBudget(budget)
          .withColumns(idColumn, vectorColumn)
          .withDim(dim)
          .withShards(shards)
          .withPartitions(partitions)
          .withTraining(seed, pointsPerList, kmeansIterations, pqTrainPoints, pqIterations)
          .withEfConstruction(efConstruction)
          .withCoarseTraining(named("--coarse-training", () -> CoarseTraining.parse(coarseTraining)))
          .withExactAssignment(exactAssignment)
          .withMaxRejectFraction(maxRejectFraction)
          .withOnDuplicate(onDuplicatePolicy())
          .withStagingGrace(stagingGrace)
          .withEvaluation(evalConfig());
    }

    /** {@code parse}'s value; its IllegalArgumentException as a usage error naming the option. */
    private static <T> T named(String option, java.util.function.Supplier<T> parse) {
      try {
        return parse.get();
      } catch (IllegalArgumentException e) {
        String msg = String.valueOf(e.getMessage());
        throw new InvalidOptionException(msg.startsWith(option) ? msg : option + ": " + msg);
      }
    }
  }

  /** A duration: a number and a unit (ms, s, m, h, d), or ISO-8601 (PT1H). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      Matcher m = SHORT.matcher(v);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      try {
        return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      } catch (java.time.format.DateTimeParseException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a duration: use a number and a unit (90s, 30m, 6h, 2d) or"
                + " ISO-8601 (PT1H)");
      }
    }
  }
}
