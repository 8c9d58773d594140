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

  /**
   * Four stored vectors at a time, one accumulator each: the same operations per vector as
   * {@link #squareDistance(float[], ByteBuffer, int, int)} (so a score does not depend on the
   * path), with four independent FMA chains in flight instead of one.
   */
  @Override
  public void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    int i = 0;
    int stride = 4 * len;
    if (len >= L) {
      for (; i + 4 <= n; i += 4) {
        int at = byteOff + i * stride;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int j = 0;
        for (; j + L <= len; j += L) {
          FloatVector x = FloatVector.fromArray(S, q, j);
          int o = at + 4 * j;
          FloatVector d0 = x.sub(FloatVector.fromByteBuffer(S, b, o, LE));
          FloatVector d1 = x.sub(FloatVector.fromByteBuffer(S, b, o + stride, LE));
          FloatVector d2 = x.sub(FloatVector.fromByteBuffer(S, b, o + 2 * stride, LE));
          FloatVector d3 = x.sub(FloatVector.fromByteBuffer(S, b, o + 3 * stride, LE));
          s0 = d0.fma(d0, s0);
          s1 = d1.fma(d1, s1);
          s2 = d2.fma(d2, s2);
          s3 = d3.fma(d3, s3);
        }
        float r0 = s0.reduceLanes(VectorOperators.ADD);
        float r1 = s1.reduceLanes(VectorOperators.ADD);
        float r2 = s2.reduceLanes(VectorOperators.ADD);
        float r3 = s3.reduceLanes(VectorOperators.ADD);
        for (; j < len; j++) {
          int o = at + 4 * j;
          float e0 = q[j] - b.getFloat(o);
          float e1 = q[j] - b.getFloat(o + stride);
          float e2 = q[j] - b.getFloat(o + 2 * stride);
          float e3 = q[j] - b.getFloat(o + 3 * stride);
          r0 += e0 * e0;
          r1 += e1 * e1;
          r2 += e2 * e2;
          r3 += e3 * e3;
        }
        out[i] = r0;
        out[i + 1] = r1;
        out[i + 2] = r2;
        out[i + 3] = r3;
      }
    }
    for (; i < n; i++) {
      out[i] = squareDistance(q, b, byteOff + i * stride, len);
    }
  }

  /** {@link #dot(float[], ByteBuffer, int, int)} four vectors at a time, as squareDistances. */
  @Override
  public void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    int i = 0;
    int stride = 4 * len;
    if (len >= L) {
      for (; i + 4 <= n; i += 4) {
        int at = byteOff + i * stride;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int j = 0;
        for (; j + L <= len; j += L) {
          FloatVector x = FloatVector.fromArray(S, q, j);
          int o = at + 4 * j;
          s0 = x.fma(FloatVector.fromByteBuffer(S, b, o, LE), s0);
          s1 = x.fma(FloatVector.fromByteBuffer(S, b, o + stride, LE), s1);
          s2 = x.fma(FloatVector.fromByteBuffer(S, b, o + 2 * stride, LE), s2);
          s3 = x.fma(FloatVector.fromByteBuffer(S, b, o + 3 * stride, LE), s3);
        }
        float r0 = s0.reduceLanes(VectorOperators.ADD);
        float r1 = s1.reduceLanes(VectorOperators.ADD);
        float r2 = s2.reduceLanes(VectorOperators.ADD);
        float r3 = s3.reduceLanes(VectorOperators.ADD);
        for (; j < len; j++) {
          int o = at + 4 * j;
          r0 += q[j] * b.getFloat(o);
          r1 += q[j] * b.getFloat(o + stride);
          r2 += q[j] * b.getFloat(o + 2 * stride);
          r3 += q[j] * b.getFloat(o + 3 * stride);
        }
        out[i] = r0;
        out[i + 1] = r1;
        out[i + 2] = r2;
        out[i + 3] = r3;
      }
    }
    for (; i < n; i++) {
      out[i] = dot(q, b, byteOff + i * stride, len);
    }
  }

  @Override
  public void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out) {
    // Table lookups are gathers; the scalar loop with 64-bit code reads is as fast here.
    scalar.pqDistances(codes, byteOff, n, m, table, base, out);
  }

  @Override
  public long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold) {
    if (L < 8) {
      return scalar.atMost64(bias, bOff, dots, dOff, threshold);
    }
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

  @Override
  public int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound) {
    if (L < 8) {
      return scalar.argMin64(bias, bOff, dots, dOff, bound);
    }
    // The panel's minimum by vector MIN; most panels do not beat the bound and stop there.
    FloatVector min = FloatVector.fromArray(S, bias, bOff).sub(FloatVector.fromArray(S, dots, dOff));
    for (int c = L; c < PANEL; c += L) {
      min = min.min(FloatVector.fromArray(S, bias, bOff + c)
          .sub(FloatVector.fromArray(S, dots, dOff + c)));
    }
    float m = min.reduceLanes(VectorOperators.MIN);
    if (!(m < bound)) {
      // No score below the bound, or a NaN among them (MIN propagates it): the scalar loop
      // decides, skipping NaN as it always has.
      return m != m ? scalar.argMin64(bias, bOff, dots, dOff, bound) : -1;
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
  public void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff,
      int dim, float[] out) {
    if (PanamaTileKernels.APPLIES) {
      PanamaTileKernels.dots4x64(points, r0, r1, r2, r3, panel, pOff, dim, out);
    } else {
      scalar.dots4x64(points, r0, r1, r2, r3, panel, pOff, dim, out);
    }
  }

  @Override
  public void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out,
      int outOff) {
    if (PanamaTileKernels.APPLIES) {
      PanamaTileKernels.dots1x64(q, qOff, panel, pOff, dim, out, outOff);
    } else {
      scalar.dots1x64(q, qOff, panel, pOff, dim, out, outOff);
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
