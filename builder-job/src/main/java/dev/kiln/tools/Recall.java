package dev.kiln.tools;

import java.util.Collection;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Recall of approximate search results against the exact answer: the one definition the
 * build's evaluation and the {@code search}/{@code bench} commands both report.
 */
public final class Recall {
  private Recall() {}

  /**
   * Mean over queries of {@code |first k results ∩ truth| / |truth|}; queries with an empty truth
   * are left out (and 0 if none is left). A result id is counted once per time it is returned,
   * as Faiss's benchmarks count it. When every truth has the same size (the usual case) the mean
   * is one division of whole counts, so it is the correctly rounded value: printed to four
   * digits, it does not depend on the order of a floating-point sum.
   *
   * @param truth per query, the exact neighbours' ids (a list is fine: only {@code contains} and
   *     {@code size} are used)
   * @param results per query, the ids returned, best first, any to be ignored (a query found as
   *     its own neighbour) already left out
   */
  public static double mean(int queries, int k, IntFunction<? extends Collection<?>> truth,
      IntFunction<? extends List<?>> results) {
    double sum = 0;
    int counted = 0;
    long found = 0;
    int size = -1; // the common truth size, or -2 once two sizes differ
    for (int q = 0; q < queries; q++) {
      Collection<?> t = truth.apply(q);
      if (t.isEmpty()) {
        continue;
      }
      List<?> r = results.apply(q);
      int hits = 0;
      for (int i = 0; i < Math.min(k, r.size()); i++) {
        if (t.contains(r.get(i))) {
          hits++;
        }
      }
      sum += (double) hits / t.size();
      found += hits;
      size = size == -1 || size == t.size() ? t.size() : -2;
      counted++;
    }
    if (counted == 0) {
      return 0;
    }
    return size > 0 ? (double) found / ((long) counted * size) : sum / counted;
  }
}
