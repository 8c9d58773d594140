package dev.kiln.job.report;

import static dev.kiln.job.report.ReportFixtures.assertSelfContained;
import static dev.kiln.job.report.ReportFixtures.colours;
import static dev.kiln.job.report.ReportFixtures.images;
import static dev.kiln.job.report.ReportFixtures.inkFraction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link BuildReport#render}: the page's content, its plots as real pictures, no network. */
class BuildReportTest {

  @Test
  void reportWithACurveHasTheTablesAndDecodablePlots() throws IOException {
    String html = BuildReport.render(ReportFixtures.manifest(ReportFixtures.quality()),
        ReportFixtures.listSizes());
    assertSelfContained(html);

    // Header.
    for (String s : List.of("2026-11-23", "IVF64,PQ16", "<td>l2</td>", "<td>64</td>",
        "<td>2,000</td>", "<td>long</td>", "2026-11-23T04:05:06Z", "1,281,000 bytes (1.2 MiB)")) {
      assertTrue(html.contains(s), "header should show " + s);
    }
    // The curve's table, row by row, and the gate.
    assertTrue(html.contains("<tr><td>1</td><td>0.4113</td><td>0.162</td><td>0.405</td>"
        + "<td>5,422</td></tr>"), "curve row for nprobe 1");
    assertTrue(html.contains("<tr><td>64</td><td>0.5806</td><td>0.402</td><td>1.118</td>"
        + "<td>2,366</td></tr>"), "curve row for nprobe 64");
    assertTrue(html.contains("recall@10 over 1,000 queries (input-sample)"), "curve's description");
    assertTrue(html.contains("Publish gate passed: recall@10 at nprobe 16 is 0.5804, the minimum"
        + " is 0.5500."), "gate");
    assertFalse(html.contains("not evaluated"));
    // Stage times, rejects by reason, list statistics, build parameters.
    assertTrue(html.contains("<tr><td>train.pq</td><td>30.75</td></tr>"), "stage row");
    assertTrue(html.contains("<tr class=\"total\"><td>total</td><td>51.25</td></tr>"), "total");
    assertTrue(html.contains("7 rows set aside"), "rejected count");
    assertTrue(html.contains("<tr><td>nan_or_infinite</td><td>5</td></tr>"), "reject reason");
    assertTrue(html.contains("<tr><td>wrong_dimension</td><td>2</td></tr>"), "reject reason");
    long empty = Arrays.stream(ReportFixtures.listSizes()).filter(n -> n == 0).count();
    assertTrue(empty >= 2, "the fixture has empty lists");
    assertTrue(html.contains("<tr><th>empty</th><td>" + empty + "</td></tr>"), "empty lists");
    assertTrue(html.contains("<tr><th>mean</th><td>31.25</td></tr>"), "mean list size");
    assertTrue(html.contains("<tr><th>imbalance</th><td>"
        + String.format(java.util.Locale.ROOT, "%.3f", BuildReport.imbalance(ReportFixtures.listSizes()))
        + "</td></tr>"), "imbalance factor");
    assertEquals(1.0, BuildReport.imbalance(new int[] {5, 5, 5, 5}), 1e-12);
    // The recall axis fits the points (0.787-0.843 here), not 0-1.
    double[] axis = ReportCharts.recallAxis(0.787, 0.843);
    assertEquals(0.7758, axis[0], 1e-9);
    assertEquals(0.8542, axis[1], 1e-9);
    assertEquals(0.0, ReportCharts.recallAxis(0.001, 0.002)[0]);
    assertEquals(1.02, ReportCharts.recallAxis(0.5, 1.0)[1]);
    assertEquals(4.0, BuildReport.imbalance(new int[] {20, 0, 0, 0}), 1e-12);
    assertTrue(html.contains("<tr><th>seed</th><td>42</td></tr>"), "build parameter");
    assertTrue(html.contains("<tr><th>kmeansObjective</th><td>1235</td></tr>"), "build parameter");
    // Text from the manifest is escaped: the input path's markup is shown, not run.
    assertFalse(html.contains("<script>alert"), "unescaped markup from the manifest");
    assertTrue(html.contains("/data/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;items.parquet"),
        "escaped input path");

    Map<String, BufferedImage> images = images(html);
    assertEquals(List.of("recall-plot", "latency-plot", "stages-plot", "lists-plot"),
        List.copyOf(images.keySet()));
    assertEquals(ReportCharts.LATENCY_HEIGHT, images.get("latency-plot").getHeight());
    BufferedImage recall = images.get("recall-plot");
    assertEquals(ReportCharts.RECALL_WIDTH, recall.getWidth());
    assertEquals(ReportCharts.RECALL_HEIGHT, recall.getHeight());
    assertEquals(ReportCharts.LISTS_HEIGHT, images.get("lists-plot").getHeight());
    assertTrue(html.contains("<img id=\"recall-plot\" width=\"" + ReportCharts.RECALL_WIDTH
        + "\" height=\"" + ReportCharts.RECALL_HEIGHT + "\""), "img size attributes");
    for (Map.Entry<String, BufferedImage> e : images.entrySet()) {
      // Anti-aliased text, axes, markers and bars: many colours and a fair share of ink.
      assertTrue(colours(e.getValue()) > 20, e.getKey() + " has " + colours(e.getValue())
          + " colours");
      double ink = inkFraction(e.getValue());
      assertTrue(ink > 0.01 && ink < 0.9, e.getKey() + ": " + ink + " of its pixels are ink");
    }
    assertTrue(hasSeriesBlue(recall), "the curve is drawn in the series colour");
  }

