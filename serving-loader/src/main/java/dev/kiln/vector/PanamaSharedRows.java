package dev.kiln.vector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four queries scored against one stored vector in one loop: batch search scans an IVF-Flat list
 * once for every query of the block that probes it, so each 16-float chunk of the list is loaded
 * once for four queries (five loads for four FMAs' worth of chunks instead of eight), and the
 * list comes from memory once, not four times. Each query keeps the one-query kernel's four
 * accumulators and order of operations ({@link PanamaKernels#squareDistance(float[], ByteBuffer,
 * int, int)}, {@link PanamaKernels#dot(float[], ByteBuffer, int, int)}), so every distance is
 * that kernel's bits: batch and single search return the same neighbours. 16 accumulators and
 * four chunks live at once: for 16 lanes only (32 zmm registers; with 8 lanes, 16 ymm registers
 * would spill, and the caller makes four one-query calls instead).
 */
final class PanamaSharedRows {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private PanamaSharedRows() {}

  /** Whether this class's kernels apply: 16 lanes, and at least one full step of 4 x 16. */
  static boolean applies(int len) {
    return L == 16 && len >= 4 * L;
  }

  /** {@code out_j[i]} = squared L2 from {@code q_j} to the i-th of n vectors from byteOff. */
  static void squareDistances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int byteOff, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    for (int v = 0; v < n; v++) {
      int base = byteOff + v * 4 * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      FloatVector b0 = a0;
      FloatVector b1 = a0;
      FloatVector b2 = a0;
      FloatVector b3 = a0;
      FloatVector c0 = a0;
      FloatVector c1 = a0;
      FloatVector c2 = a0;
      FloatVector c3 = a0;
      FloatVector e0 = a0;
      FloatVector e1 = a0;
      FloatVector e2 = a0;
      FloatVector e3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        int at = base + 4 * i;
        FloatVector x0 = FloatVector.fromByteBuffer(S, b, at, LE);
        FloatVector x1 = FloatVector.fromByteBuffer(S, b, at + 4 * L, LE);
        FloatVector x2 = FloatVector.fromByteBuffer(S, b, at + 8 * L, LE);
        FloatVector x3 = FloatVector.fromByteBuffer(S, b, at + 12 * L, LE);
        FloatVector d;
        d = FloatVector.fromArray(S, q0, i).sub(x0);
        a0 = d.fma(d, a0);
        d = FloatVector.fromArray(S, q0, i + L).sub(x1);
        a1 = d.fma(d, a1);
        d = FloatVector.fromArray(S, q0, i + 2 * L).sub(x2);
        a2 = d.fma(d, a2);
        d = FloatVector.fromArray(S, q0, i + 3 * L).sub(x3);
        a3 = d.fma(d, a3);
        d = FloatVector.fromArray(S, q1, i).sub(x0);
        b0 = d.fma(d, b0);
        d = FloatVector.fromArray(S, q1, i + L).sub(x1);
        b1 = d.fma(d, b1);
        d = FloatVector.fromArray(S, q1, i + 2 * L).sub(x2);
        b2 = d.fma(d, b2);
        d = FloatVector.fromArray(S, q1, i + 3 * L).sub(x3);
        b3 = d.fma(d, b3);
        d = FloatVector.fromArray(S, q2, i).sub(x0);
        c0 = d.fma(d, c0);
        d = FloatVector.fromArray(S, q2, i + L).sub(x1);
        c1 = d.fma(d, c1);
        d = FloatVector.fromArray(S, q2, i + 2 * L).sub(x2);
        c2 = d.fma(d, c2);
        d = FloatVector.fromArray(S, q2, i + 3 * L).sub(x3);
        c3 = d.fma(d, c3);
        d = FloatVector.fromArray(S, q3, i).sub(x0);
        e0 = d.fma(d, e0);
        d = FloatVector.fromArray(S, q3, i + L).sub(x1);
        e1 = d.fma(d, e1);
        d = FloatVector.fromArray(S, q3, i + 2 * L).sub(x2);
        e2 = d.fma(d, e2);
        d = FloatVector.fromArray(S, q3, i + 3 * L).sub(x3);
        e3 = d.fma(d, e3);
      }
      for (; i + L <= len; i += L) {
        FloatVector x = FloatVector.fromByteBuffer(S, b, base + 4 * i, LE);
        FloatVector d;
        d = FloatVector.fromArray(S, q0, i).sub(x);
        a0 = d.fma(d, a0);
        d = FloatVector.fromArray(S, q1, i).sub(x);
        b0 = d.fma(d, b0);
        d = FloatVector.fromArray(S, q2, i).sub(x);
        c0 = d.fma(d, c0);
        d = FloatVector.fromArray(S, q3, i).sub(x);
        e0 = d.fma(d, e0);
      }
      float s0 = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      float s1 = b0.add(b1).add(b2.add(b3)).reduceLanes(VectorOperators.ADD);
      float s2 = c0.add(c1).add(c2.add(c3)).reduceLanes(VectorOperators.ADD);
      float s3 = e0.add(e1).add(e2.add(e3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        float x = b.getFloat(base + 4 * i);
        float d0 = q0[i] - x;
        float d1 = q1[i] - x;
        float d2 = q2[i] - x;
        float d3 = q3[i] - x;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      out0[v] = s0;
      out1[v] = s1;
      out2[v] = s2;
      out3[v] = s3;
    }
  }

  /** {@code out_j[i]} = the inner product of {@code q_j} with the i-th of n stored vectors. */
  static void dots(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b, int byteOff,
      int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    for (int v = 0; v < n; v++) {
      int base = byteOff + v * 4 * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      FloatVector b0 = a0;
      FloatVector b1 = a0;
      FloatVector b2 = a0;
      FloatVector b3 = a0;
      FloatVector c0 = a0;
      FloatVector c1 = a0;
      FloatVector c2 = a0;
      FloatVector c3 = a0;
      FloatVector e0 = a0;
      FloatVector e1 = a0;
      FloatVector e2 = a0;
      FloatVector e3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        int at = base + 4 * i;
        FloatVector x0 = FloatVector.fromByteBuffer(S, b, at, LE);
        FloatVector x1 = FloatVector.fromByteBuffer(S, b, at + 4 * L, LE);
        FloatVector x2 = FloatVector.fromByteBuffer(S, b, at + 8 * L, LE);
        FloatVector x3 = FloatVector.fromByteBuffer(S, b, at + 12 * L, LE);
        a0 = FloatVector.fromArray(S, q0, i).fma(x0, a0);
        a1 = FloatVector.fromArray(S, q0, i + L).fma(x1, a1);
        a2 = FloatVector.fromArray(S, q0, i + 2 * L).fma(x2, a2);
        a3 = FloatVector.fromArray(S, q0, i + 3 * L).fma(x3, a3);
        b0 = FloatVector.fromArray(S, q1, i).fma(x0, b0);
        b1 = FloatVector.fromArray(S, q1, i + L).fma(x1, b1);
        b2 = FloatVector.fromArray(S, q1, i + 2 * L).fma(x2, b2);
        b3 = FloatVector.fromArray(S, q1, i + 3 * L).fma(x3, b3);
        c0 = FloatVector.fromArray(S, q2, i).fma(x0, c0);
        c1 = FloatVector.fromArray(S, q2, i + L).fma(x1, c1);
        c2 = FloatVector.fromArray(S, q2, i + 2 * L).fma(x2, c2);
        c3 = FloatVector.fromArray(S, q2, i + 3 * L).fma(x3, c3);
        e0 = FloatVector.fromArray(S, q3, i).fma(x0, e0);
        e1 = FloatVector.fromArray(S, q3, i + L).fma(x1, e1);
        e2 = FloatVector.fromArray(S, q3, i + 2 * L).fma(x2, e2);
        e3 = FloatVector.fromArray(S, q3, i + 3 * L).fma(x3, e3);
      }
      for (; i + L <= len; i += L) {
        FloatVector x = FloatVector.fromByteBuffer(S, b, base + 4 * i, LE);
        a0 = FloatVector.fromArray(S, q0, i).fma(x, a0);
        b0 = FloatVector.fromArray(S, q1, i).fma(x, b0);
        c0 = FloatVector.fromArray(S, q2, i).fma(x, c0);
        e0 = FloatVector.fromArray(S, q3, i).fma(x, e0);
      }
      float s0 = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      float s1 = b0.add(b1).add(b2.add(b3)).reduceLanes(VectorOperators.ADD);
      float s2 = c0.add(c1).add(c2.add(c3)).reduceLanes(VectorOperators.ADD);
      float s3 = e0.add(e1).add(e2.add(e3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        float x = b.getFloat(base + 4 * i);
        s0 += q0[i] * x;
        s1 += q1[i] * x;
        s2 += q2[i] * x;
        s3 += q3[i] * x;
      }
      out0[v] = s0;
      out1[v] = s1;
      out2[v] = s2;
      out3[v] = s3;
    }
  }
}
