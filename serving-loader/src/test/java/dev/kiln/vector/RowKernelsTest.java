package dev.kiln.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VectorKernels#squareDistance4}, {@link VectorKernels#sq8SquareDistance4} and {@link
 * VectorKernels#sq8Dot4}: bit for bit four one-row calls of the same kernels; the four-query
 * list kernels, bit for bit four one-query list calls.
 */
class RowKernelsTest {

  static Stream<Arguments> kernelsAndLength() {
    return VectorKernelsTest.kernels().flatMap(k -> Stream.of(7, 16, 63, 64, 65, 100, 784)
        .map(len -> Arguments.of(k, len)));
  }

  @ParameterizedTest(name = "{0}, len={1}")
  @MethodSource("kernelsAndLength")
  void fourRowsAreFourCalls(VectorKernels k, int len) {
    Random rnd = new Random(len);
    float[] q = new float[len];
    for (int i = 0; i < len; i++) {
      q[i] = (float) rnd.nextGaussian();
    }
    // Two buffers, rows at scattered (and unaligned) offsets, one row used twice.
    ByteBuffer a = filled(rnd, 4 * len * 10 + 12);
    ByteBuffer b = filled(rnd, 4 * len * 10 + 12);
    int[] offsets = {4, 4 * len * 7 + 8, 4 * len * 3, 4 * len * 7 + 8};
    ByteBuffer[] buffers = {a, b, a, a};
    float[] out = new float[4];
    k.squareDistance4(q, buffers[0], offsets[0], buffers[1], offsets[1], buffers[2], offsets[2],
        buffers[3], offsets[3], len, out);
    for (int r = 0; r < 4; r++) {
      assertEquals(k.squareDistance(q, buffers[r], offsets[r], len), out[r], "row " + r);
    }
  }

  /** SQ8 rows: scattered, unaligned, one repeated, over heap and direct buffers. */
  @ParameterizedTest(name = "{0}, len={1}")
  @MethodSource("kernelsAndLength")
  void fourSq8RowsAreFourCalls(VectorKernels k, int len) {
    Random rnd = new Random(len + 1);
    float[] q = new float[len];
    float[] step = new float[len];
    for (int i = 0; i < len; i++) {
      q[i] = (float) rnd.nextGaussian();
      step[i] = rnd.nextFloat() / 64;
    }
    for (boolean direct : new boolean[] {false, true}) {
      byte[] bytes = new byte[len * 9 + 5];
      rnd.nextBytes(bytes);
      ByteBuffer codes = direct ? ByteBuffer.allocateDirect(bytes.length).put(bytes).flip()
          : ByteBuffer.wrap(bytes);
      int[] o = {3, len * 6 + 1, len * 2, len * 6 + 1};
      float[] out = new float[4];
      k.sq8SquareDistance4(q, step, codes, o[0], o[1], o[2], o[3], len, out);
      for (int r = 0; r < 4; r++) {
        assertEquals(k.sq8SquareDistance(q, step, codes, o[r], len), out[r], "L2 row " + r);
      }
      k.sq8Dot4(q, codes, o[0], o[1], o[2], o[3], len, out);
      for (int r = 0; r < 4; r++) {
        assertEquals(k.sq8Dot(q, codes, o[r], len), out[r], "dot row " + r);
      }
    }
  }

  /**
   * Four queries against one list of 5 vectors (unaligned, heap and direct buffers, a query
   * given twice): each output is the one-query list kernel's, bit for bit, L2 and inner product.
   */
  @ParameterizedTest(name = "{0}, len={1}")
  @MethodSource("kernelsAndLength")
  void fourQueriesAreFourCalls(VectorKernels k, int len) {
    Random rnd = new Random(len + 2);
    float[][] q = new float[4][len];
    for (int j = 0; j < 3; j++) {
      for (int i = 0; i < len; i++) {
        q[j][i] = (float) rnd.nextGaussian();
      }
    }
    q[3] = q[1];
    int n = 5;
    ByteBuffer direct = filled(rnd, 4 * len * n + 8);
    byte[] bytes = new byte[direct.capacity()];
    direct.get(0, bytes);
    ByteBuffer heap = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (ByteBuffer b : new ByteBuffer[] {direct, heap}) {
      float[][] out = new float[4][n];
      float[] one = new float[n];
      k.squareDistances(q[0], q[1], q[2], q[3], b, 4, n, len, out[0], out[1], out[2], out[3]);
      for (int j = 0; j < 4; j++) {
        k.squareDistances(q[j], b, 4, n, len, one);
        for (int v = 0; v < n; v++) {
          assertEquals(Float.floatToRawIntBits(one[v]), Float.floatToRawIntBits(out[j][v]),
              "L2 query " + j + " vector " + v);
        }
      }
      k.dots(q[0], q[1], q[2], q[3], b, 4, n, len, out[0], out[1], out[2], out[3]);
      for (int j = 0; j < 4; j++) {
        k.dots(q[j], b, 4, n, len, one);
        for (int v = 0; v < n; v++) {
          assertEquals(Float.floatToRawIntBits(one[v]), Float.floatToRawIntBits(out[j][v]),
              "dot query " + j + " vector " + v);
        }
      }
    }
  }

  /**
   * A list held in a float array (an in-heap IVF-Flat shard) scores as the same list in a
   * buffer, bit for bit, L2 and inner product, from an offset inside the array.
   */
  @ParameterizedTest(name = "{0}, len={1}")
  @MethodSource("kernelsAndLength")
  void arrayRowsAreBufferRows(VectorKernels k, int len) {
    Random rnd = new Random(len + 3);
    float[] q = new float[len];
    for (int i = 0; i < len; i++) {
      q[i] = (float) rnd.nextGaussian();
    }
    int n = 5;
    ByteBuffer b = filled(rnd, 4 * len * n + 8);
    float[] rows = new float[b.capacity() / 4];
    b.asFloatBuffer().get(rows);
    float[] fromBuffer = new float[n];
    float[] fromArray = new float[n];
    k.squareDistances(q, b, 4, n, len, fromBuffer);
    k.squareDistances(q, rows, 1, n, len, fromArray);
    for (int v = 0; v < n; v++) {
      assertEquals(Float.floatToRawIntBits(fromBuffer[v]), Float.floatToRawIntBits(fromArray[v]),
          "L2 vector " + v);
    }
    k.dots(q, b, 4, n, len, fromBuffer);
    k.dots(q, rows, 1, n, len, fromArray);
    for (int v = 0; v < n; v++) {
      assertEquals(Float.floatToRawIntBits(fromBuffer[v]), Float.floatToRawIntBits(fromArray[v]),
          "dot vector " + v);
    }
  }

  private static ByteBuffer filled(Random rnd, int bytes) {
    ByteBuffer buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 4 <= bytes; i += 4) {
      buf.putFloat(i, (float) rnd.nextGaussian());
    }
    return buf;
  }
}
