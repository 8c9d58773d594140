package dev.kiln.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.FastScanLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VectorKernels#fastScan} of every implementation against sums taken straight from the
 * unpacked codes: the blocks packed by {@link FastScanLayout} (the layout the shards hold), read
 * from a direct buffer at an odd offset, with the threshold skip exercised.
 */
class FastScanKernelTest {

  static Stream<Arguments> kernelsAndM() {
    return VectorKernelsTest.kernels().flatMap(k -> Stream.of(2, 8, 16, 56, 128)
        .map(m -> Arguments.of(k, m)));
  }

  @ParameterizedTest(name = "{0}, M={1}")
  @MethodSource("kernelsAndM")
  void sumsTheTableEntriesOfEveryItem(VectorKernels k, int m) {
    Random rnd = new Random(31 * m + 7);
    int n = 5 * FastScanLayout.BLOCK - 3; // a partial last block, padded with code 0
    byte[] codes = new byte[n * m];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) rnd.nextInt(16);
    }
    byte[] lut = new byte[16 * m + 16];
    for (int i = 0; i < 16 * m; i++) {
      lut[i] = (byte) rnd.nextInt(256);
    }
    // The padding is never looked up: poison it.
    for (int i = 16 * m; i < lut.length; i++) {
      lut[i] = (byte) 0xff;
    }
    int blocks = (int) FastScanLayout.blocks(n);
    int[] sums = new int[blocks * FastScanLayout.BLOCK];
    for (int i = 0; i < sums.length; i++) {
      for (int j = 0; j < m; j++) {
        int c = i < n ? codes[i * m + j] : 0;
        sums[i] += lut[16 * j + c] & 0xff;
      }
    }
    ByteBuffer buf = packedAt(codes, n, m, 37);
    float bias = -3.25f;
    float scale = 0.0625f;
    float[] out = new float[sums.length];
    k.fastScan(buf, 37, blocks, m / 2, lut, Short.MAX_VALUE, bias, scale, out);
    for (int i = 0; i < sums.length; i++) {
      assertEquals(Math.fma(sums[i], scale, bias), out[i], "item " + i);
    }

    // A limit between the blocks' smallest sums: blocks above it are skipped (+inf), the rest
    // are written whole.
    int[] blockMin = new int[blocks];
    for (int b = 0; b < blocks; b++) {
      blockMin[b] = Integer.MAX_VALUE;
      for (int i = 0; i < FastScanLayout.BLOCK; i++) {
        blockMin[b] = Math.min(blockMin[b], sums[b * FastScanLayout.BLOCK + i]);
      }
    }
    int[] sorted = blockMin.clone();
    java.util.Arrays.sort(sorted);
    int limit = sorted[0];
    int skipped = 0;
    k.fastScan(buf, 37, blocks, m / 2, lut, limit, bias, scale, out);
    for (int b = 0; b < blocks; b++) {
      boolean kept = blockMin[b] <= limit;
      skipped += kept ? 0 : 1;
      for (int i = 0; i < FastScanLayout.BLOCK; i++) {
        int at = b * FastScanLayout.BLOCK + i;
        float want = kept ? Math.fma(sums[at], scale, bias) : Float.POSITIVE_INFINITY;
        assertEquals(want, out[at], "block " + b + " item " + i + " with limit " + limit);
      }
    }
    assertTrue(skipped > 0 || sorted[0] == sorted[blocks - 1], "some block was skipped");
    k.fastScan(buf, 37, blocks, m / 2, lut, -1, bias, scale, out);
    for (float v : out) {
      assertEquals(Float.POSITIVE_INFINITY, v, "a limit below every sum skips every block");
    }
  }

  /** The sums reach 128 x 255 without wrapping: every code on its table's largest entry. */
  @ParameterizedTest(name = "{0}, M={1}")
  @MethodSource("kernelsAndM")
  void largestSumsDoNotOverflow(VectorKernels k, int m) {
    int n = FastScanLayout.BLOCK;
    byte[] codes = new byte[n * m];
    byte[] lut = new byte[16 * m + 16];
    for (int j = 0; j < m; j++) {
      lut[16 * j + 15] = (byte) 255;
    }
    for (int i = 0; i < codes.length; i++) {
      codes[i] = 15;
    }
    float[] out = new float[n];
    k.fastScan(packedAt(codes, n, m, 0), 0, 1, m / 2, lut, Short.MAX_VALUE, 0f, 1f, out);
    for (float v : out) {
      assertEquals(255f * m, v);
    }
  }

  /**
   * Table quantization, every implementation against the definition: one scale (the widest
   * table's range over 255), each table from its own minimum, rounded to the nearest step.
   */
  @ParameterizedTest(name = "{0}, M={1}")
  @MethodSource("kernelsAndM")
  void quantizesTablesWithOneScale(VectorKernels k, int m) {
    Random rnd = new Random(m);
    float[] table = new float[16 * m + 48];
    for (int i = 0; i < 16 * m; i++) {
      table[i] = (float) (rnd.nextGaussian() * (1 + i / 16 % 5) - 3);
    }
    byte[] lut = new byte[16 * m + 16];
    float[] mins = new float[1 + m + 16];
    float scale = k.quantizeTables(table, m, lut, mins);
    float widest = 0;
    float minSum = 0;
    for (int j = 0; j < m; j++) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < 16; c++) {
        lo = Math.min(lo, table[16 * j + c]);
        hi = Math.max(hi, table[16 * j + c]);
      }
      widest = Math.max(widest, hi - lo);
      minSum += lo;
    }
    assertEquals(widest / 255f, scale);
    assertEquals(minSum, mins[0]);
    int top = 0;
    for (int j = 0; j < m; j++) {
      for (int c = 0; c < 16; c++) {
        int q = lut[16 * j + c] & 0xff;
        top = Math.max(top, q);
        double steps = (table[16 * j + c] - mins[1 + j]) / scale;
        assertTrue(Math.abs(q - steps) <= 0.5 + 1e-3, j + "," + c + ": " + q + " for " + steps);
      }
    }
    assertEquals(255, top, "the widest table spans 0-255");
  }

  /** The scalar and the provider's quantization give the same bytes and scale. */
  @org.junit.jupiter.api.Test
  void quantizationAgreesBitForBit() {
    VectorKernels scalar = VectorizationProvider.scalar();
    VectorKernels chosen = VectorizationProvider.kernels();
    Random rnd = new Random(5);
    for (int m : new int[] {2, 16, 56, 128}) {
      float[] table = new float[16 * m + 48];
      for (int i = 0; i < 16 * m; i++) {
        table[i] = (float) (rnd.nextGaussian() * 100);
      }
      byte[] a = new byte[16 * m + 16];
      byte[] b = new byte[16 * m + 16];
      float[] ma = new float[1 + m + 16];
      float[] mb = new float[1 + m + 16];
      assertEquals(scalar.quantizeTables(table, m, a, ma), chosen.quantizeTables(table, m, b, mb));
      org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, "M=" + m);
      // The minimums; the 16 floats after them are scratch.
      org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOf(ma, 1 + m),
          java.util.Arrays.copyOf(mb, 1 + m), "M=" + m);
    }
  }

  private static ByteBuffer packedAt(byte[] codes, int n, int m, int offset) {
    byte[] packed = new byte[(int) FastScanLayout.codesBytes(n, m)];
    FastScanLayout.pack(codes, n, m, packed);
    ByteBuffer buf = ByteBuffer.allocateDirect(offset + packed.length + 64)
        .order(ByteOrder.LITTLE_ENDIAN);
    buf.position(offset);
    buf.put(packed);
    buf.clear();
    return buf;
  }
}
