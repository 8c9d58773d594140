package dev.kiln.job.report;

import static dev.kiln.job.report.ReportHtml.fmt;
import static dev.kiln.job.report.ReportHtml.humanBytes;
import static dev.kiln.job.report.ReportHtml.row;
import static dev.kiln.job.report.ReportHtml.value;

import dev.kiln.format.BuildInfo;
import dev.kiln.format.ListStats;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html}: one published version on one self-contained page, for a person to read.
 * The recall-vs-QPS curve the build measured (plot and table, with the publish gate), the stage
 * times, the list-size histogram and statistics, the rejected rows by reason, and the build
 * parameters. Plots are drawn by XChart as PNG and inlined as {@code data:} URIs, and the CSS is
 * inline, so the page needs no network and no other file: it can be mailed, archived or opened
 * from a copy of the version directory.
 */
public final class BuildReport {
  /** The report's file name in a version directory. */
  public static final String FILE_NAME = "report.html";

  private BuildReport() {}

  /** Where a staged version takes a file the manifest does not list (Publisher::writeUnlisted). */
  @FunctionalInterface
  public interface Sink {
    void write(String name, byte[] content) throws IOException;
  }

  /**
   * Writes {@link #FILE_NAME} into a staged version (a build's or an import's). Informative
   * only: a failure to render it (no fonts on a bare machine, say) is logged and does not stop
   * the publish; {@code kiln report} can make it later.
   */
  public static void writeTo(Sink staging, Manifest manifest, int[] listSizes) {
    writeTo(staging, manifest, listSizes, null);
  }

