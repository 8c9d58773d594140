package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QualityTest {
  static Quality curve(double... recallByDoubling) {
    List<Quality.Point> points = new java.util.ArrayList<>();
    for (int i = 0; i < recallByDoubling.length; i++) {
      points.add(new Quality.Point(1 << i, recallByDoubling[i], 0.1 * (i + 1), 0.3 * (i + 1),
          1000.0 / (i + 1)));
    }
    return new Quality(500, Quality.INPUT_SAMPLE, 10, "scalar", 1, points,
        new Quality.Gate(0.5, 4, recallByDoubling[Math.min(2, recallByDoubling.length - 1)], true));
  }

  @Test
  void nprobeForTakesTheSmallestThatReachesTheTarget() {
    Quality q = curve(0.40, 0.60, 0.80, 0.90, 0.95);
    assertEquals(1, q.nprobeFor(0.10));
    assertEquals(1, q.nprobeFor(0.40));
    assertEquals(4, q.nprobeFor(0.70));
    assertEquals(8, q.nprobeFor(0.90));
    assertEquals(16, q.nprobeFor(0.95));
  }

  @Test
  void nprobeForFallsBackToTheBestMeasured() {
    // Recall plateaus (and dips by noise) at the top: the best point, smallest on ties.
    Quality q = curve(0.40, 0.80, 0.85, 0.85, 0.84);
    assertEquals(4, q.nprobeFor(0.99));
  }

  /** Issue 14: NaN met no point and fell back to the best; -1 (and 0) met every point. */
  @Test
  void targetOutsideZeroToOneIsRefused() {
    Quality q = curve(0.40, 0.60, 0.80);
    for (double bad : new double[] {Double.NaN, -1, 0, 1.5, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> q.nprobeFor(bad));
      assertEquals("target recall must be in (0, 1], got " + bad, e.getMessage());
    }
    assertEquals(4, q.nprobeFor(1.0)); // none reaches 1: the best
  }

  @Test
  void emptyCurveIsAnError() {
    Quality q = new Quality(0, "x", 10, "scalar", 1, List.of(), null);
    assertThrows(IllegalStateException.class, () -> q.nprobeFor(0.5));
  }

  @Test
  void roundTripsThroughTheManifest() throws Exception {
    Quality q = curve(0.5, 0.7, 0.9);
    Manifest m = ManifestTest.sample(q);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.write(out);
    Manifest back = Manifest.read(new ByteArrayInputStream(out.toByteArray()), "manifest.json");
    assertEquals(q, back.measuredQuality());
    assertEquals(0.7, back.measuredQuality().at(2).recall());
    assertNull(back.measuredQuality().at(3));
  }

  /** An HNSW{M} curve: points over efSearch (nprobe 1), a gate read at an efSearch. */
  static Quality efCurve(double... recallByEf) {
    List<Quality.Point> points = new java.util.ArrayList<>();
    for (int i = 0; i < recallByEf.length; i++) {
      points.add(new Quality.Point(1, recallByEf[i], 0.1, 0.3, 1000.0 / (i + 1), 16 << i));
    }
    return new Quality(500, Quality.INPUT_SAMPLE, 10, "scalar", 1, points,
        new Quality.Gate(0.9, 1, recallByEf[2], true, 64));
  }

  @Test
  void anEfSearchCurveSteersByEfSearch() throws Exception {
    Quality q = efCurve(0.90, 0.95, 0.98, 0.99, 0.995);
    assertEquals("efSearch", q.knob());
    assertEquals(16, q.efSearchFor(0.85));
    assertEquals(32, q.efSearchFor(0.95));
    assertEquals(128, q.efSearchFor(0.99));
    assertEquals(256, q.efSearchFor(0.999), "none reaches it: the best");
    assertEquals(0.98, q.at(64).recall());
    assertEquals(64, q.gate().at());
    // Round trip: efSearch and atEfSearch are written, and read back.
    Manifest m = ManifestTest.sample(q);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.write(out);
    String json = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"efSearch\" : 128"), json);
    org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"atEfSearch\" : 64"), json);
    assertEquals(q, Manifest.read(new ByteArrayInputStream(out.toByteArray()), "m")
        .measuredQuality());
  }

  @Test
  void anNprobeCurveWritesNoEfSearchAndRefusesToPickOne() throws Exception {
    Quality q = curve(0.5, 0.7, 0.9);
    assertEquals("nprobe", q.knob());
    assertThrows(IllegalStateException.class, () -> q.efSearchFor(0.5));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ManifestTest.sample(q).write(out);
    org.junit.jupiter.api.Assertions.assertFalse(
        out.toString(java.nio.charset.StandardCharsets.UTF_8).contains("efSearch"));
  }

  @Test
  void curvePointWithEfSearchZeroIsNoCurve() {
    assertNull(Quality.of(withPoint(0, Map.of("nprobe", 1, "recall", 0.99, "p50Ms", 0.1,
        "p99Ms", 0.2, "qps", 100.0, "efSearch", 0))));
  }

  @Test
  void manifestsWithoutACurveHaveNoMeasuredQuality() throws Exception {
    // The v1 fixtures carry an older placeholder object with no curve.
    assertNull(ManifestTest.withQuality(Map.of("recallAt10", 1.0, "nprobe", 4, "queries", 0))
        .measuredQuality());
    assertNull(ManifestTest.sample(null).measuredQuality());
  }

  /** {@code q} as Jackson reads its JSON into a map. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> toMap(Quality q) {
    return new com.fasterxml.jackson.databind.ObjectMapper().convertValue(q, Map.class);
  }

  @Test
  void malformedQualityReadsAsNone() throws Exception {
    // As when the section was an untyped map: a quality object that is not one does not make
    // the manifest unreadable; it reads as no quality.
    assertNull(ManifestTest.withQuality(Map.of("curve", "x", "queries", "many")).quality());
  }

  // ---- found by FormatFuzzTest: curves a target-recall search cannot be steered by.

  private static Map<String, Object> withPoint(int at, Object point) {
    Map<String, Object> m = toMap(curve(0.5, 0.7, 0.9));
    List<Object> points = new java.util.ArrayList<>((List<?>) m.get("curve"));
    points.set(at, point);
    m.put("curve", points);
    return m;
  }

  @Test
  void fuzzFoundNullPointInTheCurve() {
    // Was read as a curve; nprobeFor then threw NullPointerException inside a search.
    assertNull(Quality.of(withPoint(1, null)));
  }

  @Test
  void fuzzFoundCurvePointWithNprobeZero() {
    // nprobeFor answered 0 (or less), and a target-recall search probed no list: no results,
    // silently.
    for (int nprobe : new int[] {0, -3}) {
      assertNull(Quality.of(withPoint(0, Map.of("nprobe", nprobe, "recall", 0.99, "p50Ms", 0.1,
          "p99Ms", 0.2, "qps", 100.0))));
    }
  }

  @Test
  void curvePointWithARecallOutsideZeroToOneIsNoCurve() {
    for (double recall : new double[] {-0.1, 1.5}) {
      assertNull(Quality.of(withPoint(2, Map.of("nprobe", 8, "recall", recall, "p50Ms", 0.1,
          "p99Ms", 0.2, "qps", 100.0))));
    }
  }

  @Test
  void fuzzFoundEmptyCurve() {
    // Read as a curve, so a target-recall search failed inside Quality with a message that named
    // no index; now it is no curve, which KilnIndex.nprobeFor reports with the index's path.
    Map<String, Object> m = toMap(curve(0.5));
    m.put("curve", List.of());
    assertNull(Quality.of(m));
  }
}
