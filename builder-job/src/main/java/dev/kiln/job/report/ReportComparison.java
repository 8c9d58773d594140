package dev.kiln.job.report;

import static dev.kiln.job.report.ReportHtml.fmt;
import static dev.kiln.job.report.ReportHtml.humanBytes;

import dev.kiln.format.ListStats;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report's comparison with the version {@code LATEST} named when the build began: recall
 * and QPS at the knobs both curves measured, size, items and list balance side by side, and a
 * warning when this version is worse (what a nightly job's owner checks before serving it).
 */
final class ReportComparison {
  /** Recall lower by more than this, at a knob both measured, is a regression. */
  static final double RECALL_DROP = 0.005;
  /** QPS below this fraction of the earlier version's, at a knob both measured, is one. */
  static final double QPS_FRACTION = 0.75;
  /** Fewer items than this fraction of the earlier version's is one (input lost upstream?). */
  static final double ITEMS_FRACTION = 0.9;

  private ReportComparison() {}

  static void section(ReportHtml h, Manifest now, Manifest before) {
    h.raw("<section id=\"compare\">\n<h2>Compared with the previous version</h2>\n");
    if (before == null) {
      h.raw("<p class=\"none\" id=\"compare-none\">No earlier version to compare with: LATEST"
          + " named none when this build started.</p>\n</section>\n");
      return;
    }
    List<String> regressions = new ArrayList<>();
    h.raw("<table id=\"compare-table\">\n<thead><tr><th></th><th>").text(before.version())
        .raw("</th><th>").text(now.version()).raw("</th><th>change</th></tr></thead>\n<tbody>\n");
    row(h, "index", before.index(), now.index(), before.index().equals(now.index()) ? "" : "other");
    long itemsBefore = before.count();
    long itemsNow = now.count();
    row(h, "items", String.format(Locale.ROOT, "%,d", itemsBefore),
        String.format(Locale.ROOT, "%,d", itemsNow), ratio(itemsNow, itemsBefore));
    if (itemsNow < ITEMS_FRACTION * itemsBefore) {
      regressions.add(String.format(Locale.ROOT, "%,d items against %,d", itemsNow, itemsBefore));
    }
    long bytesBefore = bytes(before);
    long bytesNow = bytes(now);
    row(h, "bytes", humanBytes(bytesBefore), humanBytes(bytesNow), ratio(bytesNow, bytesBefore));
    ListStats lb = before.lists();
    ListStats ln = now.lists();
    if (lb != null && ln != null && lb.max() != null && ln.max() != null && lb.mean() != null
        && ln.mean() != null && lb.mean() > 0 && ln.mean() > 0) {
      // The largest list against the mean: how much more one unlucky probe scans.
      double b = lb.max() / lb.mean();
      double n = ln.max() / ln.mean();
      row(h, "largest list / mean", fmt("%.2f", b), fmt("%.2f", n), fmt("%+.2f", n - b));
    }
    Quality qb = before.measuredQuality();
    Quality qn = now.measuredQuality();
    if (qb != null && qn != null && qb.curve() != null && qn.curve() != null
        && qb.knob().equals(qn.knob()) && qb.k() == qn.k()) {
      for (Quality.Point p : qn.curve()) {
        Quality.Point o = qb.at(p.knob());
        if (o == null) {
          continue;
        }
        String at = qn.knob() + " " + p.knob();
        row(h, "recall@" + qn.k() + " at " + at, fmt("%.4f", o.recall()), fmt("%.4f", p.recall()),
            fmt("%+.4f", p.recall() - o.recall()));
        row(h, "QPS at " + at, fmt("%,.0f", o.qps()), fmt("%,.0f", p.qps()),
            ratio(p.qps(), o.qps()));
        if (p.recall() < o.recall() - RECALL_DROP) {
          regressions.add(String.format(Locale.ROOT, "recall@%d at %s fell from %.4f to %.4f",
              qn.k(), at, o.recall(), p.recall()));
        }
        if (o.qps() > 0 && p.qps() < QPS_FRACTION * o.qps()) {
          regressions.add(String.format(Locale.ROOT, "QPS at %s fell from %,.0f to %,.0f", at,
              o.qps(), p.qps()));
        }
      }
    }
    h.raw("</tbody>\n</table>\n");
    if (regressions.isEmpty()) {
      h.raw("<p id=\"no-regression\" class=\"pass\">").text("No regression against "
          + before.version() + ".").raw("</p>\n");
    } else {
      h.raw("<p id=\"regression\" class=\"fail\">").text("Worse than " + before.version() + ": "
          + String.join("; ", regressions) + ".").raw("</p>\n");
    }
    h.raw("</section>\n");
  }

  /** Bytes of the files the manifest lists: what a serving node maps. */
  static long bytes(Manifest m) {
    long bytes = 0;
    if (m.files() != null) {
      for (Manifest.FileEntry f : m.files()) {
        bytes += f.bytes();
      }
    }
    return bytes;
  }

  private static String ratio(double now, double before) {
    return before > 0 ? fmt("%.2fx", now / before) : "";
  }

  private static void row(ReportHtml h, String what, String before, String now, String change) {
    h.raw("<tr><th>").text(what).raw("</th>").cell(before).cell(now).cell(change)
        .raw("</tr>\n");
  }
}