  /** As above, compared with {@code previous}, the version LATEST named (null: none). */
  public static void writeTo(Sink staging, Manifest manifest, int[] listSizes,
      Manifest previous) {
    try {
      staging.write(FILE_NAME, render(manifest, listSizes, previous)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException | LinkageError e) {
      org.slf4j.LoggerFactory.getLogger(BuildReport.class).warn(
          "{} not written ({}); 'kiln report' can regenerate it", FILE_NAME, e.toString());
    }
  }

  /**
   * The report of the version {@code manifest} describes, as a complete HTML page.
   *
   * @param listSizes items per inverted list (see {@code KilnIndex.listSizes()}); null or empty
   *     when not known, which leaves out the histogram
   */
  public static String render(Manifest manifest, int[] listSizes) {
    return render(manifest, listSizes, null);
  }

  /**
   * As above, with a section comparing it with {@code previous} (the version LATEST named when
   * the build began; null: none, said so).
   */
  public static String render(Manifest manifest, int[] listSizes, Manifest previous) {
    ReportHtml h = new ReportHtml();
    String title = "Kiln " + manifest.version() + ": " + manifest.index();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .raw("<title>").text(title).raw("</title>\n<style>\n").raw(CSS).raw("</style>\n</head>\n")
        .raw("<body>\n<h1>").text(title).raw("</h1>\n");
    header(h, manifest);
    quality(h, manifest);
    ReportComparison.section(h, manifest, previous);
    stages(h, manifest.timings());
    lists(h, manifest.lists(), listSizes);
    rejects(h, manifest.build());
    parameters(h, manifest.build());
    h.raw(SCRIPT).raw("</body>\n</html>\n");
    return h.toString();
  }

  // ------------------------------------------------------------------ sections

  private static void header(ReportHtml h, Manifest m) {
    long bytes = 0;
    if (m.files() != null) {
      for (Manifest.FileEntry f : m.files()) {
        bytes += f.bytes();
      }
    }
    Map<String, String> rows = new LinkedHashMap<>();
    rows.put("version", m.version());
    rows.put("index", m.index());
    rows.put("metric", m.metric());
    rows.put("dim", Integer.toString(m.dim()));
    rows.put("count", String.format(Locale.ROOT, "%,d", m.count()));
    rows.put("idType", m.idType());
    rows.put("shards", Integer.toString(m.shards()));
    rows.put("createdAt", m.createdAt());
    rows.put("files", String.format(Locale.ROOT, "%d files, %,d bytes (%s)",
        m.files() == null ? 0 : m.files().size(), bytes, humanBytes(bytes)));
    long budget = memoryBudget(m);
    rows.put("memory budget", budget <= 0 ? "none (--memory-budget not given)"
        : String.format(Locale.ROOT, "%s mapped of %s (%.0f%%)%s", humanBytes(bytes),
            humanBytes(budget), 100.0 * bytes / budget, bytes > budget ? ", over" : ""));
    h.raw("<section id=\"summary\">\n");
    h.keyValueTable(rows);
    h.raw("</section>\n");
  }

  private static void quality(ReportHtml h, Manifest m) {
    h.raw("<section id=\"quality\">\n<h2>Recall vs QPS</h2>\n");
    Quality q = m.measuredQuality();
    if (q == null || q.curve() == null || q.curve().isEmpty()) {
      h.raw("<p class=\"none\" id=\"quality-none\">Search quality: not evaluated.</p>\n</section>\n");
      return;
    }
    h.raw("<p>").text(String.format(Locale.ROOT,
        "recall@%d over %,d queries (%s), %d thread(s), %s kernels.", q.k(), q.queries(),
        q.querySource(), q.threads(), q.kernels())).raw("</p>\n");
    byte[] png = ReportCharts.recallPlot(q);
    if (png != null) {
      h.image("recall-plot", png, ReportCharts.RECALL_WIDTH, ReportCharts.RECALL_HEIGHT,
          "recall@" + q.k() + " against queries per second, one point per " + q.knob());
    } else {
      h.raw("<p class=\"none\">No point with a positive QPS to plot.</p>\n");
    }
    h.raw("<table id=\"curve\">\n<thead><tr><th>").text(q.knob()).raw("</th><th>recall@")
        .text(Integer.toString(q.k()))
        .raw("</th><th>p50 ms</th><th>p99 ms</th><th>QPS</th></tr></thead>\n<tbody>\n");
    for (Quality.Point p : q.curve()) {
      h.raw("<tr>").cell(Integer.toString(p.knob())).cell(fmt("%.4f", p.recall()))
          .cell(fmt("%.3f", p.p50Ms())).cell(fmt("%.3f", p.p99Ms())).cell(fmt("%,.0f", p.qps()))
          .raw("</tr>\n");
    }
    h.raw("</tbody>\n</table>\n");
    operatingPoints(h, q);
    byte[] latency = ReportCharts.latencyPlot(q);
    if (latency != null) {
      h.image("latency-plot", latency, ReportCharts.RECALL_WIDTH, ReportCharts.LATENCY_HEIGHT,
          "p50 and p99 latency in milliseconds against " + q.knob());
    }
    Quality.Gate g = q.gate();
    if (g != null) {
      h.raw("<p id=\"gate\" class=\"").raw(g.passed() ? "pass" : "fail").raw("\">")
          .text(String.format(Locale.ROOT,
              "Publish gate %s: recall@%d at %s %d is %.4f, the minimum is %.4f.",
              g.passed() ? "passed" : "failed", q.k(), q.knob(), g.at(), g.measured(), g.minRecall()))
          .raw("</p>\n");
    }
    h.raw("</section>\n");
  }

  /** What {@code targetRecall} would search with, for the gate's floor and common targets. */
  private static void operatingPoints(ReportHtml h, Quality q) {
    java.util.TreeSet<Double> targets = new java.util.TreeSet<>(List.of(0.9, 0.95, 0.99));
    if (q.gate() != null) {
      targets.add(q.gate().minRecall());
    }
    List<String> picks = new ArrayList<>();
    boolean ef = "efSearch".equals(q.knob());
    for (double t : targets) {
      int knob = ef ? q.efSearchFor(t) : q.nprobeFor(t);
      Quality.Point p = q.at(knob);
      picks.add(String.format(Locale.ROOT, "targetRecall(%s) searches at %s %d (recall %.4f,"
          + " %,.0f QPS%s)", Double.toString(t), q.knob(), knob, p.recall(), p.qps(),
          p.recall() < t ? ", the best measured: below the target" : ""));
    }
    h.raw("<p id=\"operating-points\">").text(String.join("; ", picks) + ".").raw("</p>\n");
  }

  /** The {@code --memory-budget} the build was given, in bytes; 0 when none. */
  static long memoryBudget(Manifest m) {
    if (m.build() == null || m.build().fingerprint() == null) {
      return 0;
    }
    try {
      return Long.parseLong(m.build().fingerprint().getOrDefault("memoryBudget", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void stages(ReportHtml h, Map<String, Double> timings) {
    h.raw("<section id=\"stages\">\n<h2>Stages</h2>\n");
    if (timings == null || timings.isEmpty()) {
      h.raw("<p class=\"none\">No stage times recorded.</p>\n</section>\n");
      return;
    }
    List<String> names = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    for (Map.Entry<String, Double> e : timings.entrySet()) {
      if (!"total".equals(e.getKey()) && e.getValue() != null) {
        names.add(e.getKey());
        seconds.add(e.getValue());
      }
    }
    if (!names.isEmpty()) {
      int height = 90 + ReportCharts.ROW_HEIGHT * names.size();
      h.image("stages-plot", ReportCharts.stagesPlot(names, seconds, height), ReportCharts.STAGES_WIDTH, height,
          "seconds per build stage");
    }
    h.raw("<table id=\"timings\">\n<thead><tr><th>stage</th><th>seconds</th></tr></thead>\n<tbody>\n");
    for (Map.Entry<String, Double> e : timings.entrySet()) {
      h.raw("total".equals(e.getKey()) ? "<tr class=\"total\">" : "<tr>").cell(e.getKey())
          .cell(e.getValue() == null ? "" : fmt("%.2f", e.getValue())).raw("</tr>\n");
    }
    h.raw("</tbody>\n</table>\n</section>\n");
  }

  private static void lists(ReportHtml h, ListStats stats, int[] listSizes) {
    h.raw("<section id=\"lists\">\n<h2>List sizes</h2>\n");
    if (listSizes != null && listSizes.length > 0) {
      h.image("lists-plot", ReportCharts.listsPlot(listSizes), ReportCharts.LISTS_WIDTH, ReportCharts.LISTS_HEIGHT,
          "histogram of items per inverted list");
    }
    Map<String, String> rows = new LinkedHashMap<>();
    if (stats != null) {
      row(rows, "nlist", stats.nlist());
      row(rows, "min", stats.min());
      row(rows, "max", stats.max());
      row(rows, "mean", stats.mean());
      row(rows, "p99", stats.p99());
      row(rows, "empty", stats.empty());
    }
    if (listSizes != null && listSizes.length > 0) {
      row(rows, "imbalance", fmt("%.3f", imbalance(listSizes)));
    }
    if (!rows.isEmpty()) {
      h.keyValueTable(rows);
    } else if (listSizes == null || listSizes.length == 0) {
      h.raw("<p class=\"none\">No list statistics recorded.</p>\n");
    }
    h.raw("</section>\n");
  }

  /**
   * Faiss's imbalance factor of the lists: nlist x the sum of squared sizes over the squared
   * total. 1 when every list holds as many items; the expected work of a query relative to even
   * lists, since a list is probed as often as it holds the data's mass.
   */
  static double imbalance(int[] sizes) {
    double sum = 0;
    double squares = 0;
    for (int n : sizes) {
      sum += n;
      squares += (double) n * n;
    }
    return sum == 0 ? 0 : sizes.length * squares / (sum * sum);
  }

  private static void rejects(ReportHtml h, BuildInfo build) {
    h.raw("<section id=\"rejects\">\n<h2>Rejected rows</h2>\n");
    Long total = build == null ? null : build.rejected();
    long n = total == null ? 0 : total;
    if (n == 0) {
      h.raw("<p class=\"none\" id=\"rejects-none\">none</p>\n</section>\n");
      return;
    }
    h.raw("<p>").text(String.format(Locale.ROOT, "%,d rows set aside in _rejects/.", n)).raw("</p>\n");
    h.raw("<table id=\"reject-reasons\">\n<thead><tr><th>reason</th><th>rows</th></tr></thead>\n<tbody>\n");
    if (build.rejectReasons() != null) {
      for (Map.Entry<String, Long> e : build.rejectReasons().entrySet()) {
        h.raw("<tr>").cell(e.getKey()).cell(value(e.getValue())).raw("</tr>\n");
      }
    }
    h.raw("</tbody>\n</table>\n</section>\n");
  }

  private static void parameters(ReportHtml h, BuildInfo b) {
    h.raw("<section id=\"build\">\n<h2>Build parameters</h2>\n");
    // In the manifest's field order, as recorded.
    Map<String, String> rows = new LinkedHashMap<>();
    if (b != null) {
      row(rows, "importedFrom", b.importedFrom());
      row(rows, "faissType", b.faissType());
      row(rows, "input", b.input());
      row(rows, "fingerprint", b.fingerprint());
      row(rows, "seed", b.seed());
      row(rows, "partitions", b.partitions());
      row(rows, "trainingPoints", b.trainingPoints());
      row(rows, "kmeansIterations", b.kmeansIterations());
      row(rows, "kmeansObjective", b.kmeansObjective());
      row(rows, "pqTrainingPoints", b.pqTrainingPoints());
      row(rows, "pqIterations", b.pqIterations());
      row(rows, "rejected", b.rejected());
      row(rows, "rejectReasons", b.rejectReasons());
      row(rows, "spark", b.spark());
      row(rows, "kiln", b.kiln());
    }
    if (rows.isEmpty()) {
      h.raw("<p class=\"none\">None recorded.</p>\n</section>\n");
      return;
    }
    h.keyValueTable(rows);
    h.raw("</section>\n");
  }

  private static final String CSS = """
      body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto;
             max-width: 960px; padding: 0 1em; color: #222; background: #fff; }
      h1 { font-size: 1.5em; margin-bottom: 0.5em; }
      h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
      table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
      th, td { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
      thead th { background: #f2f2f2; }
      #curve td, #timings td:nth-child(2), #reject-reasons td:nth-child(2) {
        text-align: right; font-variant-numeric: tabular-nums; }
      table.kv th { background: #f7f7f7; font-weight: normal; color: #555; }
      tr.total td { font-weight: bold; }
      figure { margin: 0.8em 0; }
      img { max-width: 100%; height: auto; border: 1px solid #eee; }
      .none { color: #666; font-style: italic; }
      .pass { color: #1a7f1a; font-weight: bold; }
      .fail { color: #b01c1c; font-weight: bold; }
      """;

  /**
   * Marks the body once the recall plot has decoded (its natural size), so a headless browser
   * can tell a shown plot from a broken image. The image may have loaded before this runs.
   */
  private static final String SCRIPT = """
      <script>
      (function () {
        var img = document.getElementById("recall-plot");
        if (!img) { return; }
        function mark() {
          if (img.naturalWidth > 0) {
            document.body.dataset.plotRendered = img.naturalWidth + "x" + img.naturalHeight;
          }
        }
        if (img.complete) { mark(); } else { img.addEventListener("load", mark); }
      })();
      </script>
      """;
}
