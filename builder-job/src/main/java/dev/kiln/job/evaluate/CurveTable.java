package dev.kiln.job.evaluate;

import dev.kiln.format.Quality;
import java.util.Locale;

/** The measured curve as a small text table, for the job's log, the CLI and {@code inspect}. */
public final class CurveTable {
  private CurveTable() {}

  public static String format(Quality q) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "recall@%d on %d queries (%s), one thread, %s kernels%n",
        q.k(), q.queries(), q.querySource(), q.kernels()));
    b.append(String.format(Locale.ROOT, "  %8s  %8s  %8s  %8s  %9s%n",
        q.knob(), "recall", "p50 ms", "p99 ms", "QPS"));
    for (Quality.Point p : q.curve()) {
      b.append(String.format(Locale.ROOT, "  %8d  %8.4f  %8.3f  %8.3f  %9.0f%n",
          p.knob(), p.recall(), p.p50Ms(), p.p99Ms(), p.qps()));
    }
    if (q.gate() != null) {
      Quality.Gate g = q.gate();
      b.append(String.format(Locale.ROOT, "  gate: recall at %s %d is %.4f, %s --min-recall %s%n",
          q.knob(), g.at(), g.measured(), g.passed() ? "meets" : "below", g.minRecall()));
    }
    return b.toString();
  }
}
