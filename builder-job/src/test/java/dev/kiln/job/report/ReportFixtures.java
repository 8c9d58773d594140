package dev.kiln.job.report;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.FileFormat;
import dev.kiln.format.BuildInfo;
import dev.kiln.format.ListStats;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** Manifests to render, and reading the images back out of a rendered page. */
final class ReportFixtures {
  private ReportFixtures() {}

  static final List<Quality.Point> CURVE = List.of(
      new Quality.Point(1, 0.4113, 0.162, 0.405, 5422.4),
      new Quality.Point(4, 0.5591, 0.181, 0.512, 5049.0),
      new Quality.Point(16, 0.5804, 0.279, 0.733, 3392.7),
      new Quality.Point(64, 0.5806, 0.402, 1.118, 2366.2));

  static Quality quality() {
    return new Quality(1000, Quality.INPUT_SAMPLE, 10, "panama", 1, CURVE,
        new Quality.Gate(0.55, 16, 0.5804, true));
  }

  /**
   * A manifest as a build of {@code IVF64,PQ16} writes it, with 7 rejected rows; the input
   * path holds markup, to check escaping.
   */
  static Manifest manifest(Quality quality) {
    // The statistics of listSizes(), as the build records them.
    int[] sizes = listSizes();
    ListStats lists = new ListStats(
        (int) Arrays.stream(sizes).filter(n -> n == 0).count(),
        (long) Arrays.stream(sizes).max().orElseThrow(), 2000.0 / sizes.length,
        (long) Arrays.stream(sizes).min().orElseThrow(), sizes.length, null);
    BuildInfo build = BuildInfo.builder()
        .input("/data/<script>alert('x')</script>&items.parquet")
        .seed(42L)
        .partitions(8)
        .kmeansIterations(25)
        .kmeansObjective(1234.5678)
        .rejected(7L)
        .rejectReasons(new TreeMap<>(Map.of("nan_or_infinite", 5L, "wrong_dimension", 2L)))
        .kiln("0.1.0-SNAPSHOT")
        .build();
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("read", 1.25);
    timings.put("train.coarse", 12.5);
    timings.put("train.pq", 30.75);
    timings.put("write.model", 0.5);
    timings.put("encode", 4.0);
    timings.put("write.shards", 2.0);
    timings.put("publish", 0.25);
    timings.put("total", 51.25);
    return Manifest.builder().formatVersion(FileFormat.CURRENT_VERSION).version("2026-11-23")
        .createdAt("2026-11-23T04:05:06Z").index("IVF64,PQ16").metric("l2").dim(64).count(2000)
        .idType("long").shards(2)
        .files(List.of(Manifest.FileEntry.of("model.kiln", 1_200_000, 1),
            Manifest.FileEntry.of("shard-00000.kiln", 40_000, 2),
            Manifest.FileEntry.of("shard-00001.kiln", 41_000, 3)))
        .lists(lists).build(build).timings(timings).quality(quality).create();
  }

  /** 64 lists, two of them empty, 2000 items in all. */
  static int[] listSizes() {
    Random rnd = new Random(7);
    int[] sizes = new int[64];
    for (int i = 0; i < 2000; i++) {
      sizes[2 + (int) Math.min(61, Math.abs(rnd.nextGaussian()) * 20 + rnd.nextInt(20))]++;
    }
    return sizes;
  }

  private static final Pattern IMG =
      Pattern.compile("<img id=\"([a-z-]+)\"[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  /** Every inline PNG of the page, by img id, decoded. */
  static Map<String, BufferedImage> images(String html) throws IOException {
    Map<String, BufferedImage> out = new LinkedHashMap<>();
    Matcher m = IMG.matcher(html);
    while (m.find()) {
      byte[] png = Base64.getDecoder().decode(m.group(2));
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
      assertNotNull(img, "img " + m.group(1) + " is not a readable PNG");
      out.put(m.group(1), img);
    }
    return out;
  }

  /** Distinct RGB colours in the picture. */
  static int colours(BufferedImage img) {
    Set<Integer> seen = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        seen.add(img.getRGB(x, y) & 0xffffff);
      }
    }
    return seen.size();
  }

  /** Share of pixels that are not (near) white. */
  static double inkFraction(BufferedImage img) {
    long ink = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (r < 240 || g < 240 || b < 240) {
          ink++;
        }
      }
    }
    return (double) ink / ((long) img.getWidth() * img.getHeight());
  }

  static void assertSelfContained(String html) {
    assertTrue(html.startsWith("<!DOCTYPE html>"), "doctype");
    assertTrue(html.stripTrailing().endsWith("</html>"), "ends with </html>");
    assertTrue(!html.contains("http://") && !html.contains("https://"),
        "the page must not refer to the network");
    for (String tag : List.of("section", "table", "tr", "figure", "script", "p")) {
      assertTrue(count(html, "<" + tag + ">") + count(html, "<" + tag + " ")
          == count(html, "</" + tag + ">"), "unbalanced <" + tag + ">");
    }
  }

  static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) {
      n++;
    }
    return n;
  }
}
