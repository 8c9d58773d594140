package dev.kiln.job.report;

import dev.kiln.format.BuildInfo;
import dev.kiln.format.ListStats;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
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
    try {
      staging.write(FILE_NAME,
          render(manifest, listSizes).getBytes(java.nio.charset.StandardCharsets.UTF_8));
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
    Html h = new Html();
    String title = "Kiln " + manifest.version() + ": " + manifest.index();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .raw("<title>").text(title).raw("</title>\n<style>\n").raw(CSS).raw("</style>\n</head>\n")
        .raw("<body>\n<h1>").text(title).raw("</h1>\n");
    header(h, manifest);
    quality(h, manifest);
    stages(h, manifest.timings());
    lists(h, manifest.lists(), listSizes);
    rejects(h, manifest.build());
    parameters(h, manifest.build());
    h.raw(SCRIPT).raw("</body>\n</html>\n");
    return h.toString();
  }

  // ------------------------------------------------------------------ sections

  private static void header(Html h, Manifest m) {
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
    h.raw("<section id=\"summary\">\n");
    keyValueTable(h, rows);
    h.raw("</section>\n");
  }

  private static void quality(Html h, Manifest m) {
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
      image(h, "recall-plot", png, ReportCharts.RECALL_WIDTH, ReportCharts.RECALL_HEIGHT,
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

  private static void stages(Html h, Map<String, Double> timings) {
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
      image(h, "stages-plot", ReportCharts.stagesPlot(names, seconds, height), ReportCharts.STAGES_WIDTH, height,
          "seconds per build stage");
    }
    h.raw("<table id=\"timings\">\n<thead><tr><th>stage</th><th>seconds</th></tr></thead>\n<tbody>\n");
    for (Map.Entry<String, Double> e : timings.entrySet()) {
      h.raw("total".equals(e.getKey()) ? "<tr class=\"total\">" : "<tr>").cell(e.getKey())
          .cell(e.getValue() == null ? "" : fmt("%.2f", e.getValue())).raw("</tr>\n");
    }
    h.raw("</tbody>\n</table>\n</section>\n");
  }

  private static void lists(Html h, ListStats stats, int[] listSizes) {
    h.raw("<section id=\"lists\">\n<h2>List sizes</h2>\n");
    if (listSizes != null && listSizes.length > 0) {
      image(h, "lists-plot", ReportCharts.listsPlot(listSizes), ReportCharts.LISTS_WIDTH, ReportCharts.LISTS_HEIGHT,
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
      keyValueTable(h, rows);
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

  private static void rejects(Html h, BuildInfo build) {
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

  private static void parameters(Html h, BuildInfo b) {
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
    keyValueTable(h, rows);
    h.raw("</section>\n");
  }

  // ------------------------------------------------------------------ HTML

  private static void image(Html h, String id, byte[] png, int width, int height, String alt) {
    h.raw("<figure><img id=\"").raw(id).raw("\" width=\"").raw(Integer.toString(width))
        .raw("\" height=\"").raw(Integer.toString(height)).raw("\" alt=\"").text(alt)
        .raw("\" src=\"data:image/png;base64,").raw(Base64.getEncoder().encodeToString(png))
        .raw("\"></figure>\n");
  }

  private static void keyValueTable(Html h, Map<String, String> rows) {
    h.raw("<table class=\"kv\">\n<tbody>\n");
    for (Map.Entry<String, String> e : rows.entrySet()) {
      h.raw("<tr><th>").text(e.getKey()).raw("</th>").cell(e.getValue()).raw("</tr>\n");
    }
    h.raw("</tbody>\n</table>\n");
  }

  /** Adds {@code key} to {@code rows} unless its value is null (absent from the manifest). */
  private static void row(Map<String, String> rows, String key, Object v) {
    if (v != null) {
      rows.put(key, value(v));
    }
  }

  private static String value(Object v) {
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : fmt("%.4g", d);
    }
    return String.valueOf(v);
  }

  private static String fmt(String pattern, double v) {
    return String.format(Locale.ROOT, pattern, v);
  }

  static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** Escapes text for element content and quoted attribute values. */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A string builder that separates markup ({@code raw}) from text, which it escapes. */
  private static final class Html {
    private final StringBuilder b = new StringBuilder(1 << 16);

    Html raw(String markup) {
      b.append(markup);
      return this;
    }

    Html text(String text) {
      b.append(escape(text));
      return this;
    }

    Html cell(String text) {
      return raw("<td>").text(text).raw("</td>");
    }

    @Override
    public String toString() {
      return b.toString();
    }
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
