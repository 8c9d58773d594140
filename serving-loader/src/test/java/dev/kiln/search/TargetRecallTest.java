package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SearchParams#targetRecall}: the nprobe comes from the build's measured curve. */
class TargetRecallTest {
  private static final int D = 8;
  @TempDir Path root;

  private static void writeQuality(Path versionDir, Quality q) throws IOException {
    Manifest m = TestIndexes.readManifest(versionDir);
    Manifest edited = m.toBuilder().quality(q).create();
    try (OutputStream out = Files.newOutputStream(versionDir.resolve(IndexLayout.MANIFEST))) {
      edited.write(out);
    }
  }

  @Test
  void targetRecallSearchesAsTheMeasuredNprobe() throws IOException {
    TestIndexes.Published p = TestIndexes.index(TestIndexes.gaussian(new Random(3), 400, D),
        Metric.L2, IndexSpec.flat(16)).publish(root);
    List<Quality.Point> curve = List.of(
        new Quality.Point(1, 0.5, 0.01, 0.02, 9000),
        new Quality.Point(2, 0.7, 0.02, 0.03, 6000),
        new Quality.Point(4, 0.92, 0.03, 0.05, 3000),
        new Quality.Point(8, 0.99, 0.05, 0.08, 1500));
    writeQuality(p.versionDir(), new Quality(100, Quality.INPUT_SAMPLE, 10, "scalar", 1, curve, null));
    float[] q = TestIndexes.gaussian(new Random(4), D);
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals(1, index.nprobeFor(0.3));
      assertEquals(4, index.nprobeFor(0.9));
      assertEquals(8, index.nprobeFor(0.995));
      Neighbors byTarget = index.search(q, 10, SearchParams.targetRecall(0.9));
      Neighbors byNprobe = index.search(q, 10, SearchParams.nprobe(4));
      assertArrayEquals(byNprobe.ids(), byTarget.ids());
      // ... and differs from a search of all lists, so the target really chose 4 of 16.
      Neighbors all = index.search(q, 400, SearchParams.nprobe(16));
      assertTrue(byTarget.size() <= all.size());
      assertEquals(400, all.size());
      assertTrue(index.search(q, 400, SearchParams.targetRecall(0.9)).size() < 400);
    }
  }

  /** Issue 14: nprobeFor(NaN) answered 8 (the best) and nprobeFor(-1) answered 1. */
  @Test
  void nprobeForRefusesATargetOutsideZeroToOne() throws IOException {
    TestIndexes.Published p = TestIndexes.index(TestIndexes.gaussian(new Random(3), 100, D),
        Metric.L2, IndexSpec.flat(8)).publish(root);
    writeQuality(p.versionDir(), new Quality(100, Quality.INPUT_SAMPLE, 10, "scalar", 1,
        List.of(new Quality.Point(1, 0.5, 0.01, 0.02, 9000),
            new Quality.Point(8, 0.99, 0.05, 0.08, 1500)), null));
    try (KilnIndex index = KilnIndex.open(root)) {
      for (double bad : new double[] {Double.NaN, -1, 0, 1.01}) {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> index.nprobeFor(bad));
        assertEquals("target recall must be in (0, 1], got " + bad, e.getMessage());
        // SearchParams refuses the same targets before a search starts.
        assertThrows(IllegalArgumentException.class, () -> SearchParams.targetRecall(bad));
      }
      assertEquals(8, index.nprobeFor(1));
    }
  }

  @Test
  void indexWithoutACurveRefusesATarget() throws IOException {
    TestIndexes.Published p = TestIndexes.index(TestIndexes.gaussian(new Random(5), 50, D),
        Metric.L2, IndexSpec.flat(2)).publish(root);
    writeQuality(p.versionDir(), null);
    try (KilnIndex index = KilnIndex.open(root)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> index.search(new float[D], 5, SearchParams.targetRecall(0.9)));
      assertTrue(e.getMessage().contains("no measured recall curve"), e.getMessage());
    }
  }

  @Test
  void paramsTakeOneKnob() {
    assertThrows(IllegalArgumentException.class, () -> SearchParams.targetRecall(0));
    assertThrows(IllegalArgumentException.class, () -> SearchParams.targetRecall(1.5));
    assertThrows(IllegalArgumentException.class, () -> new SearchParams(4, 0.9));
    assertEquals(0.9, SearchParams.targetRecall(0.9).targetRecall());
  }
}
