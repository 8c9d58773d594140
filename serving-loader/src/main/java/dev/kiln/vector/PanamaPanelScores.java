package dev.kiln.vector;

import static dev.kiln.vector.VectorKernels.PANEL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A panel's 64 scores {@code bias - dots} reduced with the Vector API, for {@link PanamaKernels}:
 * the argument of the minimum below a bound (k-means assignment, encoding) and the scores at most
 * a threshold (probe selection), with vector MIN and compares instead of a compare and branch per
 * centroid.
 */
final class PanamaPanelScores {
  /** {@link #argMin64}'s answer when a score is NaN: the caller's scalar loop decides. */
  static final int NAN = -2;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private PanamaPanelScores() {}

  /** {@link VectorKernels#atMost64}, for L >= 8. */
  static long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold) {
    // VectorMask.toLong is not an intrinsic in JDK 17 (a loop over the lanes): test each
    // vector with anyTrue (one instruction) and spell out only the lanes of a vector that has
    // one, rare once the heap holds its nprobe lists.
    long bits = 0;
    for (int c = 0; c < PANEL; c += L) {
      if (FloatVector.fromArray(S, bias, bOff + c).sub(FloatVector.fromArray(S, dots, dOff + c))
          .compare(VectorOperators.LE, threshold).anyTrue()) {
        for (int i = c; i < c + L; i++) {
          if (bias[bOff + i] - dots[dOff + i] <= threshold) {
            bits |= 1L << i;
          }
        }
      }
    }
    return bits;
  }

  /** {@link VectorKernels#argMin64}, for L >= 8, or {@link #NAN} when a score is NaN. */
  static int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound) {
    // The panel's minimum by vector MIN; most panels do not beat the bound and stop there.
    FloatVector min = FloatVector.fromArray(S, bias, bOff).sub(FloatVector.fromArray(S, dots, dOff));
    for (int c = L; c < PANEL; c += L) {
      min = min.min(FloatVector.fromArray(S, bias, bOff + c)
          .sub(FloatVector.fromArray(S, dots, dOff + c)));
    }
    float m = min.reduceLanes(VectorOperators.MIN);
    if (!(m < bound)) {
      return m != m ? NAN : -1; // no score below the bound, or a NaN (MIN propagates it)
    }
    // The first lane equal to the minimum is the scalar loop's answer (it keeps the first).
    for (int c = 0; ; c += L) {
      int lane = FloatVector.fromArray(S, bias, bOff + c)
          .sub(FloatVector.fromArray(S, dots, dOff + c)).eq(m).firstTrue();
      if (lane < L) {
        return c + lane;
      }
    }
  }
}
