package dev.kiln.vector;

import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SQ8 kernels on the Vector API: codes widened from bytes to float lanes, two accumulators
 * per row. One row ({@link #squareDistance}, {@link #dot}: the refine stage) or four in one loop
 * ({@link #squareDistance4}, {@link #dot4}: the {@code HNSW{M},SQ8} walk, whose rows lie
 * scattered in the mapped shard; one row at a time waits on each row's first lines, while four
 * share the query's and the step's loads and keep four rows' reads in flight). Each of the four
 * rows keeps the one-row kernel's accumulators and order of operations, so each result is that
 * kernel's bits; eight accumulators fit the registers at 8 and 16 lanes. Callers check that the
 * byte shape exists and {@code len >= L}.
 */
final class PanamaSq8 {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private PanamaSq8() {}

  /** {@code sum (q[i] - step[i] * b_i)^2} over the {@code len} signed bytes at {@code off}. */
  static float squareDistance(float[] q, float[] step, ByteBuffer c, int off, int len) {
    FloatVector a = FloatVector.zero(S);
    FloatVector b = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector d0 = PanamaKernels.widen(c, off + i).neg()
          .fma(FloatVector.fromArray(S, step, i), FloatVector.fromArray(S, q, i));
      FloatVector d1 = PanamaKernels.widen(c, off + i + L).neg()
          .fma(FloatVector.fromArray(S, step, i + L), FloatVector.fromArray(S, q, i + L));
      a = d0.fma(d0, a);
      b = d1.fma(d1, b);
    }
    for (; i + L <= len; i += L) {
      FloatVector d0 = PanamaKernels.widen(c, off + i).neg()
          .fma(FloatVector.fromArray(S, step, i), FloatVector.fromArray(S, q, i));
      a = d0.fma(d0, a);
    }
    return tailSquare(a.add(b).reduceLanes(VectorOperators.ADD), q, step, c, off, i, len);
  }

  /** {@code sum w[i] * b_i} over the {@code len} signed bytes at {@code off}. */
  static float dot(float[] w, ByteBuffer c, int off, int len) {
    FloatVector a = FloatVector.zero(S);
    FloatVector b = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      a = PanamaKernels.widen(c, off + i).fma(FloatVector.fromArray(S, w, i), a);
      b = PanamaKernels.widen(c, off + i + L).fma(FloatVector.fromArray(S, w, i + L), b);
    }
    for (; i + L <= len; i += L) {
      a = PanamaKernels.widen(c, off + i).fma(FloatVector.fromArray(S, w, i), a);
    }
    return tailDot(a.add(b).reduceLanes(VectorOperators.ADD), w, c, off, i, len);
  }

  static void squareDistance4(float[] q, float[] step, ByteBuffer c, int o0, int o1, int o2,
      int o3, int len, float[] out) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector b0 = FloatVector.zero(S);
    FloatVector b1 = FloatVector.zero(S);
    FloatVector b2 = FloatVector.zero(S);
    FloatVector b3 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector s = FloatVector.fromArray(S, step, i);
      FloatVector x = FloatVector.fromArray(S, q, i);
      FloatVector t = FloatVector.fromArray(S, step, i + L);
      FloatVector y = FloatVector.fromArray(S, q, i + L);
      FloatVector d;
      d = PanamaKernels.widen(c, o0 + i).neg().fma(s, x);
      a0 = d.fma(d, a0);
      d = PanamaKernels.widen(c, o1 + i).neg().fma(s, x);
      a1 = d.fma(d, a1);
      d = PanamaKernels.widen(c, o2 + i).neg().fma(s, x);
      a2 = d.fma(d, a2);
      d = PanamaKernels.widen(c, o3 + i).neg().fma(s, x);
      a3 = d.fma(d, a3);
      d = PanamaKernels.widen(c, o0 + i + L).neg().fma(t, y);
      b0 = d.fma(d, b0);
      d = PanamaKernels.widen(c, o1 + i + L).neg().fma(t, y);
      b1 = d.fma(d, b1);
      d = PanamaKernels.widen(c, o2 + i + L).neg().fma(t, y);
      b2 = d.fma(d, b2);
      d = PanamaKernels.widen(c, o3 + i + L).neg().fma(t, y);
      b3 = d.fma(d, b3);
    }
    for (; i + L <= len; i += L) {
      FloatVector s = FloatVector.fromArray(S, step, i);
      FloatVector x = FloatVector.fromArray(S, q, i);
      FloatVector d;
      d = PanamaKernels.widen(c, o0 + i).neg().fma(s, x);
      a0 = d.fma(d, a0);
      d = PanamaKernels.widen(c, o1 + i).neg().fma(s, x);
      a1 = d.fma(d, a1);
      d = PanamaKernels.widen(c, o2 + i).neg().fma(s, x);
      a2 = d.fma(d, a2);
      d = PanamaKernels.widen(c, o3 + i).neg().fma(s, x);
      a3 = d.fma(d, a3);
    }
    out[0] = tailSquare(a0.add(b0).reduceLanes(VectorOperators.ADD), q, step, c, o0, i, len);
    out[1] = tailSquare(a1.add(b1).reduceLanes(VectorOperators.ADD), q, step, c, o1, i, len);
    out[2] = tailSquare(a2.add(b2).reduceLanes(VectorOperators.ADD), q, step, c, o2, i, len);
    out[3] = tailSquare(a3.add(b3).reduceLanes(VectorOperators.ADD), q, step, c, o3, i, len);
  }

  static void dot4(float[] w, ByteBuffer c, int o0, int o1, int o2, int o3, int len,
      float[] out) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector b0 = FloatVector.zero(S);
    FloatVector b1 = FloatVector.zero(S);
    FloatVector b2 = FloatVector.zero(S);
    FloatVector b3 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector x = FloatVector.fromArray(S, w, i);
      FloatVector y = FloatVector.fromArray(S, w, i + L);
      a0 = PanamaKernels.widen(c, o0 + i).fma(x, a0);
      a1 = PanamaKernels.widen(c, o1 + i).fma(x, a1);
      a2 = PanamaKernels.widen(c, o2 + i).fma(x, a2);
      a3 = PanamaKernels.widen(c, o3 + i).fma(x, a3);
      b0 = PanamaKernels.widen(c, o0 + i + L).fma(y, b0);
      b1 = PanamaKernels.widen(c, o1 + i + L).fma(y, b1);
      b2 = PanamaKernels.widen(c, o2 + i + L).fma(y, b2);
      b3 = PanamaKernels.widen(c, o3 + i + L).fma(y, b3);
    }
    for (; i + L <= len; i += L) {
      FloatVector x = FloatVector.fromArray(S, w, i);
      a0 = PanamaKernels.widen(c, o0 + i).fma(x, a0);
      a1 = PanamaKernels.widen(c, o1 + i).fma(x, a1);
      a2 = PanamaKernels.widen(c, o2 + i).fma(x, a2);
      a3 = PanamaKernels.widen(c, o3 + i).fma(x, a3);
    }
    out[0] = tailDot(a0.add(b0).reduceLanes(VectorOperators.ADD), w, c, o0, i, len);
    out[1] = tailDot(a1.add(b1).reduceLanes(VectorOperators.ADD), w, c, o1, i, len);
    out[2] = tailDot(a2.add(b2).reduceLanes(VectorOperators.ADD), w, c, o2, i, len);
    out[3] = tailDot(a3.add(b3).reduceLanes(VectorOperators.ADD), w, c, o3, i, len);
  }

  /** The one-row kernel's scalar tail, from component {@code i} on. */
  private static float tailSquare(float s, float[] q, float[] step, ByteBuffer c, int off, int i,
      int len) {
    for (; i < len; i++) {
      float d = q[i] - step[i] * c.get(off + i);
      s += d * d;
    }
    return s;
  }

  private static float tailDot(float s, float[] w, ByteBuffer c, int off, int i, int len) {
    for (; i < len; i++) {
      s += w[i] * c.get(off + i);
    }
    return s;
  }
}
