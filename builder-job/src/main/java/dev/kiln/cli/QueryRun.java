package dev.kiln.cli;

import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;

/**
 * Runs a query set through the loader on one thread, timing it and scoring it against ground
 * truth. Besides wall-clock time it records the thread's CPU time: on a shared machine other
 * processes stretch the wall clock, not the CPU time the search itself used.
 */
record QueryRun(Neighbors[] results, double seconds, double cpuSeconds) {

  /** All queries through {@link KilnIndex#searchBatch} on {@code threads} threads (wall clock only). */
  static QueryRun batch(KilnIndex index, float[][] queries, int k, SearchParams p, int threads) {
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
  static QueryRun batchOnThisThread(KilnIndex index, float[][] queries, int k, SearchParams p) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long c0 = mx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    Neighbors[] out = index.search(queries, k, p);
    double wall = (System.nanoTime() - t0) / 1e9;
    return new QueryRun(out, wall, (mx.getCurrentThreadCpuTime() - c0) / 1e9);
  }

  static QueryRun run(KilnIndex index, float[][] queries, int k, SearchParams p) {
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

  double qps() {
    return results.length / seconds;
  }

  /** Queries per second of the searching thread's CPU time. */
  double cpuQps() {
    return results.length / cpuSeconds;
  }

  /**
   * k-recall@k as Faiss's benchmarks report it: the fraction of each query's true k nearest
   * (the first k ground-truth ids) found among the k returned, averaged over queries.
   */
  double recall(int[][] groundTruth, int k) {
    long found = 0;
    for (int q = 0; q < results.length; q++) {
      long[] ids = results[q].ids();
      for (int i = 0; i < Math.min(k, ids.length); i++) {
        for (int j = 0; j < k; j++) {
          if (groundTruth[q][j] == ids[i]) {
            found++;
            break;
          }
        }
      }
    }
    return (double) found / ((long) results.length * k);
  }
}
