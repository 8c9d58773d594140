package dev.kiln.serve;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link ServingIndex} counts around its searches: queries answered and failed, and the
 * answered ones' latencies. Lock-free; nothing is allocated per query.
 */
final class QueryStats {
  private final LongAdder answered = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LatencyHistogram latency = new LatencyHistogram();

  /**
   * {@code n} queries answered by a search that started at {@code startNanos}
   * ({@link System#nanoTime}); a batch's time is divided evenly among its queries.
   */
  void answered(long startNanos, int n) {
    if (n > 0) {
      long each = (System.nanoTime() - startNanos) / n;
      for (int i = 0; i < n; i++) {
        latency.record(each);
      }
    }
    answered.add(n);
  }

  /** {@code n} queries refused or failed. */
  void failed(int n) {
    failed.add(n);
  }

  long answered() {
    return answered.sum();
  }

  long failed() {
    return failed.sum();
  }

  LatencyHistogram.Snapshot latency() {
    return latency.snapshot();
  }
}
