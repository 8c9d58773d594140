package dev.kiln.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.search.TestIndexes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel implementation against a double-precision reference. Inputs have magnitudes in
 * [0.5, 1.5) so every term counts: a skipped or repeated element moves the result far beyond
 * rounding. Values around each range are large sentinels, so reading outside it shows too.
 */
class VectorKernelsTest {
  private static final int MAX_LEN = 67;
  private static final float SENTINEL = 1e4f;
  private static final int[] BYTE_OFFSETS = {0, 4, 12, 64, 3};

  /** The provider's choice and the scalar reference; a Vector API implementation joins here. */
  /**
   * The provider's kernels, the scalar ones, and (where the Vector API runs) the mix a JDK
   * without fromByteBuffer gets, {@link PanamaOnArrays}, tested here on this JDK too.
   */
  static Stream<Named<VectorKernels>> kernels() {
    VectorKernels chosen = VectorizationProvider.kernels();
    VectorKernels panama = VectorizationProvider.panama();
    Stream<Named<VectorKernels>> both = Stream.of(
        Named.of("provider (" + chosen.name() + ")", chosen),
        Named.of("scalar", VectorizationProvider.scalar()));
    return panama instanceof PanamaKernels
        ? Stream.concat(both, Stream.of(Named.of("panama on arrays",
            (VectorKernels) new PanamaOnArrays(panama))))
        : both;
  }

  static Stream<Arguments> kernelsAndM() {
    return kernels().flatMap(k -> Stream.of(1, 3, 4, 8, 12, 16, 24, 32)
        .map(m -> Arguments.of(k, m)));
  }

  /** Relative bound for a float sum of {@code len} terms whose magnitudes sum to {@code abs}. */
  private static void assertNear(double expected, double abs, float actual, String what) {
    double tol = 1e-6 * MAX_LEN * abs + 1e-6;
    assertTrue(Math.abs(expected - actual) <= tol,
        () -> what + ": expected " + expected + " got " + actual);
  }

  /** An array of {@code off + len + 3} floats: sentinels, then len values, then sentinels. */
  private static float[] padded(float[] values, int off) {
    float[] out = new float[off + values.length + 3];
    Arrays.fill(out, SENTINEL);
    System.arraycopy(values, 0, out, off, values.length);
    return out;
  }

  private static float[] values(Random rnd, int len) {
    float[] v = new float[len];
    for (int i = 0; i < len; i++) {
      v[i] = TestIndexes.awayFromZero(rnd);
    }
    return v;
  }

