package dev.kiln.vector;

import static dev.kiln.vector.VectorKernels.PANEL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked panel kernels of {@link PanamaKernels}: the coarse step's, the PQ query
 * table's and k-means' inner loops. Each keeps a whole block of sums in registers for one pass
 * over the dimensions (AVX-512: 4 x 64 sums in 16 zmm accumulators; AVX2: 4 x 16 in 8 ymm, four
 * passes). Per output the arithmetic is the scalar reference's, fused multiply-adds in
 * dimension order from zero, so results are identical bit for bit ({@code VectorKernelsTest}):
 * a query probed alone and in a batch, or an item assigned at build time and when upserted,
 * land in the same lists.
 *
 * <p>What the JIT must keep emitting in the loops (checked with {@code -XX:+PrintAssembly}): one
 * {@code vbroadcastss} per point and dimension, panel loads at constant offsets from one index
 * (one range check, not one per load), {@code vfmadd231ps} into accumulators that stay in
 * registers, and no allocation.
 */
final class PanamaTileKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** True when these kernels fit the preferred species (8 or 16 float lanes). */
  static final boolean APPLIES = L == 8 || L == 16;

  private PanamaTileKernels() {}

  static void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out,
      int outOff) {
    if (L == 16) {
      dots1x64Wide(q, qOff, panel, pOff, dim, out, outOff);
    } else {
      dots1x64Narrow(q, qOff, panel, pOff, dim, out, outOff);
    }
  }

  static void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff,
      int dim, float[] out) {
    if (L == 16) {
      dots4x64Wide(points, r0, r1, r2, r3, panel, pOff, dim, out);
    } else {
      for (int c = 0; c < PANEL; c += 2 * L) {
        dots4x16Narrow(points, r0, r1, r2, r3, panel, pOff + c, dim, out, c);
      }
    }
  }

  /** 16 lanes: the 64 sums in four accumulators. */
  private static void dots1x64Wide(float[] q, int qOff, float[] panel, int pOff, int dim,
      float[] out, int outOff) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    for (int j = 0; j < dim; j++) {
      FloatVector x = FloatVector.broadcast(S, q[qOff + j]);
      int row = pOff + j * PANEL;
      a0 = FloatVector.fromArray(S, panel, row).fma(x, a0);
      a1 = FloatVector.fromArray(S, panel, row + L).fma(x, a1);
      a2 = FloatVector.fromArray(S, panel, row + 2 * L).fma(x, a2);
      a3 = FloatVector.fromArray(S, panel, row + 3 * L).fma(x, a3);
    }
    a0.intoArray(out, outOff);
    a1.intoArray(out, outOff + L);
    a2.intoArray(out, outOff + 2 * L);
    a3.intoArray(out, outOff + 3 * L);
  }

  /** 8 lanes: the 64 sums in eight accumulators. */
  private static void dots1x64Narrow(float[] q, int qOff, float[] panel, int pOff, int dim,
      float[] out, int outOff) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector a4 = FloatVector.zero(S);
    FloatVector a5 = FloatVector.zero(S);
    FloatVector a6 = FloatVector.zero(S);
    FloatVector a7 = FloatVector.zero(S);
    for (int j = 0; j < dim; j++) {
      FloatVector x = FloatVector.broadcast(S, q[qOff + j]);
      int row = pOff + j * PANEL;
      a0 = FloatVector.fromArray(S, panel, row).fma(x, a0);
      a1 = FloatVector.fromArray(S, panel, row + L).fma(x, a1);
      a2 = FloatVector.fromArray(S, panel, row + 2 * L).fma(x, a2);
      a3 = FloatVector.fromArray(S, panel, row + 3 * L).fma(x, a3);
      a4 = FloatVector.fromArray(S, panel, row + 4 * L).fma(x, a4);
      a5 = FloatVector.fromArray(S, panel, row + 5 * L).fma(x, a5);
      a6 = FloatVector.fromArray(S, panel, row + 6 * L).fma(x, a6);
      a7 = FloatVector.fromArray(S, panel, row + 7 * L).fma(x, a7);
    }
    a0.intoArray(out, outOff);
    a1.intoArray(out, outOff + L);
    a2.intoArray(out, outOff + 2 * L);
    a3.intoArray(out, outOff + 3 * L);
    a4.intoArray(out, outOff + 4 * L);
    a5.intoArray(out, outOff + 5 * L);
    a6.intoArray(out, outOff + 6 * L);
    a7.intoArray(out, outOff + 7 * L);
  }

  /**
   * 16 lanes: the 4 x 64 block in 16 accumulators. Per dimension: four panel loads, four
   * broadcasts, sixteen independent FMAs, so the two FMA units (four cycles of latency) never
   * wait on a sum.
   */
  private static void dots4x64Wide(float[] points, int r0, int r1, int r2, int r3,
      float[] panel, int pOff, int dim, float[] out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c02 = FloatVector.zero(S);
    FloatVector c03 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c12 = FloatVector.zero(S);
    FloatVector c13 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c22 = FloatVector.zero(S);
    FloatVector c23 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c32 = FloatVector.zero(S);
    FloatVector c33 = FloatVector.zero(S);
    for (int j = 0; j < dim; j++) {
      int row = pOff + j * PANEL;
      FloatVector v0 = FloatVector.fromArray(S, panel, row);
      FloatVector v1 = FloatVector.fromArray(S, panel, row + L);
      FloatVector v2 = FloatVector.fromArray(S, panel, row + 2 * L);
      FloatVector v3 = FloatVector.fromArray(S, panel, row + 3 * L);
      FloatVector x = FloatVector.broadcast(S, points[r0 + j]);
      c00 = v0.fma(x, c00);
      c01 = v1.fma(x, c01);
      c02 = v2.fma(x, c02);
      c03 = v3.fma(x, c03);
      x = FloatVector.broadcast(S, points[r1 + j]);
      c10 = v0.fma(x, c10);
      c11 = v1.fma(x, c11);
      c12 = v2.fma(x, c12);
      c13 = v3.fma(x, c13);
      x = FloatVector.broadcast(S, points[r2 + j]);
      c20 = v0.fma(x, c20);
      c21 = v1.fma(x, c21);
      c22 = v2.fma(x, c22);
      c23 = v3.fma(x, c23);
      x = FloatVector.broadcast(S, points[r3 + j]);
      c30 = v0.fma(x, c30);
      c31 = v1.fma(x, c31);
      c32 = v2.fma(x, c32);
      c33 = v3.fma(x, c33);
    }
    c00.intoArray(out, 0);
    c01.intoArray(out, L);
    c02.intoArray(out, 2 * L);
    c03.intoArray(out, 3 * L);
    c10.intoArray(out, PANEL);
    c11.intoArray(out, PANEL + L);
    c12.intoArray(out, PANEL + 2 * L);
    c13.intoArray(out, PANEL + 3 * L);
    c20.intoArray(out, 2 * PANEL);
    c21.intoArray(out, 2 * PANEL + L);
    c22.intoArray(out, 2 * PANEL + 2 * L);
    c23.intoArray(out, 2 * PANEL + 3 * L);
    c30.intoArray(out, 3 * PANEL);
    c31.intoArray(out, 3 * PANEL + L);
    c32.intoArray(out, 3 * PANEL + 2 * L);
    c33.intoArray(out, 3 * PANEL + 3 * L);
  }

  /**
   * 8 lanes: 16 columns of the panel from {@code pOff} (a 4 x 16 block, eight accumulators),
   * written at column {@code col} of each output row.
   */
  private static void dots4x16Narrow(float[] points, int r0, int r1, int r2, int r3,
      float[] panel, int pOff, int dim, float[] out, int col) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector b0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector b1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector b2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector b3 = FloatVector.zero(S);
    for (int j = 0; j < dim; j++) {
      int row = pOff + j * PANEL;
      FloatVector lo = FloatVector.fromArray(S, panel, row);
      FloatVector hi = FloatVector.fromArray(S, panel, row + L);
      FloatVector x0 = FloatVector.broadcast(S, points[r0 + j]);
      a0 = lo.fma(x0, a0);
      b0 = hi.fma(x0, b0);
      FloatVector x1 = FloatVector.broadcast(S, points[r1 + j]);
      a1 = lo.fma(x1, a1);
      b1 = hi.fma(x1, b1);
      FloatVector x2 = FloatVector.broadcast(S, points[r2 + j]);
      a2 = lo.fma(x2, a2);
      b2 = hi.fma(x2, b2);
      FloatVector x3 = FloatVector.broadcast(S, points[r3 + j]);
      a3 = lo.fma(x3, a3);
      b3 = hi.fma(x3, b3);
    }
    a0.intoArray(out, col);
    b0.intoArray(out, col + L);
    a1.intoArray(out, PANEL + col);
    b1.intoArray(out, PANEL + col + L);
    a2.intoArray(out, 2 * PANEL + col);
    b2.intoArray(out, 2 * PANEL + col + L);
    a3.intoArray(out, 3 * PANEL + col);
    b3.intoArray(out, 3 * PANEL + col + L);
  }
}
