package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.FLOAT_ARRAY;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.schema;
import static dev.kiln.testing.KilnTestData.versionDir;
import static dev.kiln.testing.KilnTestData.writeParquet;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.job.report.BuildReport;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln report} on an index the real build published (two shards, two rejected rows, the
 * recall curve the build measured): the page reflects that version's manifest and list sizes; by default it lands in the version
 * directory, where it disturbs neither the loader nor a re-run of the build.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportCommandTest {
  private static final int N = 600;
  private static final int DIM = 16;

  private Path root;
  private String[] buildArgs;

  @BeforeAll
  void buildIndex(SparkSession spark, @TempDir Path data) {
    List<Row> rows = new ArrayList<>(KilnTestData.rows(KilnTestData.longIds(N),
        gaussian(new Random(11), N, DIM, 1), false));
    // Two rows of the wrong dimension, set aside as rejects.
    rows.add(RowFactory.create(9_000_001L, KilnTestData.boxed(new float[DIM - 1], false)));
    rows.add(RowFactory.create(9_000_002L, KilnTestData.boxed(new float[DIM - 1], false)));
    String input = writeParquet(spark, data.resolve("input"),
        schema("id", DataTypes.LongType, "embedding", FLOAT_ARRAY), rows);
    root = data.resolve("index");
    buildArgs = new String[] {"build", "--input", input, "--output", root.toString(), "--index",
        "IVF8,PQ4", "--metric", "l2", "--version", "v1", "--shards", "2", "--kmeans-iterations",
        "4", "--pq-iterations", "4", "--seed", "5", "--max-reject-fraction", "0.01"};
    CliRun run = cli(buildArgs);
    assertEquals(0, run.exitCode(), run.err());
    // The build itself left report.html in the version: the page render() makes from what it
    // published.
    Path report = versionDir(root, "v1").resolve(BuildReport.FILE_NAME);
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals(BuildReport.render(index.manifest(), index.listSizes()),
          Files.readString(report, StandardCharsets.UTF_8), "the build's report.html");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void writesTheReportWhereToldAndPrintsItsPath(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("reports").resolve("v1.html");
    CliRun run = cli("report", root.toString(), "--out", out.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(out.toAbsolutePath().toString(), run.out().strip(), "prints the path");
    String html = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(java.util.Set.of("v1.html"), KilnTestData.list(out.getParent()),
        "only the report, no temporary file left");

    Manifest m = KilnTestData.readManifest(versionDir(root, "v1"));
    assertTrue(html.startsWith("<!DOCTYPE html>") && html.strip().endsWith("</html>"));
    assertTrue(html.contains("<title>Kiln v1: IVF8,PQ4</title>"), "title");
    assertTrue(html.contains("<tr><th>count</th><td>600</td></tr>"), "count");
    assertTrue(html.contains("<tr><th>shards</th><td>2</td></tr>"), "shards");
    assertTrue(html.contains("2 rows set aside"), "rejected rows");
    assertTrue(html.contains("<tr><td>wrong dimension (expected 16)</td><td>2</td></tr>"),
        "reject reason");
    assertTrue(html.contains("<tr><th>seed</th><td>5</td></tr>"), "build parameter");
    for (String stage : m.timings().keySet()) {
      assertTrue(html.contains("<td>" + stage + "</td>"), "stage " + stage);
    }
    assertTrue(html.contains("<tr><th>max</th><td>" + m.lists().max() + "</td></tr>"),
        "list statistics");
    // The build measured its recall curve: the page plots it and lists every point.
    Quality q = m.measuredQuality();
    assertNotNull(q, "the build measured a recall curve");
    assertTrue(image(html, "recall-plot").getWidth() > 100, "the recall plot is a picture");
    for (Quality.Point p : q.curve()) {
      String row = String.format(Locale.ROOT, "<tr><td>%d</td><td>%.4f</td>", p.nprobe(),
          p.recall());
      assertTrue(html.contains(row), "curve row " + row);
    }
    assertFalse(html.contains("not evaluated"));
    assertTrue(!html.contains("http://") && !html.contains("https://"), "no network references");

    // The histogram is of this index's lists: its bars add up to nlist.
    BufferedImage lists = image(html, "lists-plot");
    assertTrue(lists != null && lists.getWidth() > 100, "the histogram is a picture");
    int[] sizes;
    try (KilnIndex index = KilnIndex.open(root)) {
      sizes = index.listSizes();
    }
    assertEquals(8, sizes.length);
    assertEquals(N, Arrays.stream(sizes).sum());
    assertEquals(BuildReport.render(m, sizes), html, "the page is render(manifest, listSizes)");
  }

  @Test
  void defaultsToTheCurrentDirectoryLeavingThePublishedVersionAsBuilt() throws IOException {
    Path inVersion = versionDir(root, "v1").resolve(BuildReport.FILE_NAME);
    byte[] built = Files.readAllBytes(inVersion);
    Path expected = Path.of("report-v1.html").toAbsolutePath();
    try {
      CliRun run = cli("report", root.toString());
      assertEquals(0, run.exitCode(), run.err());
      assertEquals(expected.toString(), run.out().strip());
      assertTrue(Files.readString(expected).contains("IVF8,PQ4"));

      // Given the version directory itself, the same file.
      run = cli("report", versionDir(root, "v1").toString());
      assertEquals(0, run.exitCode(), run.err());
      assertEquals(expected.toString(), run.out().strip());
    } finally {
      Files.deleteIfExists(expected);
    }
    // The version is as the build left it: its report untouched, its files verified, and a
    // re-run of the build a no-op.
    assertArrayEquals(built, Files.readAllBytes(inVersion));
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(N, index.count());
    }
    CliRun again = cli(buildArgs);
    assertEquals(0, again.exitCode(), again.err());
  }

  /**
   * The report of a later version compares it with the one published before it in the same
   * root, as the build's own report compares with what LATEST named; the first has none.
   */
  @Test
  void comparesWithTheVersionPublishedBeforeIt(@TempDir Path tmp) throws IOException {
    Path two = tmp.resolve("two");
    String[] args = buildArgs.clone();
    args[4] = two.toString(); // --output
    assertEquals(0, cli(args).exitCode());
    args[java.util.Arrays.asList(args).indexOf("v1")] = "v2";
    CliRun second = cli(args);
    assertEquals(0, second.exitCode(), second.err());
    // The build's own report.html of v2 already compares with v1, LATEST's before it.
    String built = Files.readString(versionDir(two, "v2").resolve(BuildReport.FILE_NAME),
        StandardCharsets.UTF_8);
    assertTrue(built.contains("<thead><tr><th></th><th>v1</th><th>v2</th>"), "build's report");
    Path out = tmp.resolve("r2.html");
    assertEquals(0, cli("report", two.toString(), "--out", out.toString()).exitCode());
    String html = Files.readString(out, StandardCharsets.UTF_8);
    assertTrue(html.contains("<thead><tr><th></th><th>v1</th><th>v2</th>"), "v2 against v1");
    assertTrue(html.contains("id=\"no-regression\"") || html.contains("id=\"regression\""),
        "a verdict");
    Path first = tmp.resolve("r1.html");
    assertEquals(0, cli("report", versionDir(two, "v1").toString(), "--out", first.toString())
        .exitCode());
    assertTrue(Files.readString(first, StandardCharsets.UTF_8).contains("id=\"compare-none\""),
        "v1 has nothing before it");
  }

  @Test
  void aPathThatIsNotAnIndexIsBadInput(@TempDir Path tmp) {
    CliRun run = cli("report", tmp.resolve("nothing").toString());
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), run.err());
    assertTrue(lines.get(0).startsWith("kiln: error: cannot open "), lines.get(0));
    assertTrue(lines.get(0).contains("nothing"), lines.get(0));
  }

  @Test
  void findsTheBrowserOpenerOnThePath(@TempDir Path tmp) throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path notExecutable = Files.createDirectories(tmp.resolve("plain"));
    Files.writeString(notExecutable.resolve("xdg-open"), "#!/bin/sh\n");
    Path opener = Files.writeString(bin.resolve("xdg-open"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(opener, PosixFilePermissions.fromString("rwxr-xr-x"));
    String path = String.join(File.pathSeparator, empty.toString(), "", notExecutable.toString(),
        bin.toString());
    assertEquals(opener, ReportCommand.findOnPath("xdg-open", path));
    assertNull(ReportCommand.findOnPath("xdg-open", empty.toString()));
    assertNull(ReportCommand.findOnPath("xdg-open", notExecutable.toString()));
    assertNull(ReportCommand.findOnPath("xdg-open", null));
  }

  private static final Pattern IMG =
      Pattern.compile("<img id=\"([a-z-]+)\"[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  private static BufferedImage image(String html, String id) throws IOException {
    Matcher m = IMG.matcher(html);
    while (m.find()) {
      if (m.group(1).equals(id)) {
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(2))));
      }
    }
    throw new AssertionError("no image " + id);
  }
}
