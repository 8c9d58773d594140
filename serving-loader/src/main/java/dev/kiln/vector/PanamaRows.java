package dev.kiln.vector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Several rows scored in one loop, so their memory reads are in flight together: the HNSW walk's
 * centroid rows ({@code dot4}) and the refine stage's stored rows ({@code squareDistance4}) lie
 * scattered in memory, and one row at a time waits on each row's first lines (measured on Fashion-MNIST {@code IVF1024,PQ56x4fs,RFlat}, refine factor 6:
 * 1.18x the batch QPS of four single-row calls, the same distances).
 */
final class PanamaRows {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private PanamaRows() {}

  /**
   * The four rows' loops of {@link PanamaKernels#squareDistance(float[], ByteBuffer, int, int)}
   * interleaved: each row keeps its own four accumulators (16 registers of 16 lanes) and the
   * same order of operations, so each result is that method's bits. For 16 lanes and
   * {@code len >= 64} only (with 8 lanes, 16 ymm accumulators would spill: four calls).
   */
  static void squareDistance4(float[] q, ByteBuffer b0, int o0, ByteBuffer b1, int o1,
      ByteBuffer b2, int o2, ByteBuffer b3, int o3, int len, float[] out) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector e0 = FloatVector.zero(S);
    FloatVector e1 = FloatVector.zero(S);
    FloatVector e2 = FloatVector.zero(S);
    FloatVector e3 = FloatVector.zero(S);
    FloatVector g0 = FloatVector.zero(S);
    FloatVector g1 = FloatVector.zero(S);
    FloatVector g2 = FloatVector.zero(S);
    FloatVector g3 = FloatVector.zero(S);
    int i = 0;
    for (; i + 4 * L <= len; i += 4 * L) {
      int at = 4 * i;
      FloatVector x0 = FloatVector.fromArray(S, q, i);
      FloatVector x1 = FloatVector.fromArray(S, q, i + L);
      FloatVector x2 = FloatVector.fromArray(S, q, i + 2 * L);
      FloatVector x3 = FloatVector.fromArray(S, q, i + 3 * L);
      FloatVector d;
      d = x0.sub(FloatVector.fromByteBuffer(S, b0, o0 + at, LE));
      a0 = d.fma(d, a0);
      d = x0.sub(FloatVector.fromByteBuffer(S, b1, o1 + at, LE));
      c0 = d.fma(d, c0);
      d = x0.sub(FloatVector.fromByteBuffer(S, b2, o2 + at, LE));
      e0 = d.fma(d, e0);
      d = x0.sub(FloatVector.fromByteBuffer(S, b3, o3 + at, LE));
      g0 = d.fma(d, g0);
      d = x1.sub(FloatVector.fromByteBuffer(S, b0, o0 + at + 4 * L, LE));
      a1 = d.fma(d, a1);
      d = x1.sub(FloatVector.fromByteBuffer(S, b1, o1 + at + 4 * L, LE));
      c1 = d.fma(d, c1);
      d = x1.sub(FloatVector.fromByteBuffer(S, b2, o2 + at + 4 * L, LE));
      e1 = d.fma(d, e1);
      d = x1.sub(FloatVector.fromByteBuffer(S, b3, o3 + at + 4 * L, LE));
      g1 = d.fma(d, g1);
      d = x2.sub(FloatVector.fromByteBuffer(S, b0, o0 + at + 8 * L, LE));
      a2 = d.fma(d, a2);
      d = x2.sub(FloatVector.fromByteBuffer(S, b1, o1 + at + 8 * L, LE));
      c2 = d.fma(d, c2);
      d = x2.sub(FloatVector.fromByteBuffer(S, b2, o2 + at + 8 * L, LE));
      e2 = d.fma(d, e2);
      d = x2.sub(FloatVector.fromByteBuffer(S, b3, o3 + at + 8 * L, LE));
      g2 = d.fma(d, g2);
      d = x3.sub(FloatVector.fromByteBuffer(S, b0, o0 + at + 12 * L, LE));
      a3 = d.fma(d, a3);
      d = x3.sub(FloatVector.fromByteBuffer(S, b1, o1 + at + 12 * L, LE));
      c3 = d.fma(d, c3);
      d = x3.sub(FloatVector.fromByteBuffer(S, b2, o2 + at + 12 * L, LE));
      e3 = d.fma(d, e3);
      d = x3.sub(FloatVector.fromByteBuffer(S, b3, o3 + at + 12 * L, LE));
      g3 = d.fma(d, g3);
    }
    for (; i + L <= len; i += L) {
      FloatVector x = FloatVector.fromArray(S, q, i);
      FloatVector d;
      d = x.sub(FloatVector.fromByteBuffer(S, b0, o0 + 4 * i, LE));
      a0 = d.fma(d, a0);
      d = x.sub(FloatVector.fromByteBuffer(S, b1, o1 + 4 * i, LE));
      c0 = d.fma(d, c0);
      d = x.sub(FloatVector.fromByteBuffer(S, b2, o2 + 4 * i, LE));
      e0 = d.fma(d, e0);
      d = x.sub(FloatVector.fromByteBuffer(S, b3, o3 + 4 * i, LE));
      g0 = d.fma(d, g0);
    }
    out[0] = tail(q, b0, o0, i, len, a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD));
    out[1] = tail(q, b1, o1, i, len, c0.add(c1).add(c2.add(c3)).reduceLanes(VectorOperators.ADD));
    out[2] = tail(q, b2, o2, i, len, e0.add(e1).add(e2.add(e3)).reduceLanes(VectorOperators.ADD));
    out[3] = tail(q, b3, o3, i, len, g0.add(g1).add(g2.add(g3)).reduceLanes(VectorOperators.ADD));
  }

  /** The scalar tail of {@code PanamaKernels.squareDistance} from {@code i}. */
  private static float tail(float[] q, ByteBuffer b, int byteOff, int i, int len, float s) {
    for (; i < len; i++) {
      float d = q[i] - b.getFloat(byteOff + 4 * i);
      s += d * d;
    }
    return s;
  }

  /**
   * Four rows at once with {@link PanamaKernels#dot}'s exact arithmetic (two accumulators per row over
   * chunks of 2L, then L, the same lane reduction and scalar tail), so each result equals
   * {@code dot}'s bit for bit (for {@code len >= L}; shorter rows take the scalar path). Eight accumulators, two q vectors and the row loads fit the
   * 16 (AVX2) or 32 (AVX-512) vector registers, and must stay there: spilled accumulators
   * would lose to four dot calls, and JMH shows the opposite (78 against 158 ns for four
   * scattered rows of d = 128, KernelBenchmark.scattered*). Not yet checked in the assembly.
   */
  static void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector b0 = FloatVector.zero(S);
    FloatVector b1 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector d0 = FloatVector.zero(S);
    FloatVector d1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector x = FloatVector.fromArray(S, q, qOff + i);
      FloatVector y = FloatVector.fromArray(S, q, qOff + i + L);
      a0 = x.fma(FloatVector.fromArray(S, m, o0 + i), a0);
      a1 = y.fma(FloatVector.fromArray(S, m, o0 + i + L), a1);
      b0 = x.fma(FloatVector.fromArray(S, m, o1 + i), b0);
      b1 = y.fma(FloatVector.fromArray(S, m, o1 + i + L), b1);
      c0 = x.fma(FloatVector.fromArray(S, m, o2 + i), c0);
      c1 = y.fma(FloatVector.fromArray(S, m, o2 + i + L), c1);
      d0 = x.fma(FloatVector.fromArray(S, m, o3 + i), d0);
      d1 = y.fma(FloatVector.fromArray(S, m, o3 + i + L), d1);
    }
    for (; i + L <= len; i += L) {
      FloatVector x = FloatVector.fromArray(S, q, qOff + i);
      a0 = x.fma(FloatVector.fromArray(S, m, o0 + i), a0);
      b0 = x.fma(FloatVector.fromArray(S, m, o1 + i), b0);
      c0 = x.fma(FloatVector.fromArray(S, m, o2 + i), c0);
      d0 = x.fma(FloatVector.fromArray(S, m, o3 + i), d0);
    }
    float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
    float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
    float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
    float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      sa += q[qOff + i] * m[o0 + i];
      sb += q[qOff + i] * m[o1 + i];
      sc += q[qOff + i] * m[o2 + i];
      sd += q[qOff + i] * m[o3 + i];
    }
    out[outOff] = sa;
    out[outOff + 1] = sb;
    out[outOff + 2] = sc;
    out[outOff + 3] = sd;
  }

  /**
   * The four rows' loops of {@link PanamaKernels#squareDistance(float[], int, float[], int,
   * int)} interleaved: each row keeps its two accumulators and that method's order of
   * operations, so each result is its bits.
   */
  static void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3,
      int len, float[] out, int outOff) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector b0 = FloatVector.zero(S);
    FloatVector b1 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector d0 = FloatVector.zero(S);
    FloatVector d1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector x = FloatVector.fromArray(S, q, qOff + i);
      FloatVector y = FloatVector.fromArray(S, q, qOff + i + L);
      FloatVector t = x.sub(FloatVector.fromArray(S, m, o0 + i));
      FloatVector u = y.sub(FloatVector.fromArray(S, m, o0 + i + L));
      a0 = t.fma(t, a0);
      a1 = u.fma(u, a1);
      t = x.sub(FloatVector.fromArray(S, m, o1 + i));
      u = y.sub(FloatVector.fromArray(S, m, o1 + i + L));
      b0 = t.fma(t, b0);
      b1 = u.fma(u, b1);
      t = x.sub(FloatVector.fromArray(S, m, o2 + i));
      u = y.sub(FloatVector.fromArray(S, m, o2 + i + L));
      c0 = t.fma(t, c0);
      c1 = u.fma(u, c1);
      t = x.sub(FloatVector.fromArray(S, m, o3 + i));
      u = y.sub(FloatVector.fromArray(S, m, o3 + i + L));
      d0 = t.fma(t, d0);
      d1 = u.fma(u, d1);
    }
    for (; i + L <= len; i += L) {
      FloatVector x = FloatVector.fromArray(S, q, qOff + i);
      FloatVector t = x.sub(FloatVector.fromArray(S, m, o0 + i));
      a0 = t.fma(t, a0);
      t = x.sub(FloatVector.fromArray(S, m, o1 + i));
      b0 = t.fma(t, b0);
      t = x.sub(FloatVector.fromArray(S, m, o2 + i));
      c0 = t.fma(t, c0);
      t = x.sub(FloatVector.fromArray(S, m, o3 + i));
      d0 = t.fma(t, d0);
    }
    float sa = a0.add(a1).reduceLanes(VectorOperators.ADD);
    float sb = b0.add(b1).reduceLanes(VectorOperators.ADD);
    float sc = c0.add(c1).reduceLanes(VectorOperators.ADD);
    float sd = d0.add(d1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float x = q[qOff + i];
      float e = x - m[o0 + i];
      sa += e * e;
      e = x - m[o1 + i];
      sb += e * e;
      e = x - m[o2 + i];
      sc += e * e;
      e = x - m[o3 + i];
      sd += e * e;
    }
    out[outOff] = sa;
    out[outOff + 1] = sb;
    out[outOff + 2] = sc;
    out[outOff + 3] = sd;
  }
}
