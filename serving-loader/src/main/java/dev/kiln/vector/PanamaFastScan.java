package dev.kiln.vector;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast-scan block kernel on 256-bit vectors ({@link VectorKernels#fastScan}): one 32-byte
 * load holds a pair of sub-spaces of a whole block of 32 items; each nibble half is looked up in
 * its sub-space's 16-entry table with one byte shuffle ({@code rearrange}: {@code vpshufb}, or
 * {@code vpermb} with AVX-512 VBMI), and the looked-up bytes are summed in 16-bit lanes without
 * unpacking them: lane k holds item k in its low byte and item 16 + k in its high byte
 * (FastScanLayout), so one accumulator sums both bytes as a 16-bit number (wrapping) and a
 * second sums the high bytes alone; the low bytes' sum is the difference, exact because no sum
 * reaches 2^15 (at most 128 sub-spaces of 255). Per pair of sub-spaces and block: a load, two
 * masks, two shuffles, four adds and two shifts, for 32 items.
 *
 * <p>The block's 32 sums are compared with the caller's limit before anything leaves the
 * registers; only a block with a sum at or below it is widened to floats and stored.
 */
final class PanamaFastScan {
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
  private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
  /**
   * The floats are the preferred species, as every other kernel's: a second float species in
   * the same JVM pollutes the Vector API's shared call sites, and C2 then stops compiling the
   * other kernels' vector code to instructions (measured: the coarse step's dots1x64 ran 7x
   * slower once this kernel had written through 256-bit floats on a 512-bit machine).
   */
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** 16-bit sums per float vector: 16 shorts widen into one 512-bit or two 256-bit vectors. */
  private static final int PARTS = 16 / F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /**
   * Whether this CPU has 256-bit vectors: with narrower ones the Vector API would emulate these
   * shapes, far slower than the scalar loop.
   */
  static final boolean SUPPORTED = F.vectorBitSize() >= 256;

  private PanamaFastScan() {}

  static void scan(ByteBuffer codes, int byteOff, int blocks, int pairs, byte[] lut, int limit,
      float bias, float scale, float[] out) {
    ByteVector nibble = ByteVector.broadcast(B, (byte) 0x0f);
    short lim = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, limit));
    FloatVector inf = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
    FloatVector vScale = FloatVector.broadcast(F, scale);
    FloatVector vBias = FloatVector.broadcast(F, bias);
    int at = byteOff;
    for (int b = 0; b < blocks; b++) {
      ShortVector both = ShortVector.zero(H);
      ShortVector high = ShortVector.zero(H);
      for (int p = 0; p < pairs; p++, at += 32) {
        ByteVector c = ByteVector.fromByteBuffer(B, codes, at, LE);
        ByteVector lo = c.and(nibble);
        // Bytes have no shift instruction: shift the 16-bit lanes, then mask each byte.
        ByteVector hi = c.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
            .reinterpretAsBytes().and(nibble);
        ShortVector r0 = ByteVector.fromArray(B, lut, 32 * p).rearrange(lo.toShuffle())
            .reinterpretAsShorts();
        ShortVector r1 = ByteVector.fromArray(B, lut, 32 * p + 16).rearrange(hi.toShuffle())
            .reinterpretAsShorts();
        both = both.add(r0).add(r1);
        high = high.add(r0.lanewise(VectorOperators.LSHR, 8))
            .add(r1.lanewise(VectorOperators.LSHR, 8));
      }
      ShortVector low = both.sub(high.lanewise(VectorOperators.LSHL, 8));
      int o = 32 * b;
      if (low.min(high).compare(VectorOperators.LE, lim).anyTrue()) {
        // Items 0-15 are the low sums, 16-31 the high ones.
        for (int part = 0; part < PARTS; part++) {
          ((FloatVector) low.convertShape(VectorOperators.S2F, F, part)).fma(vScale, vBias)
              .intoArray(out, o + part * F.length());
          ((FloatVector) high.convertShape(VectorOperators.S2F, F, part)).fma(vScale, vBias)
              .intoArray(out, o + 16 + part * F.length());
        }
      } else {
        for (int i = 0; i < 32; i += F.length()) {
          inf.intoArray(out, o + i);
        }
      }
    }
  }

  /**
   * {@link VectorKernels#quantizeTables} with the preferred float species (at most 16 lanes, so
   * a table is one or two vectors): the arithmetic in vectors, the narrowing per entry.
   */
  static float quantizeTables(float[] table, int m, byte[] lut, float[] mins) {
    float widest = 0;
    float minSum = 0;
    for (int j = 0; j < m; j++) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < 16; c += F.length()) {
        FloatVector v = FloatVector.fromArray(F, table, 16 * j + c);
        lo = Math.min(lo, v.reduceLanes(VectorOperators.MIN));
        hi = Math.max(hi, v.reduceLanes(VectorOperators.MAX));
      }
      mins[1 + j] = lo;
      minSum += lo;
      widest = Math.max(widest, hi - lo);
    }
    float scale = widest > 0 ? widest / 255f : 1f;
    float inv = 1f / scale;
    // The arithmetic in vectors, the narrowing to bytes per entry from the float's bits (see
    // ScalarKernels): JDK 17 compiles no float to int conversion of these shapes to
    // instructions (it fell back to Java loops, slower than the scalar kernel). mins[1 + m ..]
    // is the scratch for one table.
    int scratch = 1 + m;
    for (int j = 0; j < m; j++) {
      float lo = mins[1 + j];
      for (int c = 0; c < 16; c += F.length()) {
        FloatVector.fromArray(F, table, 16 * j + c).sub(lo).mul(inv).min(255f).add(ScalarKernels.ROUNDER)
            .intoArray(mins, scratch + c);
      }
      for (int c = 0; c < 16; c++) {
        lut[16 * j + c] = (byte) Float.floatToRawIntBits(mins[scratch + c]);
      }
    }
    mins[0] = minSum;
    return scale;
  }
}
