package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.tools.Vecs;
import dev.kiln.tools.QueryRun;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.SearchParams;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "search", mixinStandardHelpOptions = true,
    description = "Search an index with the queries of an .fvecs file, through the serving loader.",
    footer = {"", "Example:",
        "  kiln search --index /srv/index --queries q.fvecs --groundtruth gt.ivecs --nprobe 16"})
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index root (follows LATEST) or version directory.")
  Path index;

  @Option(names = "--queries", required = true, description = "Queries, .fvecs.")
  Path queries;

  @Option(names = "--k", defaultValue = "10", description = "Neighbours per query (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--nprobe", defaultValue = "16", description = "Lists scanned per query (default: ${DEFAULT-VALUE}).")
  int nprobe;

  @Option(names = "--ef-search", defaultValue = "auto", description = EfSearchOption.DESCRIPTION)
  String efSearch;

  @Option(names = "--refine-factor", defaultValue = "" + SearchParams.DEFAULT_REFINE_FACTOR,
      description = "With a refine stage: re-rank the best k x F candidates (default: ${DEFAULT-VALUE}).")
  int refineFactor;

  @Option(names = "--show", defaultValue = "5", description = "Queries whose results are printed (default: ${DEFAULT-VALUE}).")
  int show;

  @Option(names = "--groundtruth", description = "Optional .ivecs ground truth: also print recall@k.")
  Path groundTruth;

  @Option(names = "--mode", defaultValue = "each",
      description = "each: one search() call per query; batch1: all queries in one batch call on"
          + " this thread, as Faiss's single-thread benchmark searches (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--in-heap", description = "Read the index into the Java heap instead of"
      + " mapping it, as Faiss's read_index (OpenOptions.inHeap: faster list scans on"
      + " JDK 17; the heap must hold the whole index, IVF-Flat lists twice).")
  boolean inHeap;

  @Option(names = "--no-flat-pruning", description = "Score every item of a probed IVF-Flat"
      + " list instead of ruling out by a lower bound those that cannot enter the top k"
      + " (OpenOptions.flatPruning; the answer is the same either way).")
  boolean noFlatPruning;

  @Option(names = "--repeat", defaultValue = "1",
      description = "Timed passes over the queries after the warm-up; prints each pass and the"
          + " median (for profiling: scripts/profile-search.sh) (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--hold", description = "After searching, print the heap in use and keep the"
      + " index open until stdin closes, so memory can be inspected from outside"
      + " (scripts/memory-sharing.sh).")
  boolean hold;

  @Override
  public Integer call() throws Exception {
    if (k < 1 || nprobe < 1 || refineFactor < 1 || show < 0 || repeat < 1) {
      throw new InvalidOptionException("--k, --nprobe, --refine-factor and --repeat must be at"
          + " least 1 and --show at least 0; got " + k + ", " + nprobe + ", " + refineFactor
          + ", " + repeat + ", " + show);
    }
    int ef = EfSearchOption.parse(efSearch);
    if (!mode.equals("each") && !mode.equals("batch1")) {
      throw new InvalidOptionException("--mode " + mode + ": expected each or batch1");
    }
    // Every file is checked before the index is opened: a bad query is the file's fault.
    float[][] q = Vecs.readQueries(queries);
    int[][] truth = groundTruth == null ? null : readGroundTruth(q.length);
    long t0 = System.nanoTime();
    try (KilnIndex idx = KilnIndex.open(index, OpenOptions.defaults()
        .withInHeap(inHeap).withFlatPruning(!noFlatPruning))) {
      if (q.length > 0 && q[0].length != idx.dim()) {
        throw new InvalidInputException(queries + ": queries have dimension " + q[0].length
            + ", the index " + idx.versionDir() + " has " + idx.dim());
      }
      System.out.printf("opened %s (%,d items) in %.2f ms (first open in this JVM); %.2f ms"
              + " (median of 20 more)%n",
          idx.versionDir(), idx.count(), (System.nanoTime() - t0) / 1e6, medianOpenMillis(20));
      SearchParams params =
          SearchParams.nprobe(nprobe).withRefineFactor(refineFactor).withEfSearch(ef);
      QueryRun run;
      try {
        QueryRun.run(idx, java.util.Arrays.copyOf(q, Math.min(q.length, 1000)), k, params); // JIT warm-up
        run = timedPasses(idx, q, params);
      } catch (IllegalArgumentException e) {
        // The options were checked above, so the loader refused a query (QueryRun names it).
        throw new InvalidInputException(queries + ": " + e.getMessage());
      }
      for (int i = 0; i < Math.min(show, q.length); i++) {
        System.out.printf("query %d: %s%n", i, run.results()[i]);
      }
      System.out.printf("%d queries, k=%d, nprobe=%d, mode=%s: %.0f qps (1 thread; %.0f by CPU"
          + " time)%s%n", q.length, k, nprobe, mode, run.qps(), run.cpuQps(),
          repeat > 1 ? " (median of " + repeat + " passes)" : "");
      if (groundTruth != null) {
        System.out.printf("recall@%d=%.4f%n", k, run.recall(truth, k));
      }
      if (hold) {
        // The index lives in the page cache, not the heap: this figure should not grow with N.
        // Queries and results are dropped first so that only the open index stays reachable.
        q = null;
        run = null;
        System.gc();
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean()
            .getHeapMemoryUsage().getUsed();
        System.out.printf("holding pid=%d heap_used_after_gc=%d index_bytes=%d%n",
            ProcessHandle.current().pid(), heap, indexBytes(idx));
        System.out.flush();
        System.in.transferTo(java.io.OutputStream.nullOutputStream());
      }
    }
    return 0;
  }

  /** {@code --repeat} passes in {@code --mode}; the pass of median wall time. */
  private QueryRun timedPasses(KilnIndex idx, float[][] q, SearchParams params) {
    QueryRun[] runs = new QueryRun[repeat];
    for (int r = 0; r < repeat; r++) {
      runs[r] = mode.equals("batch1")
          ? QueryRun.batchOnThisThread(idx, q, k, params)
          : QueryRun.run(idx, q, k, params);
      if (repeat > 1) {
        System.out.printf("pass %d: %.0f qps%n", r + 1, runs[r].qps());
      }
    }
    java.util.Arrays.sort(runs, java.util.Comparator.comparingDouble(QueryRun::seconds));
    return runs[repeat / 2];
  }

  /** The ground truth must have a row of at least k ids for every query. */
  private int[][] readGroundTruth(int queryCount) throws java.io.IOException {
    int[][] gt = Vecs.readInts(groundTruth);
    if (gt.length < queryCount || gt[0].length < k) {
      throw new InvalidInputException(groundTruth + ": " + gt.length + " rows of " + gt[0].length
          + " ids; " + queries + " has " + queryCount + " queries and --k is " + k);
    }
    return gt;
  }

  private static long indexBytes(KilnIndex idx) {
    return idx.manifest().files().stream().mapToLong(f -> f.bytes()).sum();
  }

  /** Opening maps the files and checks headers: its cost should not grow with the item count. */
  private double medianOpenMillis(int times) throws java.io.IOException {
    double[] ms = new double[times];
    for (int i = 0; i < times; i++) {
      long t = System.nanoTime();
      try (KilnIndex ignored = KilnIndex.open(index, OpenOptions.defaults()
          .withInHeap(inHeap).withFlatPruning(!noFlatPruning))) {
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
    }
    java.util.Arrays.sort(ms);
    return ms[times / 2];
  }
}
