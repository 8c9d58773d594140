package dev.kiln.job.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test: {@code report.html} opens in headless Chromium, offline, and shows
 * the plot. The page's script records the recall plot's decoded size on the body, which
 * {@code --dump-dom} shows; a screenshot shows the plots' colour on the page.
 */
class BuildReportChromiumTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final long TIMEOUT_SECONDS = 120;

  @TempDir Path tmp;
  private Path report;
  private BufferedImage recallPlot;

  @BeforeEach
  void writeReport() throws IOException {
    if (!Files.isExecutable(CHROMIUM)) {
      // CI installs it (.ci/run); elsewhere the test needs it installed to mean anything.
      if ("true".equals(System.getenv("CI"))) {
        fail(CHROMIUM + " is missing; .ci/run installs the Debian package chromium");
      }
      Assumptions.assumeTrue(false, CHROMIUM + " is not installed (apt-get install chromium);"
          + " skipping the headless-browser check of report.html");
    }
    // Against an earlier version with more recall: the comparison warns, in red.
    Manifest now = ReportFixtures.manifest(ReportFixtures.quality());
    List<Quality.Point> better = new ArrayList<>();
    for (Quality.Point p : ReportFixtures.CURVE) {
      better.add(new Quality.Point(p.knob(), p.recall() + 0.02, p.p50Ms(), p.p99Ms(), p.qps()));
    }
    Manifest before = ReportFixtures.manifest(new Quality(1000, Quality.INPUT_SAMPLE, 10,
        "panama", 1, better, null)).toBuilder().version("2026-11-22").create();
    String html = BuildReport.render(now, ReportFixtures.listSizes(), before);
    recallPlot = ReportFixtures.images(html).get("recall-plot");
    assertNotNull(recallPlot, "the page has a recall plot");
    report = tmp.resolve("site").resolve(BuildReport.FILE_NAME);
    Files.createDirectories(report.getParent());
    Files.writeString(report, html, StandardCharsets.UTF_8);
  }

  @Test
  void domShowsTheRecallPlotDecoded() throws Exception {
    String dom = chromium("--virtual-time-budget=5000", "--dump-dom", report.toUri().toString());
    String expected = "data-plot-rendered=\"" + recallPlot.getWidth() + "x"
        + recallPlot.getHeight() + "\"";
    assertTrue(dom.contains(expected), "the DOM should have " + expected + "; its body: "
        + bodyTag(dom));
    assertTrue(dom.contains("Publish gate passed"), "the page's text is in the DOM");
    assertTrue(dom.contains("id=\"regression\"") && dom.contains("Worse than 2026-11-22"),
        "the comparison's warning is in the DOM");
    assertTrue(dom.contains("targetRecall(0.9) searches at nprobe 64"), "the operating points");
  }

  @Test
  void screenshotShowsThePlots() throws Exception {
    Path png = tmp.resolve("screenshot.png");
    chromium("--virtual-time-budget=5000", "--window-size=1200,2600", "--screenshot=" + png,
        report.toUri().toString());
    assertTrue(Files.size(png) > 0, "no screenshot written");
    BufferedImage shot = ImageIO.read(png.toFile());
    assertNotNull(shot, "the screenshot is not a readable PNG");
    assertEquals(1200, shot.getWidth());
    double ink = ReportFixtures.inkFraction(shot);
    assertTrue(ink > 0.02, "the screenshot is (nearly) blank: " + ink + " of its pixels are ink");
    // The plots' series blue (0x1f77b4) only comes from the PNGs: text and tables are grey.
    int blue = 0;
    for (int y = 0; y < shot.getHeight(); y++) {
      for (int x = 0; x < shot.getWidth(); x++) {
        int rgb = shot.getRGB(x, y);
        if (near((rgb >> 16) & 0xff, 0x1f) && near((rgb >> 8) & 0xff, 0x77) && near(rgb & 0xff, 0xb4)) {
          blue++;
        }
      }
    }
    assertTrue(blue > 500, "only " + blue + " pixels of the plots' blue in the screenshot");
    // The regression warning's red (#b01c1c, bold text under the comparison table).
    int red = 0;
    for (int y = 0; y < shot.getHeight(); y++) {
      for (int x = 0; x < shot.getWidth(); x++) {
        int rgb = shot.getRGB(x, y);
        if (near((rgb >> 16) & 0xff, 0xb0) && near((rgb >> 8) & 0xff, 0x1c)
            && near(rgb & 0xff, 0x1c)) {
          red++;
        }
      }
    }
    assertTrue(red > 100, "only " + red + " pixels of the warning's red in the screenshot");
    if (System.getProperty("kiln.report.screenshot") != null) {
      Files.copy(png, Path.of(System.getProperty("kiln.report.screenshot")),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static boolean near(int a, int b) {
    return Math.abs(a - b) <= 16;
  }

  /** Runs headless Chromium with a fresh profile; returns its stdout, fails on a non-zero exit. */
  private String chromium(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createTempDirectory(tmp, "profile")));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "chromium", ".out");
    Path err = Files.createTempFile(tmp, "chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(nullFile()))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
      fail("chromium did not finish in " + TIMEOUT_SECONDS + " s: " + cmd + "\n" + tail(err));
    }
    assertEquals(0, p.exitValue(), () -> "chromium failed: " + cmd + "\n" + tail(err));
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no stderr: " + e + ")";
    }
  }

  private static String bodyTag(String dom) {
    int at = dom.indexOf("<body");
    return at < 0 ? "(no body)" : dom.substring(at, Math.min(dom.length(), dom.indexOf('>', at) + 1));
  }
}
