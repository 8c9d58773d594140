package dev.kiln.tools;

import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a query set through the loader on one thread, timing it and scoring it against ground
 * truth. Besides wall-clock time it records the thread's CPU time: on a shared machine other
 * processes stretch the wall clock, not the CPU time the search itself used.
 */
public record QueryRun(Neighbors[] results, double seconds, double cpuSeconds) {

  /** One query at a time: {@link KilnIndex} or a serving handle. */
  public interface One {
    Neighbors search(float[] query, int k, SearchParams params);
  }

  /** A batch in one call: {@link KilnIndex} or a serving handle. */
  public interface Many {
    Neighbors[] search(float[][] queries, int k, SearchParams params);
  }

  /** All queries through {@link KilnIndex#searchBatch} on {@code threads} threads (wall clock only). */
  public static QueryRun batch(KilnIndex index, float[][] queries, int k, SearchParams p, int threads) {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      Neighbors[] out = index.searchBatch(queries, k, p, pool);
      double wall = (System.nanoTime() - t0) / 1e9;
      return new QueryRun(out, wall, Double.NaN);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * All queries in one {@link KilnIndex#search(float[][], int, SearchParams)} call on this
   * thread: the batch path, whose coarse step runs on blocks of queries (as Faiss's batch search
   * on one thread does).
   */
  public static QueryRun batchOnThisThread(KilnIndex index, float[][] queries, int k, SearchParams p) {
    return batchOnThisThread((Many) index::search, queries, k, p);
  }

  /** {@link #batchOnThisThread(KilnIndex, float[][], int, SearchParams)} of any searcher. */
  public static QueryRun batchOnThisThread(Many index, float[][] queries, int k, SearchParams p) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long c0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    Neighbors[] out = index.search(queries, k, p);
    double wall = (System.nanoTime() - t0) / 1e9;
    return new QueryRun(out, wall, (mx.getCurrentThreadCpuTime() - c0) / 1e9);
  }

  public static QueryRun run(KilnIndex index, float[][] queries, int k, SearchParams p) {
    return run((One) index::search, queries, k, p);
  }

  /** One search call per query, on this thread, of any searcher. */
  public static QueryRun run(One index, float[][] queries, int k, SearchParams p) {
    Neighbors[] out = new Neighbors[queries.length];
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long c0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    for (int i = 0; i < queries.length; i++) {
      try {
        out[i] = index.search(queries[i], k, p);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("query " + i + ": " + e.getMessage(), e);
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    return new QueryRun(out, wall, (mx.getCurrentThreadCpuTime() - c0) / 1e9);
  }

  /** The run of median wall-clock time among {@code runs} (the lower middle of an even count). */
  public static QueryRun median(List<QueryRun> runs) {
    List<QueryRun> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(QueryRun::seconds));
    return sorted.get((sorted.size() - 1) / 2);
  }

  public double qps() {
    return results.length / seconds;
  }

  /** Queries per second of the searching thread's CPU time. */
  public double cpuQps() {
    return results.length / cpuSeconds;
  }

  /**
   * k-recall@k as Faiss's benchmarks report it: the fraction of each query's true k nearest
   * (the first k ground-truth ids) found among the k returned, averaged over queries.
   */
  public double recall(int[][] groundTruth, int k) {
    return Recall.mean(results.length, k, q -> {
      List<Long> truth = new ArrayList<>(k);
      for (int j = 0; j < k; j++) {
        truth.add((long) groundTruth[q][j]);
      }
      return truth;
    }, q -> Arrays.stream(results[q].ids()).boxed().toList());
  }
}
