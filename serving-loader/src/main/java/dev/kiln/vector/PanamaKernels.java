package dev.kiln.vector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API (SIMD): fused multiply-adds over the widest float vectors the CPU
 * offers, two accumulators to hide FMA latency, scalar tails. Loaded only when the JVM runs
 * with {@code --add-modules jdk.incubator.vector}; {@link ScalarKernels} is the reference they
 * are tested against. Short vectors (fewer lanes than one register) take the scalar path.
 */
final class PanamaKernels implements VectorKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  /** One byte per float lane, for widening SQ8 codes; null when no such shape exists (L < 8). */
  private static final VectorSpecies<Byte> B = byteSpecies();
  private final ScalarKernels scalar = new ScalarKernels();

  private static VectorSpecies<Byte> byteSpecies() {
    try {
      return VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static FloatVector widen(ByteBuffer codes, int at) {
    return (FloatVector) ByteVector.fromByteBuffer(B, codes, at, LE)
        .convertShape(VectorOperators.B2F, S, 0);
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
    if (len < L) {
      return scalar.dot(a, aOff, b, bOff, len);
    }
    FloatVector acc0 = FloatVector.zero(S);
    FloatVector acc1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
      acc1 = FloatVector.fromArray(S, a, aOff + i + L)
          .fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
    }
    for (; i + L <= len; i += L) {
      acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
    }
    float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  @Override
  public float squareDistance(float[] a, int aOff, float[] b, int bOff, int len) {
    if (len < L) {
      return scalar.squareDistance(a, aOff, b, bOff, len);
    }
    FloatVector acc0 = FloatVector.zero(S);
    FloatVector acc1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector d0 = FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i));
      FloatVector d1 = FloatVector.fromArray(S, a, aOff + i + L)
          .sub(FloatVector.fromArray(S, b, bOff + i + L));
      acc0 = d0.fma(d0, acc0);
      acc1 = d1.fma(d1, acc1);
    }
    for (; i + L <= len; i += L) {
      FloatVector d0 = FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i));
      acc0 = d0.fma(d0, acc0);
    }
    float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float d = a[aOff + i] - b[bOff + i];
      s += d * d;
    }
    return s;
  }

  @Override
  public float dot(float[] q, ByteBuffer b, int byteOff, int len) {
    if (len < L) {
      return scalar.dot(q, b, byteOff, len);
    }
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i + L <= len; i += L) {
      acc = FloatVector.fromArray(S, q, i)
          .fma(FloatVector.fromByteBuffer(S, b, byteOff + 4 * i, LE), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      s += q[i] * b.getFloat(byteOff + 4 * i);
    }
    return s;
  }

  @Override
  public float squareDistance(float[] q, ByteBuffer b, int byteOff, int len) {
    if (len < L) {
      return scalar.squareDistance(q, b, byteOff, len);
    }
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i + L <= len; i += L) {
      FloatVector d = FloatVector.fromArray(S, q, i)
          .sub(FloatVector.fromByteBuffer(S, b, byteOff + 4 * i, LE));
      acc = d.fma(d, acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float d = q[i] - b.getFloat(byteOff + 4 * i);
      s += d * d;
    }
    return s;
  }

  @Override
  public void dot4(
      float[] a, int a0, int a1, int a2, int a3, float[] b, int bOff, int len, float[] out) {
    if (len < L) {
      scalar.dot4(a, a0, a1, a2, a3, b, bOff, len, out);
      return;
    }
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    FloatVector s2 = FloatVector.zero(S);
    FloatVector s3 = FloatVector.zero(S);
    int i = 0;
    for (; i + L <= len; i += L) {
      FloatVector bv = FloatVector.fromArray(S, b, bOff + i);
      s0 = FloatVector.fromArray(S, a, a0 + i).fma(bv, s0);
      s1 = FloatVector.fromArray(S, a, a1 + i).fma(bv, s1);
      s2 = FloatVector.fromArray(S, a, a2 + i).fma(bv, s2);
      s3 = FloatVector.fromArray(S, a, a3 + i).fma(bv, s3);
    }
    float r0 = s0.reduceLanes(VectorOperators.ADD);
    float r1 = s1.reduceLanes(VectorOperators.ADD);
    float r2 = s2.reduceLanes(VectorOperators.ADD);
    float r3 = s3.reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float bv = b[bOff + i];
      r0 += a[a0 + i] * bv;
      r1 += a[a1 + i] * bv;
      r2 += a[a2 + i] * bv;
      r3 += a[a3 + i] * bv;
    }
    out[0] = r0;
    out[1] = r1;
    out[2] = r2;
    out[3] = r3;
  }

  @Override
  public void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out) {
    // Table lookups are gathers; the scalar loop with 64-bit code reads is as fast here.
    scalar.pqDistances(codes, byteOff, n, m, table, base, out);
  }

  @Override
  public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int len) {
    FloatVector av = FloatVector.broadcast(S, a);
    int i = 0;
    for (; i + L <= len; i += L) {
      FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < len; i++) {
      y[yOff + i] += a * x[xOff + i];
    }
  }

  @Override
  public void addScaled(ByteBuffer base, int byteOff, float scale, float[] x, float[] out, int len) {
    FloatVector sv = FloatVector.broadcast(S, scale);
    int i = 0;
    for (; i + L <= len; i += L) {
      FloatVector.fromArray(S, x, i)
          .fma(sv, FloatVector.fromByteBuffer(S, base, byteOff + 4 * i, LE))
          .intoArray(out, i);
    }
    for (; i < len; i++) {
      out[i] = base.getFloat(byteOff + 4 * i) + scale * x[i];
    }
  }

  @Override
  public void dots4x16(float[] points, int r0, int r1, int r2, int r3, float[] tile, int tOff,
      int dim, float[] out) {
    if (L > TILE || TILE % L != 0) {
      scalar.dots4x16(points, r0, r1, r2, r3, tile, tOff, dim, out);
      return;
    }
    for (int c = 0; c < TILE; c += L) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int j = 0; j < dim; j++) {
        FloatVector v = FloatVector.fromArray(S, tile, tOff + j * TILE + c);
        s0 = v.fma(FloatVector.broadcast(S, points[r0 + j]), s0);
        s1 = v.fma(FloatVector.broadcast(S, points[r1 + j]), s1);
        s2 = v.fma(FloatVector.broadcast(S, points[r2 + j]), s2);
        s3 = v.fma(FloatVector.broadcast(S, points[r3 + j]), s3);
      }
      s0.intoArray(out, c);
      s1.intoArray(out, TILE + c);
      s2.intoArray(out, 2 * TILE + c);
      s3.intoArray(out, 3 * TILE + c);
    }
  }

  @Override
  public void dots1x64(float[] q, int qOff, float[] tiles, int tOff, int dim, float[] out,
      int outOff) {
    if (L > TILE || TILE % L != 0) {
      scalar.dots1x64(q, qOff, tiles, tOff, dim, out, outOff);
      return;
    }
    int stride = dim * TILE;
    for (int c = 0; c < TILE; c += L) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int j = 0; j < dim; j++) {
        FloatVector x = FloatVector.broadcast(S, q[qOff + j]);
        int row = tOff + j * TILE + c;
        s0 = FloatVector.fromArray(S, tiles, row).fma(x, s0);
        s1 = FloatVector.fromArray(S, tiles, row + stride).fma(x, s1);
        s2 = FloatVector.fromArray(S, tiles, row + 2 * stride).fma(x, s2);
        s3 = FloatVector.fromArray(S, tiles, row + 3 * stride).fma(x, s3);
      }
      s0.intoArray(out, outOff + c);
      s1.intoArray(out, outOff + TILE + c);
      s2.intoArray(out, outOff + 2 * TILE + c);
      s3.intoArray(out, outOff + 3 * TILE + c);
    }
  }

  @Override
  public float sq8SquareDistance(float[] q, float[] step, ByteBuffer codes, int byteOff, int len) {
    if (B == null || len < L) {
      return scalar.sq8SquareDistance(q, step, codes, byteOff, len);
    }
    FloatVector acc0 = FloatVector.zero(S);
    FloatVector acc1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      FloatVector d0 = widen(codes, byteOff + i).neg()
          .fma(FloatVector.fromArray(S, step, i), FloatVector.fromArray(S, q, i));
      FloatVector d1 = widen(codes, byteOff + i + L).neg()
          .fma(FloatVector.fromArray(S, step, i + L), FloatVector.fromArray(S, q, i + L));
      acc0 = d0.fma(d0, acc0);
      acc1 = d1.fma(d1, acc1);
    }
    for (; i + L <= len; i += L) {
      FloatVector d0 = widen(codes, byteOff + i).neg()
          .fma(FloatVector.fromArray(S, step, i), FloatVector.fromArray(S, q, i));
      acc0 = d0.fma(d0, acc0);
    }
    float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float d = q[i] - step[i] * codes.get(byteOff + i);
      s += d * d;
    }
    return s;
  }

  @Override
  public float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len) {
    if (B == null || len < L) {
      return scalar.sq8Dot(w, codes, byteOff, len);
    }
    FloatVector acc0 = FloatVector.zero(S);
    FloatVector acc1 = FloatVector.zero(S);
    int i = 0;
    for (; i + 2 * L <= len; i += 2 * L) {
      acc0 = widen(codes, byteOff + i).fma(FloatVector.fromArray(S, w, i), acc0);
      acc1 = widen(codes, byteOff + i + L).fma(FloatVector.fromArray(S, w, i + L), acc1);
    }
    for (; i + L <= len; i += L) {
      acc0 = widen(codes, byteOff + i).fma(FloatVector.fromArray(S, w, i), acc0);
    }
    float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      s += w[i] * codes.get(byteOff + i);
    }
    return s;
  }

  @Override
  public String name() {
    return "panama(" + S.vectorBitSize() + "-bit)";
  }
}
