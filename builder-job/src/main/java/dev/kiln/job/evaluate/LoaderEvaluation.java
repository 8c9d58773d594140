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
 * nprobe (efSearch for {@code HNSW{M}}), on one thread: recall@k against the exact answer, per-query latency percentiles and
 * QPS. Timings are the machine's that runs it (the Spark driver).
 */
public final class LoaderEvaluation {
  private LoaderEvaluation() {}

  /** Searches before timing, so the JIT has compiled the search path (about 2 s at most). */
  private static final int WARMUP_QUERIES = 2000;
  private static final long WARMUP_NANOS = 2_000_000_000L;
  private static final int WARMUP_PER_NPROBE = 200;

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
    List<Quality.Point> curve = new ArrayList<>();
    long[] nanos = new long[nq];
    Neighbors[] results = new Neighbors[nq];
    for (int knob : knobs) {
      SearchParams p = params(knob, graph);
      for (int q = 0; q < Math.min(nq, WARMUP_PER_NPROBE); q++) {
        index.search(queries.vectors()[q], kk, p); // caches and branch history for this nprobe
      }
      long t0 = System.nanoTime();
      for (int q = 0; q < nq; q++) {
        long s = System.nanoTime();
        results[q] = index.search(queries.vectors()[q], kk, p);
        nanos[q] = System.nanoTime() - s;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double recall = recall(queries, results, exact, k);
      Arrays.sort(nanos);
      curve.add(new Quality.Point(graph ? 1 : knob, round(recall, 4),
          round(percentile(nanos, 0.50) / 1e6, 4), round(percentile(nanos, 0.99) / 1e6, 4),
          round(nq / seconds, 1), graph ? knob : null));
    }
    return new Quality(nq, queries.source(), k, VectorizationProvider.kernels().name(), 1, curve,
        gate);
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
