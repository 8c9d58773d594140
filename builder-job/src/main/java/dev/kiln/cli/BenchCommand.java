package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.tools.Vecs;
import dev.kiln.tools.Convert;
import dev.kiln.tools.FreshRun;
import dev.kiln.tools.MappedPages;
import dev.kiln.tools.QueryRun;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.config.CoarseTraining;
import dev.kiln.job.BuildResult;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.job.config.EvalConfig;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.SearchParams;
import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingOptions;
import dev.kiln.serve.VersionPin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole path on SIFT-style files, as a user would run it: fvecs to Parquet, the real Spark
 * build (local mode), then the serving loader on the published files, one thread.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {
      "Benchmark the whole path: convert, build (local Spark), search through the loader.",
      "Prints build_seconds=S and, per nprobe, a line 'nprobe=N recall@K=R qps=Q'",
      "(single-thread QPS, the median of 3 passes after a warm-up); for HNSW{M}, per",
      "efSearch, 'ef=E ...'."
    },
    footer = {"", "Example:",
        "  kiln bench --base base.fvecs --queries q.fvecs --groundtruth gt.ivecs \\",
        "      --index IVF1024,PQ16 --nprobe 1,4,16,64"})
final class BenchCommand implements Callable<Integer> {
  /** Timed passes per mode and knob; the median is printed. */
  private static final int ROUNDS = 3;
  @Option(names = "--base", required = true, description = "Base vectors, .fvecs.") Path base;
  @Option(names = "--queries", required = true, description = "Queries, .fvecs.") Path queries;
  @Option(names = "--groundtruth", required = true, description = "Exact neighbours, .ivecs.") Path groundTruth;
  @Option(names = "--index", required = true, description = "Index type, e.g. IVF1024,PQ16.") String index;
  @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE}).") String metric;
  @Option(names = "--nprobe", defaultValue = "1,4,16,64", split = ",", description = "nprobe values (default: ${DEFAULT-VALUE}).") int[] nprobes;
  @Option(names = "--k", defaultValue = "10", description = "k (default: ${DEFAULT-VALUE}).") int k;
  @Option(names = "--refine-factor", defaultValue = "" + SearchParams.DEFAULT_REFINE_FACTOR, description = "With a refine stage: re-rank the best k x F candidates (default: ${DEFAULT-VALUE}).") int refineFactor;
  @Option(names = "--ef-search", defaultValue = "auto", description = EfSearchOption.DESCRIPTION) String efSearch;
  @Option(names = "--ef", defaultValue = "16,32,64,128,256", split = ",",
      description = "HNSW{M}: efSearch values to measure, one line each (default: ${DEFAULT-VALUE}).")
  int[] efs;
  @Option(names = "--ef-construction", defaultValue = BuildConfig.DEFAULT_EF_CONSTRUCTION_TEXT,
      description = "HNSW{M}: the build's beam (default: ${DEFAULT-VALUE}, as Faiss).")
  int efConstruction;
  @Option(names = "--work", description = "Working directory (default: a new temporary one).") Path work;
  @Option(names = "--seed", defaultValue = BuildConfig.DEFAULT_SEED_TEXT, description = "Build seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--train-points-per-list", defaultValue = BuildConfig.DEFAULT_POINTS_PER_LIST_TEXT, description = "Coarse training sample per list (default: ${DEFAULT-VALUE}).") int pointsPerList;
  @Option(names = "--exact-assignment", description = "Assign items by every centroid even through an HNSW quantizer.") boolean exactAssignment;
  @Option(names = "--coarse-training", defaultValue = "auto", description = "Coarse k-means: auto, flat or two-level (default: ${DEFAULT-VALUE}).") String coarseTraining;
  @Option(names = "--master", description = "Spark master (default: local[*]).") String master;
  @Option(names = "--threads", defaultValue = "0",
      description = "Also measure batch search on this many threads (default: off).") int threads;
  @Option(names = "--in-heap", description = "Search the index read into the Java heap instead"
      + " of mapped (OpenOptions.inHeap).") boolean inHeap;
  @Option(names = "--no-flat-pruning", description = "Score every item of a probed IVF-Flat"
      + " list (OpenOptions.flatPruning off).") boolean noFlatPruning;
  @Option(names = "--reuse", description = "Search the index already in --work instead of building.") boolean reuse;
  @Option(names = "--eval-in-build",
      description = {"Let the build evaluate itself with the same queries (as --queries) and"
          + " print what it measured next to what the bench measures; build_seconds excludes"
          + " the evaluation (default: the build does not evaluate)."})
  boolean evalInBuild;
  @Option(names = "--fresh", defaultValue = "0",
      description = {"Build without the last N base vectors, then upsert them into a serving"
          + " handle (ServingIndex) and search the merged index; prints upserts_per_second"
          + " (default: ${DEFAULT-VALUE}, off)."})
  int fresh;
  @Option(names = "--fresh-graph-from",
      defaultValue = "" + ServingOptions.DEFAULT_FRESH_GRAPH_FROM,
      description = "With --fresh: walk the fresh items' graph from this many on, else scan"
          + " them (default: ${DEFAULT-VALUE}).")
  int freshGraphFrom;

  @Override
  public Integer call() throws Exception {
    IndexSpec spec = IndexSpec.parse(index);
    Metric m = Metric.parse(metric);
    // Options that need no data are checked before any file is read or Spark starts.
    int ef = EfSearchOption.parse(efSearch);
    CoarseTraining training = CoarseTraining.parse(coarseTraining);
    if (work != null) {
      OutputPaths.checkDirectory("--work", work);
    }
    Path dir = work != null ? work : Files.createTempDirectory("kiln-bench-");
    Path parquet = dir.resolve("base.parquet");
    Path root = dir.resolve("index");
    // Every input file is checked before any Spark work.
    Vecs.Shape shape = Vecs.shape(base);
    int dim = shape.dim();
    if (fresh < 0 || fresh >= shape.count()) {
      throw new InvalidOptionException("--fresh must be in [0, " + shape.count()
          + "), below the row count of " + base + ": got " + fresh);
    }
    float[][] q = Vecs.readQueries(queries);
    if (q[0].length != dim) {
      throw new InvalidInputException(queries + ": queries have dimension " + q[0].length + ", "
          + base + " has " + dim);
    }
    int[][] gt = Vecs.readInts(groundTruth);
    if (gt.length < q.length || gt[0].length < k) {
      throw new InvalidInputException(groundTruth + ": " + gt.length + " rows of " + gt[0].length
          + " ids; " + queries + " has " + q.length + " queries and --k is " + k);
    }
    if (reuse) {
      search(root, m, spec, q, gt, ef);
      return 0;
    }
    deleteRecursively(root);

    BuildResult built;
    try (SparkSessions.Lease spark = SparkSessions.get("kiln-bench", master)) {
      long t0 = System.nanoTime();
      long rows = Convert.fvecsToParquet(spark.spark(), base, parquet.toString(),
          shape.count() - fresh);
      System.out.printf("convert_seconds=%.1f rows=%d%n", (System.nanoTime() - t0) / 1e9, rows);
      EvalConfig eval = EvalConfig.off();
      if (evalInBuild) {
        String queryParquet = dir.resolve("queries.parquet").toString();
        Convert.fvecsToParquet(spark.spark(), queries, queryParquet);
        eval = new EvalConfig(queryParquet, 0, k,
            Arrays.stream(spec.isGraph() ? efs : nprobes).boxed().toList(), Double.NaN,
            nprobes[0]);
      }
      BuildConfig cfg = BuildConfig.defaults(parquet.toString(), root.toString(), "bench", spec, m)
          .withTraining(seed, pointsPerList, BuildConfig.DEFAULT_KMEANS_ITERATIONS,
              BuildConfig.DEFAULT_PQ_TRAIN_POINTS, BuildConfig.DEFAULT_PQ_ITERATIONS)
          .withCoarseTraining(training)
          .withExactAssignment(exactAssignment)
          .withEfConstruction(efConstruction)
          .withEvaluation(eval);
      built = new KilnBuildJob(spark.spark(), cfg).run();
    }
    double evalSeconds = built.manifest().timings().getOrDefault("evaluate", 0.0);
    System.out.printf("build_seconds=%.1f%n", built.seconds() - evalSeconds);
    if (evalInBuild) {
      System.out.printf("evaluate_seconds=%.1f%n", evalSeconds);
    }
    System.out.println("build_stages=" + built.manifest().timings());
    System.out.println("index_bytes="
        + built.manifest().files().stream().mapToLong(f -> f.bytes()).sum());
    search(root, m, spec, q, gt, ef);
    return 0;
  }

  private void search(Path root, Metric m, IndexSpec spec, float[][] q, int[][] gt, int ef)
      throws java.io.IOException {
    if (fresh > 0) {
      try (ServingIndex serving = FreshRun.upsert(root, base, Vecs.shape(base).count() - fresh,
          fresh, freshGraphFrom, inHeap); VersionPin pin = serving.pin()) {
        KilnIndex idx = pin.index();
        System.out.printf("index=%s metric=%s n=%d+%d fresh d=%d queries=%d k=%d%n", spec,
            m.cliName(), idx.count(), fresh, idx.dim(), q.length, k);
        search(serving::search, serving::search, null, spec, q, gt, ef);
      }
      return;
    }
    long t0 = System.nanoTime();
    try (KilnIndex idx = KilnIndex.open(root, OpenOptions.defaults()
        .withInHeap(inHeap).withFlatPruning(!noFlatPruning))) {
      System.out.printf("open_ms=%.2f%n", (System.nanoTime() - t0) / 1e6);
      System.out.printf("index=%s metric=%s n=%d d=%d queries=%d k=%d%n", spec, m.cliName(),
          idx.count(), idx.dim(), q.length, k);
      search(idx::search, idx::search, idx, spec, q, gt, ef);
      MappedPages pages = inHeap ? null : MappedPages.under(root);
      if (pages != null) {
        // Mapped scans of long lists run faster from 2 MiB pages: say which ones these were.
        System.out.printf("mapped_kb=%d in_2mib_pages_kb=%d%n", pages.rssKb(), pages.hugeKb());
      }
    }
  }

  /** One line per knob; {@code idx} (null for a serving handle) adds the multi-thread run. */
  private void search(QueryRun.One one, QueryRun.Many many, KilnIndex idx, IndexSpec spec,
      float[][] q, int[][] gt, int ef) {
    Quality measured = idx == null ? null : idx.manifest().measuredQuality();
    boolean graph = spec.isGraph();
    int[] knobs = graph ? efs : nprobes;
    for (int knob : knobs) {
      String label = (graph ? "ef=" : "nprobe=") + knob;
      SearchParams params = graph ? SearchParams.efSearch(knob)
          : SearchParams.nprobe(knob).withRefineFactor(refineFactor).withEfSearch(ef);
      // Warm-up: 1,000 single searches, and one batch of every query (a batch's blocks, and
      // which kernels its lists take, depend on its size: a smaller one leaves paths cold).
      QueryRun.run(one, Arrays.copyOf(q, Math.min(q.length, 1000)), k, params);
      QueryRun.batchOnThisThread(many, q, k, params);
      // Three rounds, the two modes interleaved, the median of each (Faiss's script: REPS=3).
      List<QueryRun> singles = new ArrayList<>();
      List<QueryRun> blocks = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        singles.add(QueryRun.run(one, q, k, params));
        blocks.add(QueryRun.batchOnThisThread(many, q, k, params));
      }
      QueryRun run = QueryRun.median(singles);
      QueryRun block = QueryRun.median(blocks);
      Quality.Point reported = measured == null ? null : measured.at(knob);
      // qps: one search() call per query; batch1_qps: one batch call on one thread, as
      // Faiss's benchmark searches (its coarse step then runs on BLAS over all queries).
      System.out.printf("%s recall@%d=%.4f qps=%.0f cpu_qps=%.0f batch1_qps=%.0f"
              + " batch1_cpu_qps=%.0f%s%n", label, k, run.recall(gt, k), run.qps(),
          run.cpuQps(), block.qps(), block.cpuQps(), reported == null ? ""
              : String.format(" build_reported_recall=%.4f", reported.recall()));
      if (threads > 1 && idx != null) {
        QueryRun.batch(idx, q, k, params, threads); // warm-up
        QueryRun batch = QueryRun.batch(idx, q, k, params, threads);
        System.out.printf("%s threads=%d batch_qps=%.0f speedup=%.2f%n", label, threads,
            batch.qps(), batch.qps() / block.qps());
      }
    }
  }

  static void deleteRecursively(Path p) throws java.io.IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
      for (Path x : all) {
        Files.delete(x);
      }
    }
  }
}
