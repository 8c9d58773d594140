package dev.kiln.vector;

/**
 * The IVF-Flat list scans of {@link ScalarKernels} over a {@code float[]} (lists read into the
 * heap) with the buffer forms' arithmetic, four partial sums combined as (s0 + s1) + (s2 + s3),
 * so the bits are the same: the scalar counterpart of {@link PanamaArrayRows}.
 */
final class ScalarArrayRows {
  private ScalarArrayRows() {}

  /** ScalarKernels' buffer squareDistance, row after row, from an array instead. */
  static void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out) {
    for (int v = 0; v < n; v++) {
      int base = off + v * len;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int i = 0;
      for (; i + 3 < len; i += 4) {
        float d0 = q[i] - rows[base + i];
        float d1 = q[i + 1] - rows[base + i + 1];
        float d2 = q[i + 2] - rows[base + i + 2];
        float d3 = q[i + 3] - rows[base + i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      for (; i < len; i++) {
        float d = q[i] - rows[base + i];
        s0 += d * d;
      }
      out[v] = (s0 + s1) + (s2 + s3);
    }
  }

  /** ScalarKernels' buffer dot, row after row, from an array instead. */
  static void dots(float[] q, float[] rows, int off, int n, int len, float[] out) {
    for (int v = 0; v < n; v++) {
      int base = off + v * len;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int i = 0;
      for (; i + 3 < len; i += 4) {
        s0 += q[i] * rows[base + i];
        s1 += q[i + 1] * rows[base + i + 1];
        s2 += q[i + 2] * rows[base + i + 2];
        s3 += q[i + 3] * rows[base + i + 3];
      }
      for (; i < len; i++) {
        s0 += q[i] * rows[base + i];
      }
      out[v] = (s0 + s1) + (s2 + s3);
    }
  }
}
