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

  static FloatVector widen(ByteBuffer codes, int at) {
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
  public void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff) {
    if (len < L) {
      scalar.dot4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
      return;
    }
    PanamaRows.dot4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
  }

  @Override
  public void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3,
      int len, float[] out, int outOff) {
    if (len < L) {
      scalar.squareDistance4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
      return;
    }
    PanamaRows.squareDistance4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
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

  /**
   * Four accumulators over consecutive chunks of 4 x L floats (then one, then scalar), combined
   * as (a0 + a1) + (a2 + a3): four independent FMA chains, and the stored vector read front to
   * back, the order the hardware prefetcher follows best.
   */
  @Override
  public float dot(float[] q, ByteBuffer b, int byteOff, int len) {
    if (len < L) {
      return scalar.dot(q, b, byteOff, len);
    }
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int i = 0;
    for (; i + 4 * L <= len; i += 4 * L) {
      int at = byteOff + 4 * i;
      a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromByteBuffer(S, b, at, LE), a0);
      a1 = FloatVector.fromArray(S, q, i + L)
          .fma(FloatVector.fromByteBuffer(S, b, at + 4 * L, LE), a1);
      a2 = FloatVector.fromArray(S, q, i + 2 * L)
          .fma(FloatVector.fromByteBuffer(S, b, at + 8 * L, LE), a2);
      a3 = FloatVector.fromArray(S, q, i + 3 * L)
          .fma(FloatVector.fromByteBuffer(S, b, at + 12 * L, LE), a3);
    }
    for (; i + L <= len; i += L) {
      a0 = FloatVector.fromArray(S, q, i)
          .fma(FloatVector.fromByteBuffer(S, b, byteOff + 4 * i, LE), a0);
    }
    float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      s += q[i] * b.getFloat(byteOff + 4 * i);
    }
    return s;
  }

  /**
   * As {@link #dot(float[], ByteBuffer, int, int)}: four chains, read front to back. What C2
   * emits on JDK 17 (AVX-512, disassembled from {@code -XX:CompileCommand=print}, session 37):
   * per chunk, four vmovdqu32 loads of q, four of the row, vsubps and vfmadd231ps each. It also
   * emits, beside every row load, re-reads of the buffer's limit, segment, array base and address
   * (four loads, three compare-and-branches), which the unsafe access keeps in the loop. They
   * cost in cache (JMH {@code flatList64}, d = 784: 4.4 us, 3.4 from an array), not from memory,
   * where the loads wait anyway ({@code FlatMemoryBenchmark}: 7.9 us a list from a mapped file,
   * 8.2-9.6 from an array; README "Benchmarks").
   */
  @Override
  public float squareDistance(float[] q, ByteBuffer b, int byteOff, int len) {
    if (len < L) {
      return scalar.squareDistance(q, b, byteOff, len);
    }
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int i = 0;
    for (; i + 4 * L <= len; i += 4 * L) {
      int at = byteOff + 4 * i;
      FloatVector d0 = FloatVector.fromArray(S, q, i)
          .sub(FloatVector.fromByteBuffer(S, b, at, LE));
      FloatVector d1 = FloatVector.fromArray(S, q, i + L)
          .sub(FloatVector.fromByteBuffer(S, b, at + 4 * L, LE));
      FloatVector d2 = FloatVector.fromArray(S, q, i + 2 * L)
          .sub(FloatVector.fromByteBuffer(S, b, at + 8 * L, LE));
      FloatVector d3 = FloatVector.fromArray(S, q, i + 3 * L)
          .sub(FloatVector.fromByteBuffer(S, b, at + 12 * L, LE));
      a0 = d0.fma(d0, a0);
      a1 = d1.fma(d1, a1);
      a2 = d2.fma(d2, a2);
      a3 = d3.fma(d3, a3);
    }
    for (; i + L <= len; i += L) {
      FloatVector d = FloatVector.fromArray(S, q, i)
          .sub(FloatVector.fromByteBuffer(S, b, byteOff + 4 * i, LE));
      a0 = d.fma(d, a0);
    }
    float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; i < len; i++) {
      float d = q[i] - b.getFloat(byteOff + 4 * i);
      s += d * d;
    }
    return s;
  }

  @Override
  public void squareDistance4(float[] q, ByteBuffer b0, int o0, ByteBuffer b1, int o1,
      ByteBuffer b2, int o2, ByteBuffer b3, int o3, int len, float[] out) {
    if (L != 16 || len < 4 * L) {
      VectorKernels.super.squareDistance4(q, b0, o0, b1, o1, b2, o2, b3, o3, len, out);
      return;
    }
    PanamaRows.squareDistance4(q, b0, o0, b1, o1, b2, o2, b3, o3, len, out);
  }

  /**
   * One stored vector after another ({@link #squareDistance(float[], ByteBuffer, int, int)} each,
   * so a score does not depend on the path). Reading a list strictly front to back beat
   * interleaving four vectors (four streams 4 x d bytes apart) by 1.3-1.4x on IVF-Flat lists
   * read from memory (Fashion-MNIST, d = 784, nprobe 1, 4 and 16, batch search). In cache the
   * interleaved form was faster (JMH flatList64, d = 784: 3.7 against 6.7 us), but an IVF-Flat
   * list is rarely in cache when it is scanned.
   */
  @Override
  public void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    for (int i = 0; i < n; i++) {
      out[i] = squareDistance(q, b, byteOff + i * 4 * len, len);
    }
  }

  @Override
  public void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out) {
    if (len < L) {
      scalar.squareDistances(q, rows, off, n, len, out);
      return;
    }
    PanamaArrayRows.squareDistances(q, rows, off, n, len, out);
  }

  @Override
  public void dots(float[] q, float[] rows, int off, int n, int len, float[] out) {
    if (len < L) {
      scalar.dots(q, rows, off, n, len, out);
      return;
    }
    PanamaArrayRows.dots(q, rows, off, n, len, out);
  }

  /** {@link #dot(float[], ByteBuffer, int, int)} one vector after another, as squareDistances. */
  @Override
  public void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    for (int i = 0; i < n; i++) {
      out[i] = dot(q, b, byteOff + i * 4 * len, len);
    }
  }

  @Override
  public void squareDistances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int byteOff, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    if (!PanamaSharedRows.applies(len)) {
      VectorKernels.super.squareDistances(q0, q1, q2, q3, b, byteOff, n, len, out0, out1, out2,
          out3);
      return;
    }
    PanamaSharedRows.squareDistances(q0, q1, q2, q3, b, byteOff, n, len, out0, out1, out2, out3);
  }

  @Override
  public void dots(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b, int byteOff,
      int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    if (!PanamaSharedRows.applies(len)) {
      VectorKernels.super.dots(q0, q1, q2, q3, b, byteOff, n, len, out0, out1, out2, out3);
      return;
    }
    PanamaSharedRows.dots(q0, q1, q2, q3, b, byteOff, n, len, out0, out1, out2, out3);
  }

  @Override
  public void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out) {
    // Table lookups are gathers; the scalar loop with 64-bit code reads is as fast here.
    scalar.pqDistances(codes, byteOff, n, m, table, base, out);
  }

  @Override
  public long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold) {
    return L < 8 ? scalar.atMost64(bias, bOff, dots, dOff, threshold)
        : PanamaPanelScores.atMost64(bias, bOff, dots, dOff, threshold);
  }

  @Override
  public int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound) {
    if (L < 8) {
      return scalar.argMin64(bias, bOff, dots, dOff, bound);
    }
    int arg = PanamaPanelScores.argMin64(bias, bOff, dots, dOff, bound);
    // A NaN among the scores (MIN propagates it): the scalar loop decides, skipping NaN as it
    // always has.
    return arg == PanamaPanelScores.NAN ? scalar.argMin64(bias, bOff, dots, dOff, bound) : arg;
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
    return PanamaSq8.squareDistance(q, step, codes, byteOff, len);
  }

  @Override
  public void sq8SquareDistance4(float[] q, float[] step, ByteBuffer codes, int o0, int o1,
      int o2, int o3, int len, float[] out) {
    if (B == null || len < L) {
      VectorKernels.super.sq8SquareDistance4(q, step, codes, o0, o1, o2, o3, len, out);
      return;
    }
    PanamaSq8.squareDistance4(q, step, codes, o0, o1, o2, o3, len, out);
  }

  @Override
  public void sq8Dot4(float[] w, ByteBuffer codes, int o0, int o1, int o2, int o3, int len,
      float[] out) {
    if (B == null || len < L) {
      VectorKernels.super.sq8Dot4(w, codes, o0, o1, o2, o3, len, out);
      return;
    }
    PanamaSq8.dot4(w, codes, o0, o1, o2, o3, len, out);
  }

  @Override
  public float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len) {
    if (B == null || len < L) {
      return scalar.sq8Dot(w, codes, byteOff, len);
    }
    return PanamaSq8.dot(w, codes, byteOff, len);
  }

  @Override
  public void fastScan(ByteBuffer codes, int byteOff, int blocks, int pairs, byte[] lut,
      int limit, float bias, float scale, float[] out) {
    if (!PanamaFastScan.SUPPORTED) {
      scalar.fastScan(codes, byteOff, blocks, pairs, lut, limit, bias, scale, out);
      return;
    }
    PanamaFastScan.scan(codes, byteOff, blocks, pairs, lut, limit, bias, scale, out);
  }

  @Override
  public float quantizeTables(float[] table, int m, byte[] lut, float[] mins) {
    if (L > 16) {
      return scalar.quantizeTables(table, m, lut, mins);
    }
    return PanamaFastScan.quantizeTables(table, m, lut, mins);
  }

  @Override
  public boolean sharesListReads() {
    return PanamaSharedRows.applies(4 * L);
  }

  @Override
  public String name() {
    return "panama(" + S.vectorBitSize() + "-bit)";
  }
}
