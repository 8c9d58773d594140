package dev.kiln.job.report;

import static dev.kiln.job.report.ReportFixtures.assertSelfContained;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The report beside the version LATEST named before the build: side-by-side rows and a warning
 * on regression; what targetRecall would choose; the mapped bytes against the memory budget.
 */
class ReportComparisonTest {
  private static final Manifest NOW = ReportFixtures.manifest(ReportFixtures.quality());

  /** The fixture as an earlier version whose curve had {@code recallShift} more recall. */
  private static Manifest before(double recallShift, double qpsFactor, long count) {
    List<Quality.Point> curve = new ArrayList<>();
    for (Quality.Point p : ReportFixtures.CURVE) {
      curve.add(new Quality.Point(p.knob(), p.recall() + recallShift, p.p50Ms(), p.p99Ms(),
          p.qps() * qpsFactor));
    }
    Quality q = new Quality(1000, Quality.INPUT_SAMPLE, 10, "panama", 1, curve, null);
    return ReportFixtures.manifest(q).toBuilder().version("2026-11-22").count(count).create();
  }

  @Test
  void withoutAnEarlierVersionItSaysSo() {
    String html = BuildReport.render(NOW, ReportFixtures.listSizes(), null);
    assertSelfContained(html);
    assertTrue(html.contains("<p class=\"none\" id=\"compare-none\">No earlier version"), html);
    assertFalse(html.contains("id=\"compare-table\""));
  }

  @Test
  void anEqualEarlierVersionIsNoRegression() {
    String html = BuildReport.render(NOW, ReportFixtures.listSizes(), before(0, 1, 2000));
    assertTrue(html.contains("<thead><tr><th></th><th>2026-11-22</th><th>2026-11-23</th>"
        + "<th>change</th></tr></thead>"), "columns: before, now, change");
    assertTrue(html.contains("<tr><th>recall@10 at nprobe 16</th><td>0.5804</td><td>0.5804</td>"
        + "<td>+0.0000</td></tr>"), "recall side by side");
    assertTrue(html.contains("<tr><th>QPS at nprobe 64</th><td>2,366</td><td>2,366</td>"
        + "<td>1.00x</td></tr>"), "QPS side by side");
    assertTrue(html.contains("<tr><th>items</th><td>2,000</td><td>2,000</td><td>1.00x</td>"),
        "items");
    assertTrue(html.contains("<p id=\"no-regression\" class=\"pass\">No regression against"
        + " 2026-11-22.</p>"), "no warning");
  }

  @Test
  void lowerRecallSlowerSearchOrFewerItemsAreFlagged() {
    String html = BuildReport.render(NOW, ReportFixtures.listSizes(), before(0.01, 1.5, 2500));
    assertTrue(html.contains("<p id=\"regression\" class=\"fail\">Worse than 2026-11-22: "),
        "a warning");
    assertTrue(html.contains("2,000 items against 2,500"), "fewer items");
    assertTrue(html.contains("recall@10 at nprobe 16 fell from 0.5904 to 0.5804"), "recall");
    assertTrue(html.contains("QPS at nprobe 1 fell from 8,134 to 5,422"), "QPS");
    // Within the tolerances: no warning.
    String close = BuildReport.render(NOW, null, before(0.004, 1.3, 2100));
    assertTrue(close.contains("id=\"no-regression\""), "0.004 of recall, 1/1.3 of QPS, 5% items");
  }

  @Test
  void operatingPointsAndTheMemoryBudget() {
    String html = BuildReport.render(NOW, ReportFixtures.listSizes(), null);
    assertTrue(html.contains("targetRecall(0.55) searches at nprobe 4 (recall 0.5591, 5,049"
        + " QPS)"), "the gate's floor: the smallest nprobe that reaches it");
    assertTrue(html.contains("targetRecall(0.9) searches at nprobe 64 (recall 0.5806, 2,366 QPS,"
        + " the best measured: below the target)"), "out of reach: the best point, said so");
    assertTrue(html.contains("<tr><th>memory budget</th><td>none (--memory-budget not given)"),
        "no budget");
    Manifest budgeted = NOW.toBuilder().build(NOW.build().toBuilder()
        .fingerprint(Map.of("memoryBudget", "2000000")).build()).create();
    String b = BuildReport.render(budgeted, null);
    assertTrue(b.contains("<tr><th>memory budget</th><td>1.2 MiB mapped of 1.9 MiB (64%)</td>"),
        "mapped bytes against the budget");
    Manifest tight = NOW.toBuilder().build(NOW.build().toBuilder()
        .fingerprint(Map.of("memoryBudget", "1000000")).build()).create();
    assertTrue(BuildReport.render(tight, null).contains("(128%), over</td>"), "over budget");
  }
}