  /** b = a + a value away from zero, so every difference counts. */
  private static float[] shifted(Random rnd, float[] a) {
    float[] b = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i] + TestIndexes.awayFromZero(rnd);
    }
    return b;
  }

  /** Little-endian buffer holding sentinels, then the values at {@code byteOff}, then sentinels. */
  private static ByteBuffer buffer(float[] values, int byteOff, boolean direct) {
    int size = byteOff + 4 * values.length + 16;
    ByteBuffer b = (direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int at = 0; at + 4 <= size; at += 4) {
      b.putFloat(at, SENTINEL);
    }
    for (int i = 0; i < values.length; i++) {
      b.putFloat(byteOff + 4 * i, values[i]);
    }
    return b;
  }

  private static double absDot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += Math.abs((double) a[i] * b[i]);
    }
    return s;
  }

  /** Four rows at once, bit for bit the one-row kernel's, at lengths around the lane counts. */
  @ParameterizedTest
  @MethodSource("kernels")
  void dot4EqualsFourDotsBitForBit(VectorKernels k) {
    Random rnd = new Random(17);
    for (int len : new int[] {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 49, 64, 128, 130, 784}) {
      float[] q = values(rnd, len + 3);
      float[] m = values(rnd, 9 * len + 2);
      int[] rows = {2 + 4 * len, 1, 2 + len * 8, 2 + 4 * len}; // any rows, repeats allowed
      float[] out = new float[6];
      Arrays.fill(out, SENTINEL);
      k.dot4(q, 3, m, rows[0], rows[1], rows[2], rows[3], len, out, 1);
      assertEquals(SENTINEL, out[0], "dot4 wrote before outOff");
      assertEquals(SENTINEL, out[5], "dot4 wrote past outOff + 3");
      for (int r = 0; r < 4; r++) {
        assertEquals(Float.floatToRawIntBits(k.dot(q, 3, m, rows[r], len)),
            Float.floatToRawIntBits(out[1 + r]), "len " + len + ", row " + r);
        float[] x = Arrays.copyOfRange(q, 3, 3 + len);
        float[] y = Arrays.copyOfRange(m, rows[r], rows[r] + len);
        assertNear(TestIndexes.dot(x, 0, y, 0, len), absDot(x, y), out[1 + r], "dot4 len " + len);
      }
    }
  }

  /** The same for squared distances to four rows of an array (the HNSW builder's kernel). */
  @ParameterizedTest
  @MethodSource("kernels")
  void squareDistance4EqualsFourSquareDistancesBitForBit(VectorKernels k) {
    Random rnd = new Random(19);
    for (int len : new int[] {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 49, 64, 128, 130, 784}) {
      float[] q = values(rnd, len + 3);
      float[] m = values(rnd, 9 * len + 2);
      int[] rows = {2 + 4 * len, 1, 2 + len * 8, 2 + 4 * len};
      float[] out = new float[6];
      Arrays.fill(out, SENTINEL);
      k.squareDistance4(q, 3, m, rows[0], rows[1], rows[2], rows[3], len, out, 1);
      assertEquals(SENTINEL, out[0], "squareDistance4 wrote before outOff");
      assertEquals(SENTINEL, out[5], "squareDistance4 wrote past outOff + 3");
      for (int r = 0; r < 4; r++) {
        assertEquals(Float.floatToRawIntBits(k.squareDistance(q, 3, m, rows[r], len)),
            Float.floatToRawIntBits(out[1 + r]), "len " + len + ", row " + r);
        double want = 0;
        for (int i = 0; i < len; i++) {
          double e = (double) q[3 + i] - m[rows[r] + i];
          want += e * e;
        }
        assertEquals(want, out[1 + r], 1e-4 * Math.max(1, want), "len " + len);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void dots4x64MultipliesFourPointsWithATransposedPanel(VectorKernels k) {
    Random rnd = new Random(13);
    int w = VectorKernels.PANEL;
    for (int dim : new int[] {1, 3, 16, 49, 67}) {
      float[] points = values(rnd, 6 * dim);
      float[] centroids = values(rnd, w * dim);
      int pOff = 5;
      float[] panel = new float[pOff + w * dim];
      for (int c = 0; c < w; c++) {
        for (int j = 0; j < dim; j++) {
          panel[pOff + j * w + c] = centroids[c * dim + j];
        }
      }
      int[] rows = {2 * dim, 0, 5 * dim, 2 * dim}; // any rows, repeats allowed
      float[] out = new float[4 * w];
      k.dots4x64(points, rows[0], rows[1], rows[2], rows[3], panel, pOff, dim, out);
      for (int p = 0; p < 4; p++) {
        float[] x = Arrays.copyOfRange(points, rows[p], rows[p] + dim);
        for (int c = 0; c < w; c++) {
          float[] y = Arrays.copyOfRange(centroids, c * dim, (c + 1) * dim);
          assertNear(TestIndexes.dot(x, 0, y, 0, dim), absDot(x, y), out[p * w + c],
              "dots4x64 dim=" + dim + " p=" + p + " c=" + c);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void dots1x64MultipliesOneVectorWithAPanel(VectorKernels k) {
    Random rnd = new Random(14);
    int w = VectorKernels.PANEL;
    for (int dim : new int[] {1, 3, 16, 49, 67}) {
      float[] q = values(rnd, dim + 2);
      float[] centroids = values(rnd, w * dim);
      int pOff = 7;
      float[] panel = new float[pOff + w * dim];
      for (int c = 0; c < w; c++) {
        for (int j = 0; j < dim; j++) {
          panel[pOff + j * w + c] = centroids[c * dim + j];
        }
      }
      float[] out = new float[3 + w + 1];
      Arrays.fill(out, SENTINEL);
      k.dots1x64(q, 2, panel, pOff, dim, out, 3);
      float[] x = Arrays.copyOfRange(q, 2, 2 + dim);
      for (int c = 0; c < w; c++) {
        float[] y = Arrays.copyOfRange(centroids, c * dim, (c + 1) * dim);
        assertNear(TestIndexes.dot(x, 0, y, 0, dim), absDot(x, y), out[3 + c],
            "dots1x64 dim=" + dim + " c=" + c);
      }
      assertEquals(SENTINEL, out[2], "dots1x64 wrote before the start");
      assertEquals(SENTINEL, out[3 + w], "dots1x64 wrote past the end");
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void atMost64MarksTheScoresAtMostTheThreshold(VectorKernels k) {
    Random r = new Random(12);
    int w = VectorKernels.PANEL;
    float[] thresholds = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -3f, 2f, Float.NaN};
    for (int trial = 0; trial < 600; trial++) {
      float[] bias = new float[w + 2];
      float[] dots = new float[w + 7];
      for (int c = 0; c < bias.length; c++) {
        bias[c] = trial % 9 == 0 && c % 5 == 0 ? Float.POSITIVE_INFINITY : r.nextInt(8);
      }
      for (int c = 0; c < dots.length; c++) {
        dots[c] = trial % 4 == 0 && c % 7 == 0 ? Float.NaN : r.nextInt(8);
      }
      float t = thresholds[trial % thresholds.length];
      long bits = k.atMost64(bias, 2, dots, 7, t);
      for (int c = 0; c < w; c++) {
        boolean want = bias[2 + c] - dots[7 + c] <= t;
        assertEquals(want, (bits >>> c & 1) == 1, "trial " + trial + " c " + c + " t " + t);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void argMin64FindsTheFirstSmallestScoreBelowTheBound(VectorKernels k) {
    VectorKernels scalar = VectorizationProvider.scalar();
    Random r = new Random(11);
    int w = VectorKernels.PANEL;
    for (int trial = 0; trial < 2000; trial++) {
      float[] bias = new float[w + 3];
      float[] dots = new float[w + 5];
      for (int c = 0; c < bias.length; c++) {
        bias[c] = r.nextInt(8);
      }
      for (int c = 0; c < dots.length; c++) {
        dots[c] = r.nextInt(8); // small integers: many ties
      }
      if (trial % 7 == 0) {
        dots[5 + r.nextInt(w)] = Float.NaN;
      }
      if (trial % 11 == 0) {
        bias[3 + r.nextInt(w)] = -0.0f;
      }
      float bound = trial % 5 == 0 ? Float.POSITIVE_INFINITY : r.nextInt(8) - 8;
      int want = scalar.argMin64(bias, 3, dots, 5, bound);
      assertEquals(want, k.argMin64(bias, 3, dots, 5, bound), "trial " + trial);
      if (want >= 0) {
        float score = bias[3 + want] - dots[5 + want];
        for (int c = 0; c < w; c++) {
          float v = bias[3 + c] - dots[5 + c];
          assertTrue(!(v < score) && (c >= want || v != score), "trial " + trial + " c " + c);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void addScaledReadsTheBufferRow(VectorKernels k) {
    Random rnd = new Random(12);
    for (int len = 1; len <= MAX_LEN; len++) {
      float scale = -2f * TestIndexes.awayFromZero(rnd);
      float[] base = values(rnd, len);
      float[] x = values(rnd, len);
      for (int off : BYTE_OFFSETS) {
        for (boolean direct : new boolean[] {false, true}) {
          float[] out = new float[len + 1];
          out[len] = SENTINEL;
          k.addScaled(buffer(base, off, direct), off, scale, x, out, len);
          for (int i = 0; i < len; i++) {
            assertNear((double) base[i] + (double) scale * x[i],
                Math.abs(base[i]) + Math.abs(scale * x[i]), out[i],
                "addScaled len=" + len + " off=" + off + " i=" + i);
          }
          assertEquals(SENTINEL, out[len], "addScaled wrote past len");
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void dotOfArrays(VectorKernels k) {
    Random rnd = new Random(1);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] a = values(rnd, len);
      float[] b = values(rnd, len);
      int aOff = rnd.nextInt(5);
      int bOff = rnd.nextInt(5);
      double expected = TestIndexes.dot(a, 0, b, 0, len);
      float actual = k.dot(padded(a, aOff), aOff, padded(b, bOff), bOff, len);
      assertNear(expected, absDot(a, b), actual, "dot len=" + len);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void squareDistanceOfArrays(VectorKernels k) {
    Random rnd = new Random(2);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] a = values(rnd, len);
      float[] b = shifted(rnd, a);
      int aOff = rnd.nextInt(5);
      int bOff = rnd.nextInt(5);
      double expected = TestIndexes.squareDistance(a, 0, b, 0, len);
      float actual = k.squareDistance(padded(a, aOff), aOff, padded(b, bOff), bOff, len);
      assertNear(expected, expected, actual, "squareDistance len=" + len);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void dotAgainstLittleEndianBuffer(VectorKernels k) {
    Random rnd = new Random(3);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] q = values(rnd, len);
      float[] b = values(rnd, len);
      double expected = TestIndexes.dot(q, 0, b, 0, len);
      for (int off : BYTE_OFFSETS) {
        for (boolean direct : new boolean[] {false, true}) {
          float actual = k.dot(q, buffer(b, off, direct), off, len);
          assertNear(expected, absDot(q, b), actual,
              "dot len=" + len + " byteOff=" + off + " direct=" + direct);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void squareDistanceAgainstLittleEndianBuffer(VectorKernels k) {
    Random rnd = new Random(4);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] q = values(rnd, len);
      float[] b = shifted(rnd, q);
      double expected = TestIndexes.squareDistance(q, 0, b, 0, len);
      for (int off : BYTE_OFFSETS) {
        for (boolean direct : new boolean[] {false, true}) {
          float actual = k.squareDistance(q, buffer(b, off, direct), off, len);
          assertNear(expected, expected, actual,
              "squareDistance len=" + len + " byteOff=" + off + " direct=" + direct);
        }
      }
    }
  }

  /** Signed bytes at {@code byteOff}, surrounded by 0x7f sentinels that reading outside shows. */
  private static ByteBuffer byteCodes(byte[] codes, int byteOff, boolean direct) {
    int size = byteOff + codes.length + 16;
    ByteBuffer b = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    for (int at = 0; at < size; at++) {
      b.put(at, (byte) 0x7f);
    }
    b.put(byteOff, codes);
    return b;
  }

  /** Random signed bytes over the whole range, both extremes included. */
  private static byte[] randomCodes(Random rnd, int len) {
    byte[] c = new byte[len];
    rnd.nextBytes(c);
    c[0] = Byte.MIN_VALUE;
    c[len - 1] = Byte.MAX_VALUE;
    return c;
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void sq8SquareDistanceDecodesSignedBytes(VectorKernels k) {
    Random rnd = new Random(14);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] q = values(rnd, len);
      float[] step = values(rnd, len);
      byte[] codes = randomCodes(rnd, len);
      double expected = 0;
      for (int i = 0; i < len; i++) {
        double d = q[i] - (double) step[i] * codes[i];
        expected += d * d;
      }
      for (int off : BYTE_OFFSETS) {
        for (boolean direct : new boolean[] {false, true}) {
          float actual = k.sq8SquareDistance(q, step, byteCodes(codes, off, direct), off, len);
          assertNear(expected, expected, actual,
              "sq8SquareDistance len=" + len + " byteOff=" + off + " direct=" + direct);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void sq8DotDecodesSignedBytes(VectorKernels k) {
    Random rnd = new Random(15);
    for (int len = 1; len <= MAX_LEN; len++) {
      float[] w = values(rnd, len);
      byte[] codes = randomCodes(rnd, len);
      double expected = 0;
      double abs = 0;
      for (int i = 0; i < len; i++) {
        expected += (double) w[i] * codes[i];
        abs += Math.abs((double) w[i] * codes[i]);
      }
      for (int off : BYTE_OFFSETS) {
        for (boolean direct : new boolean[] {false, true}) {
          float actual = k.sq8Dot(w, byteCodes(codes, off, direct), off, len);
          assertNear(expected, abs, actual,
              "sq8Dot len=" + len + " byteOff=" + off + " direct=" + direct);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}, m = {1}")
  @MethodSource("kernelsAndM")
  void pqDistancesSumTableEntries(VectorKernels k, int m) {
    Random rnd = new Random(6 + m);
    float[] table = new float[m * 256];
    for (int i = 0; i < table.length; i++) {
      table[i] = 0.5f + rnd.nextFloat();
    }
    for (int n : new int[] {0, 1, 2, 7, 33}) {
      byte[][] codes = new byte[n][m];
      for (byte[] c : codes) {
        rnd.nextBytes(c);
      }
      if (n > 1) {
        Arrays.fill(codes[0], (byte) 0xFF); // the highest code in every sub-space
        Arrays.fill(codes[1], (byte) 0x80);
      }
      for (int off : new int[] {0, 64, 5}) {
        ByteBuffer buf = ByteBuffer.allocate(off + n * m + 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          buf.put(off + i * m, codes[i]);
        }
        float base = TestIndexes.awayFromZero(rnd);
        float[] out = new float[n + 1];
        out[n] = SENTINEL;
        k.pqDistances(buf, off, n, m, table, base, out);
        for (int i = 0; i < n; i++) {
          double expected = base;
          for (int j = 0; j < m; j++) {
            expected += table[j * 256 + (codes[i][j] & 0xff)];
          }
          assertNear(expected, Math.abs(expected), out[i],
              "item " + i + " of " + n + " byteOff=" + off);
        }
        assertEquals(SENTINEL, out[n], "wrote past n results");
      }
    }
  }

  /**
   * Every M that is a multiple of 8 sums each item's lookups in one order, eight at a time as a
   * tree, groups in sub-space order; PQ16 has a loop of its own and must keep that order to the
   * bit (scores are part of the answer, and the golden files hold them).
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void pq16SumsInTheOrderOfEveryOtherM(VectorKernels k) {
    Random rnd = new Random(16);
    float[] table = new float[16 * 256];
    for (int i = 0; i < table.length; i++) {
      table[i] = (rnd.nextFloat() - 0.5f) * (1 << rnd.nextInt(20)); // magnitudes that round
    }
    int n = 37;
    byte[] codes = new byte[n * 16];
    rnd.nextBytes(codes);
    float[] out = new float[n];
    k.pqDistances(ByteBuffer.wrap(codes).order(ByteOrder.LITTLE_ENDIAN), 0, n, 16, table, 3.25f,
        out);
    for (int i = 0; i < n; i++) {
      float s = 3.25f;
      for (int g = 0; g < 16; g += 8) {
        float[] t = new float[8];
        for (int j = 0; j < 8; j++) {
          t[j] = table[(g + j) * 256 + (codes[i * 16 + g + j] & 0xff)];
        }
        s += ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
      }
      assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(out[i]), "item " + i);
    }
  }

  /**
   * The tiled kernels are the same fused multiply-adds, in dimension order, on every path: the
   * provider's must equal the scalar reference bit for bit, or a query probed alone and in a
   * batch (or an item assigned at build time and in a fresh upsert) could land in other lists.
   */
  @org.junit.jupiter.api.Test
  void tiledKernelsEqualTheScalarReferenceBitForBit() {
    VectorKernels chosen = VectorizationProvider.kernels();
    VectorKernels scalar = VectorizationProvider.scalar();
    Random rnd = new Random(15);
    int w = VectorKernels.PANEL;
    for (int dim : new int[] {1, 7, 8, 16, 49, 128, 784}) {
      float[] points = values(rnd, 4 * dim);
      float[] panels = values(rnd, 2 * w * dim);
      float[] expected = new float[4 * w];
      float[] actual = new float[4 * w];
      scalar.dots1x64(points, dim, panels, w * dim, dim, expected, 0);
      chosen.dots1x64(points, dim, panels, w * dim, dim, actual, 0);
      assertArrayEquals(expected, actual, "dots1x64 dim=" + dim);
      scalar.dots4x64(points, 0, 3 * dim, dim, 2 * dim, panels, w * dim, dim, expected);
      chosen.dots4x64(points, 0, 3 * dim, dim, 2 * dim, panels, w * dim, dim, actual);
      assertArrayEquals(expected, actual, "dots4x64 dim=" + dim);
      // Row p of dots4x64 is dots1x64 of point p: a batch probe and a single one agree.
      float[] single = new float[w];
      chosen.dots1x64(points, 3 * dim, panels, w * dim, dim, single, 0);
      assertArrayEquals(single, Arrays.copyOfRange(actual, w, 2 * w), "row 1, dim=" + dim);
    }
  }

  /** An IVF-Flat list scored in blocks equals each vector scored alone, bit for bit. */
  @ParameterizedTest
  @MethodSource("kernels")
  void listKernelsEqualTheOneVectorKernelsBitForBit(VectorKernels k) {
    Random rnd = new Random(16);
    for (int dim : new int[] {1, 7, 8, 19, 128, 784}) {
      for (int n : new int[] {0, 1, 3, 4, 5, 11}) {
        float[] q = values(rnd, dim);
        int off = 12;
        ByteBuffer b = ByteBuffer.allocate(off + 4 * n * dim + 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n * dim; i++) {
          b.putFloat(off + 4 * i, TestIndexes.awayFromZero(rnd));
        }
        float[] l2 = new float[n + 1];
        float[] ip = new float[n + 1];
        l2[n] = SENTINEL;
        ip[n] = SENTINEL;
        k.squareDistances(q, b, off, n, dim, l2);
        k.dots(q, b, off, n, dim, ip);
        for (int i = 0; i < n; i++) {
          String what = "dim=" + dim + " n=" + n + " i=" + i;
          assertEquals(k.squareDistance(q, b, off + 4 * i * dim, dim), l2[i], "l2 " + what);
          assertEquals(k.dot(q, b, off + 4 * i * dim, dim), ip[i], "ip " + what);
        }
        assertEquals(SENTINEL, l2[n], "squareDistances wrote past n");
        assertEquals(SENTINEL, ip[n], "dots wrote past n");
      }
    }
  }
}
