package dev.kiln.job.evaluate;

import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.tools.Recall;
import dev.kiln.vector.VectorizationProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Searches the queries through the serving loader, exactly as a serving node would, at each
 * nprobe (efSearch for {@code HNSW{M}}), on one thread: recall@k against the exact answer,
 * per-query latency percentiles and QPS. Timings are the machine's that runs it (the Spark
 * driver). They are taken in {@link #ROUNDS} interleaved rounds, each timing every nprobe once,
 * and each point keeps its median round: a burst of other work on a busy machine then slows one
 * round of several points, not one point's only measurement (which drew nprobe 1 slower than
 * nprobe 4), so the curve is what a quiet machine shows.
 */
public final class LoaderEvaluation {
  private LoaderEvaluation() {}

  /** Searches before timing, so the JIT has compiled the search path (about 2 s at most). */
  private static final int WARMUP_QUERIES = 2000;
  private static final long WARMUP_NANOS = 2_000_000_000L;
  private static final int WARMUP_PER_NPROBE = 200;
  /** Timed passes over every nprobe; odd, so the median is a round that ran. */
  static final int ROUNDS = 3;

  public static Quality run(KilnIndex index, QuerySet queries, ExactNeighbors.Result exact, int k,
      List<Integer> knobs, boolean graph, Quality.Gate gate) {
    int nq = queries.size();
    // A query sampled from the input finds itself; ask for one more and drop it.
    int kk = queries.leaveOneOut() ? k + 1 : k;
    long w0 = System.nanoTime();
    SearchParams warm = params(knobs.get(knobs.size() / 2), graph);
    for (int i = 0; i < WARMUP_QUERIES && System.nanoTime() - w0 < WARMUP_NANOS; i++) {
      index.search(queries.vectors()[i % nq], kk, warm);
    }
    int n = knobs.size();
    double[] recalls = new double[n];
    double[][] seconds = new double[n][ROUNDS];
    long[][][] nanos = new long[n][ROUNDS][nq];
    Neighbors[] results = new Neighbors[nq];
    for (int r = 0; r < ROUNDS; r++) {
      for (int i = 0; i < n; i++) {
        SearchParams p = params(knobs.get(i), graph);
        for (int q = 0; q < Math.min(nq, WARMUP_PER_NPROBE); q++) {
          index.search(queries.vectors()[q], kk, p); // caches and branch history for this nprobe
        }
        long[] ns = nanos[i][r];
        long t0 = System.nanoTime();
        for (int q = 0; q < nq; q++) {
          long s = System.nanoTime();
          results[q] = index.search(queries.vectors()[q], kk, p);
          ns[q] = System.nanoTime() - s;
        }
        seconds[i][r] = (System.nanoTime() - t0) / 1e9;
        if (r == 0) {
          recalls[i] = recall(queries, results, exact, k); // the same answers every round
        }
      }
    }
    List<Quality.Point> curve = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int r = medianRound(seconds[i]);
      long[] ns = nanos[i][r];
      Arrays.sort(ns);
      int knob = knobs.get(i);
      curve.add(new Quality.Point(graph ? 1 : knob, round(recalls[i], 4),
          round(percentile(ns, 0.50) / 1e6, 4), round(percentile(ns, 0.99) / 1e6, 4),
          round(nq / seconds[i][r], 1), graph ? knob : null));
    }
    return new Quality(nq, queries.source(), k, VectorizationProvider.kernels().name(), 1, curve,
        gate);
  }

  /**
   * The round whose time is the median of {@code seconds} (an odd count; ties keep round order).
   */
  static int medianRound(double[] seconds) {
    Integer[] order = new Integer[seconds.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Double.compare(seconds[a], seconds[b]));
    return order[seconds.length / 2];
  }

  /** One curve point's search: nprobe {@code knob}, or for {@code HNSW{M}} efSearch. */
  private static SearchParams params(int knob, boolean graph) {
    return graph ? SearchParams.efSearch(knob) : SearchParams.nprobe(knob);
  }

  /** Mean over queries of |approximate top-k ∩ exact top-k| / |exact top-k|, self-matches left out. */
  static double recall(QuerySet queries, Neighbors[] results, ExactNeighbors.Result exact, int k) {
    boolean keyed = exact.keys() != null;
    return Recall.mean(results.length, k, q -> {
      Set<Object> truth = new HashSet<>();
      int t = keyed ? exact.keys()[q].length : exact.ids()[q].length;
      for (int i = 0; i < t; i++) {
        truth.add(keyed ? exact.keys()[q][i] : (Object) exact.ids()[q][i]);
      }
      return truth;
    }, q -> {
      Neighbors r = results[q];
      List<Object> found = new ArrayList<>();
      for (int i = 0; i < r.size() && found.size() < k; i++) {
        long id = keyed ? 0 : r.ids()[i];
        String key = keyed ? r.keys()[i] : null;
        if (!queries.isSelf(q, id, key)) {
          found.add(key != null ? key : (Object) id);
        }
      }
      return found;
    });
  }

  private static double percentile(long[] sorted, double p) {
    return sorted[(int) Math.round(p * (sorted.length - 1))];
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