  @Test
  void reportWithoutQualitySaysNotEvaluated() throws IOException {
    Manifest m = ReportFixtures.manifest(null);
    m = m.toBuilder().build(m.build().toBuilder().rejected(0L).rejectReasons(Map.of()).build())
        .quality(null).create();
    String html = BuildReport.render(m, null);
    assertSelfContained(html);
    assertTrue(html.contains("<p class=\"none\" id=\"quality-none\">Search quality: not evaluated.</p>"),
        "says the quality was not evaluated");
    assertFalse(html.contains("id=\"recall-plot\""), "no recall plot without a curve");
    assertFalse(html.contains("<table id=\"curve\">"));
    assertTrue(html.contains("<p class=\"none\" id=\"rejects-none\">none</p>"), "no rejects");
    assertFalse(html.contains("id=\"reject-reasons\""), "no table of reasons");
    // The rest is still there; without list sizes the statistics stand alone.
    assertEquals(List.of("stages-plot"), List.copyOf(images(html).keySet()));
    int max = Arrays.stream(ReportFixtures.listSizes()).max().orElseThrow();
    assertTrue(html.contains("<tr><th>max</th><td>" + max + "</td></tr>"), "list statistics");
  }

  @Test
  void aQualityObjectWithoutQpsKeepsItsTableButHasNoPlot() throws IOException {
    Quality q = new Quality(50, "queries.fvecs", 10, "scalar", 1,
        List.of(new Quality.Point(8, 0.9, 0, 0, 0)), null);
    String html = BuildReport.render(ReportFixtures.manifest(q), ReportFixtures.listSizes());
    assertSelfContained(html);
    assertFalse(html.contains("id=\"recall-plot\""), "no plot without QPS");
    assertTrue(html.contains("<tr><td>8</td><td>0.9000</td>"), "curve table");
    assertFalse(html.contains("id=\"gate\""), "no gate");
  }

  @Test
  void listSizeBucketsCoverEveryListOnce() {
    int[] sizes = ReportFixtures.listSizes();
    ReportCharts.Buckets b = ReportCharts.Buckets.of(sizes, ReportCharts.MAX_BUCKETS);
    assertTrue(b.labels().size() <= ReportCharts.MAX_BUCKETS, b.labels().toString());
    assertEquals(sizes.length, b.counts().stream().mapToInt(Integer::intValue).sum());
    int min = Arrays.stream(sizes).min().orElseThrow();
    int max = Arrays.stream(sizes).max().orElseThrow();
    assertTrue(b.labels().get(0).startsWith(min + "-"), b.labels().get(0));
    assertTrue(b.labels().get(b.labels().size() - 1).endsWith("-" + max)
        || b.labels().get(b.labels().size() - 1).equals(Integer.toString(max)), b.labels().toString());
    // Few distinct sizes: one bucket per size, labelled by it.
    ReportCharts.Buckets small = ReportCharts.Buckets.of(new int[] {3, 5, 5, 4, 3, 3}, 32);
    assertEquals(List.of("3", "4", "5"), small.labels());
    assertEquals(List.of(3, 1, 2), small.counts());
    // All lists the same size.
    assertEquals(List.of(6), ReportCharts.Buckets.of(new int[] {9, 9, 9, 9, 9, 9}, 32).counts());
  }

  @Test
  void humanBytes() {
    assertEquals("999 B", ReportHtml.humanBytes(999));
    assertEquals("1.5 KiB", ReportHtml.humanBytes(1536));
    assertEquals("3.0 GiB", ReportHtml.humanBytes(3L << 30));
  }

  /** Some pixels of the recall plot are the series blue (0x1f77b4), not just black and white. */
  private static boolean hasSeriesBlue(BufferedImage img) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == 0x1f77b4) {
          n++;
        }
      }
    }
    return n > 100;
  }
}
