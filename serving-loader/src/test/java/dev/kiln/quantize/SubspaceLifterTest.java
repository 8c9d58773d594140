package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SubspaceLifter} lifts as {@link CentroidSubspace#lift}: in blocks of one to four, and one
 * vector with the caller's scratch.
 */
class SubspaceLifterTest {
  private static final int D = 96;

  /** 24: part of one panel; 64: one whole; 72: a second panel, partly. */
  @ParameterizedTest(name = "rank={0}")
  @ValueSource(ints = {24, 64, 72})
  void liftsFourAtATimeAsOneAtATime(int rank) {
    Random rnd = new Random(rank);
    int nlist = 300;
    float[] centroids = gaussian(rnd, nlist * D);
    CentroidSubspace s = CentroidSubspace.ofRank(centroids, nlist, D, rank);
    assertNotNull(s);
    SubspaceLifter lifter = new SubspaceLifter(s);
    int w = s.width();
    for (int n = 1; n <= 4; n++) {
      float[] vectors = gaussian(rnd, n * D);
      System.arraycopy(vectors, 0, lifter.rows(), 0, n * D);
      float[] got = new float[3 + n * w];
      got[2 + n * w] = 42f;
      float max = lifter.lift(n, got, 2);
      assertEquals(42f, got[2 + n * w], "nothing past the n lifted vectors");
      float[] want = new float[w];
      float wantMax = 0;
      for (int i = 0; i < n; i++) {
        float vv = s.lift(vectors, i * D, want, 0);
        wantMax = Math.max(wantMax, vv);
        for (int j = 0; j < w; j++) {
          assertEquals(want[j], got[2 + i * w + j], 1e-4f * (float) Math.sqrt(vv),
              "n " + n + " vector " + i + " coordinate " + j);
        }
      }
      assertEquals(wantMax, max, 1e-5f * wantMax);
    }
    // One vector through the one-row kernel, its scratch after its output in the same array.
    float[] q = gaussian(rnd, D + 3);
    float[] want = new float[w];
    float qq = s.lift(q, 3, want, 0);
    float[] state = new float[1 + w + lifter.scratchLength()];
    assertEquals(qq, lifter.liftOne(q, 3, state, 1, state, 1 + w), 1e-5f * qq);
    for (int j = 0; j < w; j++) {
      assertEquals(want[j], state[1 + j], 1e-4f * (float) Math.sqrt(qq), "coordinate " + j);
    }
    assertEquals(0f, state[0], "nothing before the output");
  }

  private static float[] gaussian(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }
}
