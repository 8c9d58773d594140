package dev.kiln.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The IVF-Flat list scans of {@link PanamaKernels} over a {@code float[]} instead of a buffer
 * (lists read into the heap, {@code OpenOptions.inHeap}), with the same arithmetic: four
 * accumulators over chunks of 4 x L floats, then one, combined as (a0 + a1) + (a2 + a3), then
 * the scalar tail, so a distance has the same bits as from the mapped file. Why a second form:
 * on JDK 17 each {@code fromByteBuffer} re-reads the buffer's limit, base, address and scope
 * (C2 keeps them inside the loop), while array loads have their bounds checks hoisted. JMH
 * {@code flatList64} at d = 784: 6.0 us from a direct buffer, 5.6 from a heap buffer, 3.6 from
 * an array; Fashion-MNIST IVF1024,Flat, one query per call at nprobe 16: 5.3-5.4k QPS from
 * arrays against 4.0-4.1k mapped.
 *
 * <p>What C2 must keep emitting (JDK 17, AVX-512, {@code -XX:CompileCommand=print}, session
 * 37): {@code vmovdqu32} loads of q, {@code vsubps} with the row's chunk as its memory operand
 * and {@code vfmadd231ps}, the main loop unrolled twice. There is one range check per load,
 * with no reads of any object's fields in the loop, unlike the buffer form (see
 * {@code PanamaKernels.squareDistance}).
 */
final class PanamaArrayRows {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private PanamaArrayRows() {}

  /** {@code out[v]} = squared L2 from {@code q} to the v-th of n rows of len from {@code off}. */
  static void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out) {
    for (int v = 0; v < n; v++) {
      int base = off + v * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        FloatVector d0 = FloatVector.fromArray(S, q, i)
            .sub(FloatVector.fromArray(S, rows, base + i));
        FloatVector d1 = FloatVector.fromArray(S, q, i + L)
            .sub(FloatVector.fromArray(S, rows, base + i + L));
        FloatVector d2 = FloatVector.fromArray(S, q, i + 2 * L)
            .sub(FloatVector.fromArray(S, rows, base + i + 2 * L));
        FloatVector d3 = FloatVector.fromArray(S, q, i + 3 * L)
            .sub(FloatVector.fromArray(S, rows, base + i + 3 * L));
        a0 = d0.fma(d0, a0);
        a1 = d1.fma(d1, a1);
        a2 = d2.fma(d2, a2);
        a3 = d3.fma(d3, a3);
      }
      for (; i + L <= len; i += L) {
        FloatVector d = FloatVector.fromArray(S, q, i)
            .sub(FloatVector.fromArray(S, rows, base + i));
        a0 = d.fma(d, a0);
      }
      float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        float d = q[i] - rows[base + i];
        s += d * d;
      }
      out[v] = s;
    }
  }

  /** {@code out[v]} = the inner product of {@code q} with the v-th of n rows from {@code off}. */
  static void dots(float[] q, float[] rows, int off, int n, int len, float[] out) {
    for (int v = 0; v < n; v++) {
      int base = off + v * len;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      int i = 0;
      for (; i + 4 * L <= len; i += 4 * L) {
        a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, rows, base + i), a0);
        a1 = FloatVector.fromArray(S, q, i + L)
            .fma(FloatVector.fromArray(S, rows, base + i + L), a1);
        a2 = FloatVector.fromArray(S, q, i + 2 * L)
            .fma(FloatVector.fromArray(S, rows, base + i + 2 * L), a2);
        a3 = FloatVector.fromArray(S, q, i + 3 * L)
            .fma(FloatVector.fromArray(S, rows, base + i + 3 * L), a3);
      }
      for (; i + L <= len; i += L) {
        a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, rows, base + i), a0);
      }
      float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      for (; i < len; i++) {
        s += q[i] * rows[base + i];
      }
      out[v] = s;
    }
  }
}
