package dev.kiln.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The JDK 25 form of {@code SegmentRows} (the loader jar's {@code META-INF/versions/25}): rows
 * loaded with {@code fromMemorySegment} from the buffer's segment, made once per call (per list
 * for the list scans) and passed as a {@code MemorySegment}, never per load (C2 then leaves it
 * an object, session 35's JMH: 18 KB allocated per four-query call). The arithmetic is
 * {@code PanamaKernels}' buffer kernels' (four accumulators over chunks of 4 x L floats, then
 * one, (a0 + a1) + (a2 + a3), the scalar tail), and the same as {@code PanamaArrayRows}' on the
 * same JDK, so mapped and in-heap lists score alike. Against JDK 17 the last bit of a score may
 * differ: the order of {@code reduceLanes(ADD)} over a vector's lanes is each JIT's own.
 *
 * <p>What C2 emits here (JDK 25, AVX-512, session 37): per chunk, one add of the segment's
 * address and, per row load, one compare against the segment's size, then {@code vsubps} with
 * the row as its memory operand and {@code vfmadd231ps}. There are no field reloads (JDK 17's
 * buffer kernel has four per load). In cache 64 rows take 3.1 us against JDK 17's 5.4 from a
 * buffer. From memory it is slower, for a reason not found yet. JMH {@code FlatMemoryBenchmark}
 * (a mapped file) gives 9.4 us a list against JDK 17's 7.9. That is with the row loop in the same
 * method as the chunk loop; with a one-row kernel called per row, which C2 did not inline ("hot
 * method too big", 397 bytes), it was 11.5 us.
 */
final class SegmentRows {
  static boolean available() {
    return true;
  }

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

  /** Rows shorter than one vector: PanamaKernels' own fallback, for the same bits. */
  private static final ScalarKernels SCALAR = new ScalarKernels();

  private SegmentRows() {}

  /**
   * Rows shorter than one vector (PanamaKernels' own fallback) and heap buffers: a heap
   * buffer's segment falls off the load intrinsic here (25-50x slower than scalar code).
   */
  private static boolean scalar(ByteBuffer b, int len) {
    return len < L || !b.isDirect();
  }

  /** The buffer's memory from index 0 to its limit: offsets stay absolute. */
  private static MemorySegment segment(ByteBuffer b) {
    return MemorySegment.ofBuffer(b.position() == 0 ? b : b.duplicate().position(0));
  }

  static float squareDistance(float[] q, ByteBuffer b, int off, int len) {
    return scalar(b, len) ? SCALAR.squareDistance(q, b, off, len)
        : squareDistances(q, segment(b), off, 1, len, null);
  }

  static float dot(float[] q, ByteBuffer b, int off, int len) {
    return scalar(b, len) ? SCALAR.dot(q, b, off, len) : dots(q, segment(b), off, 1, len, null);
  }

  static void squareDistances(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
    if (scalar(b, len)) {
      SCALAR.squareDistances(q, b, off, n, len, out);
      return;
    }
    squareDistances(q, segment(b), off, n, len, out);
  }

  static void dots(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
    if (scalar(b, len)) {
      SCALAR.dots(q, b, off, n, len, out);
      return;
    }
    dots(q, segment(b), off, n, len, out);
  }

  /**
   * Squared L2 from q to n consecutive rows from byte {@code off} into {@code out} (null: one
   * row, whose distance is returned), one loop nest: a one-row kernel called per row is too big
   * for C2 to inline (397 bytes), and the calls cost 12-15% of a scan from memory (session 37).
   *
   * @return the last row's distance
   */
  private static float squareDistances(float[] q, MemorySegment m, long off, int n, int len,
      float[] out) {
    float s = 0;
    for (int v = 0; v < n; v++) {
      long row = off + 4L * v * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        long at = row + 4L * i;
        FloatVector d0 = FloatVector.fromArray(S, q, i)
            .sub(FloatVector.fromMemorySegment(S, m, at, LE));
        FloatVector d1 = FloatVector.fromArray(S, q, i + L)
            .sub(FloatVector.fromMemorySegment(S, m, at + 4 * L, LE));
        FloatVector d2 = FloatVector.fromArray(S, q, i + 2 * L)
            .sub(FloatVector.fromMemorySegment(S, m, at + 8 * L, LE));
        FloatVector d3 = FloatVector.fromArray(S, q, i + 3 * L)
            .sub(FloatVector.fromMemorySegment(S, m, at + 12 * L, LE));
        a0 = d0.fma(d0, a0);
        a1 = d1.fma(d1, a1);
        a2 = d2.fma(d2, a2);
        a3 = d3.fma(d3, a3);
      }
      for (; i + L <= len; i += L) {
        FloatVector d = FloatVector.fromArray(S, q, i)
            .sub(FloatVector.fromMemorySegment(S, m, row + 4L * i, LE));
        a0 = d.fma(d, a0);
      }
      s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        float d = q[i] - m.get(FLOAT_LE, row + 4L * i);
        s += d * d;
      }
      if (out != null) {
        out[v] = s;
      }
    }
    return s;
  }

  /** As the squared-L2 loop nest above, for the inner product. */
  private static float dots(float[] q, MemorySegment m, long off, int n, int len, float[] out) {
    float s = 0;
    for (int v = 0; v < n; v++) {
      long row = off + 4L * v * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        long at = row + 4L * i;
        a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromMemorySegment(S, m, at, LE), a0);
        a1 = FloatVector.fromArray(S, q, i + L)
            .fma(FloatVector.fromMemorySegment(S, m, at + 4 * L, LE), a1);
        a2 = FloatVector.fromArray(S, q, i + 2 * L)
            .fma(FloatVector.fromMemorySegment(S, m, at + 8 * L, LE), a2);
        a3 = FloatVector.fromArray(S, q, i + 3 * L)
            .fma(FloatVector.fromMemorySegment(S, m, at + 12 * L, LE), a3);
      }
      for (; i + L <= len; i += L) {
        a0 = FloatVector.fromArray(S, q, i)
            .fma(FloatVector.fromMemorySegment(S, m, row + 4L * i, LE), a0);
      }
      s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        s += q[i] * m.get(FLOAT_LE, row + 4L * i);
      }
      if (out != null) {
        out[v] = s;
      }
    }
    return s;
  }
}
