package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.kiln.format.Metric;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many vectors to their nearest list: through the subspace bound, the same lists and distances
 * as the flat quantizer's blocked assignment (but for last-bit ties), in chunks of any size.
 */
class CoarseAssignerTest {
  private static final int D = 64;
  private static final int NLIST = 512;

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void boundedAssignmentFindsTheFlatQuantizersNearestList(Metric metric) {
    Random rnd = new Random(21);
    boolean unit = metric == Metric.IP;
    float[] mixing = SubspaceProberTest.mixing(rnd);
    float[] centroids = SubspaceProberTest.lowRank(rnd, NLIST, mixing, 0.05f, unit);
    CoarseQuantizer flat = new CoarseQuantizer(centroids, NLIST, D, metric);
    CoarseProber bounded = assertInstanceOf(SubspaceProber.class, SubspaceProber.of(flat));
    // More points than one of the prober's blocks, and not a multiple of one.
    int n = 3 * bounded.blockSize() + 7;
    float[] points = SubspaceProberTest.lowRank(rnd, n, mixing, 0.3f, unit);
    int[] viaFlat = new int[n];
    float[] flatDist = new float[n];
    new CoarseAssigner(flat, D).assign(points, n, viaFlat, flatDist);
    int[] viaBound = new int[n];
    float[] boundDist = new float[n];
    new CoarseAssigner(bounded, D).assign(points, n, viaBound, boundDist);
    int same = 0;
    for (int i = 0; i < n; i++) {
      same += viaFlat[i] == viaBound[i] ? 1 : 0;
      float qq = 0;
      for (int j = 0; j < D; j++) {
        qq += points[i * D + j] * points[i * D + j];
      }
      assertEquals(flatDist[i], boundDist[i], 1e-5f * (qq + 1), "point " + i);
      // The flat distance is the point's true distance to its list.
      Probe p = flat.probe(points, i * D, 1, 0, new Probe());
      assertEquals(p.list(0), viaFlat[i], "point " + i);
    }
    assertEquals(n, same, "lists that differ from the flat assignment");
  }
}
