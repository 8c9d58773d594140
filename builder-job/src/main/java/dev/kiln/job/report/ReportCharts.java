package dev.kiln.job.report;

import dev.kiln.format.Quality;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HorizontalBarChart;
import org.knowm.xchart.HorizontalBarChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The plots of {@code report.html}, drawn off-screen by XChart as PNG bytes: recall against QPS,
 * latency against nprobe, seconds per stage, and the list-size histogram. {@link BuildReport} lays them out in the page.
 */
final class ReportCharts {
  // Pixel sizes of the plots (the tests check that the PNGs decode at these sizes).
  static final int RECALL_WIDTH = 900;
  static final int RECALL_HEIGHT = 540;
  static final int LATENCY_HEIGHT = 420;
  static final int STAGES_WIDTH = 900;
  /** Pixels per stage in the stage chart. */
  static final int ROW_HEIGHT = 40;
  static final int LISTS_WIDTH = 900;
  static final int LISTS_HEIGHT = 420;
  /** At most this many buckets in the list-size histogram. */
  static final int MAX_BUCKETS = 32;

  static {
    // The plots are drawn off-screen; without this, AWT would look for a display (and fail on a
    // server). Respect an explicit choice.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private ReportCharts() {}

  /** recall@k against QPS, each point labelled with its nprobe (or efSearch); null if no QPS > 0. */
  static byte[] recallPlot(Quality q) {
    List<Quality.Point> points = new ArrayList<>();
    for (Quality.Point p : q.curve()) {
      // A log axis cannot show QPS <= 0 (or NaN); such a point stays in the table only.
      if (p.qps() > 0 && Double.isFinite(p.qps()) && Double.isFinite(p.recall())) {
        points.add(p);
      }
    }
    if (points.isEmpty()) {
      return null;
    }
    double[] x = new double[points.size()];
    double[] y = new double[points.size()];
    double minX = Double.MAX_VALUE;
    double maxX = 0;
    double minY = q.gate() != null ? q.gate().minRecall() : 1;
    double maxY = q.gate() != null ? q.gate().minRecall() : 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = points.get(i).qps();
      y[i] = points.get(i).recall();
      minX = Math.min(minX, x[i]);
      maxX = Math.max(maxX, x[i]);
      minY = Math.min(minY, y[i]);
      maxY = Math.max(maxY, y[i]);
    }
    // The y axis fitted to the points (and the gate), with room for the labels: recall rarely
    // spans more than a few hundredths, which a 0-1 axis squeezes into one line.
    double[] yRange = recallAxis(minY, maxY);
    double yMin = yRange[0];
    double yMax = yRange[1];
    double labelGap = 0.045 * (yMax - yMin);
    // A log x axis only when the QPS spans a decade or more, labelled at decades then (labels
    // at every 1-9 x 10^k ran together); a linear one otherwise.
    boolean log = maxX / minX >= 10;
    XYChart chart = new XYChartBuilder().width(RECALL_WIDTH).height(RECALL_HEIGHT)
        .title("recall@" + q.k() + " vs QPS (" + q.threads() + " thread" + (q.threads() == 1 ? "" : "s")
            + ")")
        .xAxisTitle("queries per second" + (log ? " (log scale)" : ""))
        .yAxisTitle("recall@" + q.k()).build();
    style(chart.getStyler());
    double xMin = log ? minX / 1.6 : Math.max(0, minX - 0.15 * (maxX - minX + 1));
    double xMax = log ? maxX * 1.6 : maxX + 0.15 * (maxX - minX + 1);
    chart.getStyler().setXAxisLogarithmic(log).setXAxisLogarithmicDecadeOnly(true)
        .setXAxisMin(xMin).setXAxisMax(xMax)
        .setYAxisMin(yMin).setYAxisMax(yMax).setYAxisDecimalPattern("0.000")
        .setXAxisDecimalPattern("#,##0").setLegendVisible(q.gate() != null)
        .setLegendPosition(Styler.LegendPosition.InsideSE).setMarkerSize(9);
    XYSeries s = chart.addSeries("recall@" + q.k() + " by " + q.knob(), x, y);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(BLUE);
    s.setMarkerColor(BLUE);
    for (int i = 0; i < x.length; i++) {
      // Above and below by turns, so neighbouring points' labels do not run into each other.
      double ly = i % 2 == 0 ? y[i] + labelGap : y[i] - labelGap;
      chart.addAnnotation(new AnnotationText(q.knob() + " " + points.get(i).knob(), x[i],
          Math.max(yMin + labelGap / 2, Math.min(yMax - labelGap / 2, ly)), false));
    }
    if (q.gate() != null) {
      // The gate as a horizontal line at the minimum recall (a series, so the legend names it).
      XYSeries gate = chart.addSeries(String.format(Locale.ROOT, "gate: recall >= %.3f at %s %d",
          q.gate().minRecall(), q.knob(), q.gate().at()),
          new double[] {xMin, xMax},
          new double[] {q.gate().minRecall(), q.gate().minRecall()});
      gate.setMarker(SeriesMarkers.NONE);
      gate.setLineColor(q.gate().passed() ? GREEN : RED);
      gate.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
          new float[] {6, 4}, 0));
    }
    return png(chart);
  }

  /**
   * p50 and p99 latency (ms) against nprobe (or efSearch), the knob on a log2 axis when it
   * doubles from point to point; null when no point has a latency.
   */
  static byte[] latencyPlot(Quality q) {
    List<Quality.Point> points = new ArrayList<>();
    for (Quality.Point p : q.curve()) {
      if (p.knob() > 0 && Double.isFinite(p.p99Ms()) && Double.isFinite(p.p50Ms())
          && p.p99Ms() > 0) {
        points.add(p);
      }
    }
    if (points.isEmpty()) {
      return null;
    }
    double[] x = new double[points.size()];
    double[] p50 = new double[x.length];
    double[] p99 = new double[x.length];
    double maxY = 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = points.get(i).knob();
      p50[i] = points.get(i).p50Ms();
      p99[i] = points.get(i).p99Ms();
      maxY = Math.max(maxY, p99[i]);
    }
    boolean log = x[x.length - 1] / x[0] >= 8;
    XYChart chart = new XYChartBuilder().width(RECALL_WIDTH).height(LATENCY_HEIGHT)
        .title("latency per query vs " + q.knob() + " (one thread)")
        .xAxisTitle(q.knob() + (log ? " (log scale)" : "")).yAxisTitle("milliseconds").build();
    style(chart.getStyler());
    chart.getStyler().setXAxisLogarithmic(log).setXAxisMin(x[0] / (log ? 1.4 : 1))
        .setXAxisMax(x[x.length - 1] * (log ? 1.4 : 1)).setYAxisMin(0.0)
        .setYAxisMax(maxY * 1.15).setYAxisDecimalPattern("0.###").setXAxisDecimalPattern("#,##0")
        .setLegendVisible(true).setLegendPosition(Styler.LegendPosition.InsideNW)
        .setMarkerSize(8);
    XYSeries s99 = chart.addSeries("p99", x, p99);
    s99.setMarker(SeriesMarkers.CIRCLE);
    s99.setLineColor(RED);
    s99.setMarkerColor(RED);
    XYSeries s50 = chart.addSeries("p50", x, p50);
    s50.setMarker(SeriesMarkers.DIAMOND);
    s50.setLineColor(BLUE);
    s50.setMarkerColor(BLUE);
    return png(chart);
  }

  /** The recall axis for points from minY to maxY: a fifth of their span (at least 0.01) either side, within [0, 1.02]. */
  static double[] recallAxis(double minY, double maxY) {
    double pad = Math.max(0.01, 0.2 * (maxY - minY));
    return new double[] {Math.max(0, minY - pad), Math.min(1.02, maxY + pad)};
  }

  static byte[] stagesPlot(List<String> names, List<Double> seconds, int height) {
    HorizontalBarChart chart = new HorizontalBarChartBuilder().width(STAGES_WIDTH).height(height)
        .title("seconds per stage").xAxisTitle("seconds").yAxisTitle("").build();
    style(chart.getStyler());
    // One label per bar (ROW_HEIGHT apart): the default spacing hint (74 px) would name only
    // every other stage. In a horizontal bar chart the X hint governs the category axis too.
    chart.getStyler().setXAxisTickMarkSpacingHint(ROW_HEIGHT - 8).setXAxisMin(0.0)
        .setXAxisDecimalPattern("#,##0.#").setLegendVisible(false);
    chart.addSeries("seconds", seconds, names).setFillColor(BLUE);
    return png(chart);
  }

  static byte[] listsPlot(int[] sizes) {
    // About four lists per bucket on average, so a small nlist does not give a sparse comb.
    Buckets b = Buckets.of(sizes, Math.min(MAX_BUCKETS, Math.max(8, sizes.length / 4)));
    CategoryChart chart = new CategoryChartBuilder().width(LISTS_WIDTH).height(LISTS_HEIGHT)
        .title(String.format(Locale.ROOT, "items per list (%,d lists)", sizes.length))
        .xAxisTitle("items in the list").yAxisTitle("lists").build();
    style(chart.getStyler());
    chart.getStyler().setAvailableSpaceFill(0.9);
    chart.getStyler().setYAxisMin(0.0).setYAxisDecimalPattern("#,##0")
        .setXAxisLabelRotation(b.labels().size() > 12 ? 45 : 0).setXAxisTickMarkSpacingHint(24)
        .setLegendVisible(false);
    chart.addSeries("lists", b.labels(), b.counts()).setFillColor(BLUE);
    return png(chart);
  }

  /**
   * Histogram buckets over integer list sizes: equal-width ranges of whole numbers from the
   * smallest to the largest size, at most {@code max} of them, labelled by their bounds.
   */
  record Buckets(List<String> labels, List<Integer> counts) {
    static Buckets of(int[] sizes, int max) {
      int lo = Integer.MAX_VALUE;
      int hi = Integer.MIN_VALUE;
      for (int s : sizes) {
        lo = Math.min(lo, s);
        hi = Math.max(hi, s);
      }
      long range = (long) hi - lo + 1;
      long width = (range + max - 1) / max;
      int n = (int) ((range + width - 1) / width);
      int[] counts = new int[n];
      for (int s : sizes) {
        counts[(int) ((s - (long) lo) / width)]++;
      }
      List<String> labels = new ArrayList<>(n);
      List<Integer> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        long from = lo + i * width;
        long to = Math.min(hi, from + width - 1);
        labels.add(from == to ? Long.toString(from) : from + "-" + to);
        list.add(counts[i]);
      }
      return new Buckets(labels, list);
    }
  }

  private static final Color BLUE = new Color(0x1f, 0x77, 0xb4);
  private static final Color GREEN = new Color(0x2c, 0xa0, 0x2c);
  private static final Color RED = new Color(0xd6, 0x27, 0x28);

  private static void style(Styler s) {
    s.setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
        .setAntiAlias(true).setTextAntiAlias(true).setPlotBorderVisible(true);
  }

  private static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    } catch (IOException e) {
      // Encoding into memory: an IOException here is a bug, not an I/O condition.
      throw new UncheckedIOException(e);
    }
  }
}
