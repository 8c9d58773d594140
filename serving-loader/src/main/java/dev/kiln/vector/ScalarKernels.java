package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * Plain Java kernels: the reference every other implementation is tested against. Loops keep
 * four independent accumulators so the CPU can overlap the multiply-adds.
 */
final class ScalarKernels implements VectorKernels {

  @Override
  public void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff) {
    out[outOff] = dot(q, qOff, m, o0, len);
    out[outOff + 1] = dot(q, qOff, m, o1, len);
    out[outOff + 2] = dot(q, qOff, m, o2, len);
    out[outOff + 3] = dot(q, qOff, m, o3, len);
  }

  @Override
  public void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3,
      int len, float[] out, int outOff) {
    out[outOff] = squareDistance(q, qOff, m, o0, len);
    out[outOff + 1] = squareDistance(q, qOff, m, o1, len);
    out[outOff + 2] = squareDistance(q, qOff, m, o2, len);
    out[outOff + 3] = squareDistance(q, qOff, m, o3, len);
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      s0 += a[aOff + i] * b[bOff + i];
      s1 += a[aOff + i + 1] * b[bOff + i + 1];
      s2 += a[aOff + i + 2] * b[bOff + i + 2];
      s3 += a[aOff + i + 3] * b[bOff + i + 3];
    }
    for (; i < len; i++) {
      s0 += a[aOff + i] * b[bOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float squareDistance(float[] a, int aOff, float[] b, int bOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      float d0 = a[aOff + i] - b[bOff + i];
      float d1 = a[aOff + i + 1] - b[bOff + i + 1];
      float d2 = a[aOff + i + 2] - b[bOff + i + 2];
      float d3 = a[aOff + i + 3] - b[bOff + i + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < len; i++) {
      float d = a[aOff + i] - b[bOff + i];
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float dot(float[] q, ByteBuffer b, int byteOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      int at = byteOff + 4 * i;
      s0 += q[i] * b.getFloat(at);
      s1 += q[i + 1] * b.getFloat(at + 4);
      s2 += q[i + 2] * b.getFloat(at + 8);
      s3 += q[i + 3] * b.getFloat(at + 12);
    }
    for (; i < len; i++) {
      s0 += q[i] * b.getFloat(byteOff + 4 * i);
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float squareDistance(float[] q, ByteBuffer b, int byteOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      int at = byteOff + 4 * i;
      float d0 = q[i] - b.getFloat(at);
      float d1 = q[i + 1] - b.getFloat(at + 4);
      float d2 = q[i + 2] - b.getFloat(at + 8);
      float d3 = q[i + 3] - b.getFloat(at + 12);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < len; i++) {
      float d = q[i] - b.getFloat(byteOff + 4 * i);
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    for (int i = 0; i < n; i++) {
      out[i] = squareDistance(q, b, byteOff + i * 4 * len, len);
    }
  }

  @Override
  public void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    for (int i = 0; i < n; i++) {
      out[i] = dot(q, b, byteOff + i * 4 * len, len);
    }
  }

  /** As {@link #squareDistances(float[], ByteBuffer, int, int, int, float[])}, from an array. */
  @Override
  public void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out) {
    ScalarArrayRows.squareDistances(q, rows, off, n, len, out);
  }

  /** As {@link #dots(float[], ByteBuffer, int, int, int, float[])}, from an array. */
  @Override
  public void dots(float[] q, float[] rows, int off, int n, int len, float[] out) {
    ScalarArrayRows.dots(q, rows, off, n, len, out);
  }

  @Override
  public void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out) {
    if (m == 16) {
      pqDistances16(codes, byteOff, n, table, base, out);
      return;
    }
    int at = byteOff;
    if ((m & 7) == 0) {
      // Eight codes per 64-bit read: far fewer bounds checks than byte reads. Four items at a
      // time, so four independent sums keep the core busy while table loads are in flight;
      // each item's eight lookups are summed as a tree (three dependent additions, not eight).
      int i = 0;
      for (; i + 4 <= n; i += 4) {
        float s0 = base;
        float s1 = base;
        float s2 = base;
        float s3 = base;
        for (int j = 0; j < m; j += 8) {
          int t = j << 8;
          s0 += sum8(table, t, codes.getLong(at + j));
          s1 += sum8(table, t, codes.getLong(at + m + j));
          s2 += sum8(table, t, codes.getLong(at + 2 * m + j));
          s3 += sum8(table, t, codes.getLong(at + 3 * m + j));
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
        at += 4 * m;
      }
      for (; i < n; i++) {
        float s = base;
        for (int j = 0; j < m; j += 8) {
          s += sum8(table, j << 8, codes.getLong(at + j));
        }
        out[i] = s;
        at += m;
      }
    } else {
      for (int i = 0; i < n; i++) {
        float s = base;
        for (int j = 0; j < m; j++) {
          s += table[(j << 8) + (codes.get(at++) & 0xff)];
        }
        out[i] = s;
      }
    }
  }

  /**
   * PQ16, the general loop with M fixed: the two 64-bit reads per item at constant offsets and
   * no inner loop. C2 keeps the general loop's inner loop over M as a loop (its trip count is a
   * parameter), which costs as much again as the lookups; here it is gone, twice as fast. The
   * same sums in the same order as the general loop.
   */
  private static void pqDistances16(
      ByteBuffer codes, int byteOff, int n, float[] table, float base, float[] out) {
    int at = byteOff;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      float s0 = base + sum8(table, 0, codes.getLong(at));
      float s1 = base + sum8(table, 0, codes.getLong(at + 16));
      float s2 = base + sum8(table, 0, codes.getLong(at + 32));
      float s3 = base + sum8(table, 0, codes.getLong(at + 48));
      out[i] = s0 + sum8(table, 2048, codes.getLong(at + 8));
      out[i + 1] = s1 + sum8(table, 2048, codes.getLong(at + 24));
      out[i + 2] = s2 + sum8(table, 2048, codes.getLong(at + 40));
      out[i + 3] = s3 + sum8(table, 2048, codes.getLong(at + 56));
      at += 64;
    }
    for (; i < n; i++) {
      out[i] = (base + sum8(table, 0, codes.getLong(at))) + sum8(table, 2048, codes.getLong(at + 8));
      at += 16;
    }
  }

  /** The table entries of eight sub-codes packed little-endian in {@code w}, from row t. */
  private static float sum8(float[] table, int t, long w) {
    float a01 = table[t + (int) (w & 0xff)] + table[t + 256 + (int) ((w >>> 8) & 0xff)];
    float a23 = table[t + 512 + (int) ((w >>> 16) & 0xff)]
        + table[t + 768 + (int) ((w >>> 24) & 0xff)];
    float a45 = table[t + 1024 + (int) ((w >>> 32) & 0xff)]
        + table[t + 1280 + (int) ((w >>> 40) & 0xff)];
    float a67 = table[t + 1536 + (int) ((w >>> 48) & 0xff)] + table[t + 1792 + (int) (w >>> 56)];
    return (a01 + a23) + (a45 + a67);
  }

  @Override
  public long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold) {
    long bits = 0;
    for (int c = 0; c < PANEL; c++) {
      if (bias[bOff + c] - dots[dOff + c] <= threshold) {
        bits |= 1L << c;
      }
    }
    return bits;
  }

  @Override
  public int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound) {
    float b = bound;
    int arg = -1;
    for (int c = 0; c < PANEL; c++) {
      float v = bias[bOff + c] - dots[dOff + c];
      if (v < b) {
        b = v;
        arg = c;
      }
    }
    return arg;
  }

  @Override
  public void addScaled(ByteBuffer base, int byteOff, float scale, float[] x, float[] out, int len) {
    for (int i = 0; i < len; i++) {
      out[i] = base.getFloat(byteOff + 4 * i) + scale * x[i];
    }
  }

  @Override
  public void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff,
      int dim, float[] out) {
    java.util.Arrays.fill(out, 0, 4 * PANEL, 0f);
    for (int j = 0; j < dim; j++) {
      float x0 = points[r0 + j], x1 = points[r1 + j], x2 = points[r2 + j], x3 = points[r3 + j];
      int row = pOff + j * PANEL;
      // Fused multiply-adds, as the Vector API path does, so both give the same bits.
      for (int c = 0; c < PANEL; c++) {
        float v = panel[row + c];
        out[c] = Math.fma(x0, v, out[c]);
        out[PANEL + c] = Math.fma(x1, v, out[PANEL + c]);
        out[2 * PANEL + c] = Math.fma(x2, v, out[2 * PANEL + c]);
        out[3 * PANEL + c] = Math.fma(x3, v, out[3 * PANEL + c]);
      }
    }
  }

  @Override
  public void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out,
      int outOff) {
    java.util.Arrays.fill(out, outOff, outOff + PANEL, 0f);
    for (int j = 0; j < dim; j++) {
      float x = q[qOff + j];
      int row = pOff + j * PANEL;
      for (int c = 0; c < PANEL; c++) {
        out[outOff + c] = Math.fma(x, panel[row + c], out[outOff + c]);
      }
    }
  }

  @Override
  public float sq8SquareDistance(float[] q, float[] step, ByteBuffer codes, int byteOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      int at = byteOff + i;
      float d0 = q[i] - step[i] * codes.get(at);
      float d1 = q[i + 1] - step[i + 1] * codes.get(at + 1);
      float d2 = q[i + 2] - step[i + 2] * codes.get(at + 2);
      float d3 = q[i + 3] - step[i + 3] * codes.get(at + 3);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < len; i++) {
      float d = q[i] - step[i] * codes.get(byteOff + i);
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < len; i += 4) {
      int at = byteOff + i;
      s0 += w[i] * codes.get(at);
      s1 += w[i + 1] * codes.get(at + 1);
      s2 += w[i + 2] * codes.get(at + 2);
      s3 += w[i + 3] * codes.get(at + 3);
    }
    for (; i < len; i++) {
      s0 += w[i] * codes.get(byteOff + i);
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public void fastScan(ByteBuffer codes, int byteOff, int blocks, int pairs, byte[] lut,
      int limit, float bias, float scale, float[] out) {
    int[] sums = new int[32];
    for (int b = 0; b < blocks; b++) {
      int block = byteOff + 32 * pairs * b;
      java.util.Arrays.fill(sums, 0);
      for (int p = 0; p < pairs; p++) {
        int at = block + 32 * p;
        for (int k = 0; k < 32; k++) {
          int c = codes.get(at + k) & 0xff;
          // Byte 2k is item k, byte 2k + 1 item 16 + k.
          int item = (k & 1) == 0 ? k >> 1 : 16 + (k >> 1);
          sums[item] += (lut[32 * p + (c & 15)] & 0xff) + (lut[32 * p + 16 + (c >>> 4)] & 0xff);
        }
      }
      boolean any = false;
      for (int s : sums) {
        any |= s <= limit;
      }
      for (int i = 0; i < 32; i++) {
        out[32 * b + i] = any ? Math.fma(sums[i], scale, bias) : Float.POSITIVE_INFINITY;
      }
    }
  }

  /** 2^23: adding it to a float in [0, 2^23) leaves the value rounded in the low bits. */
  static final float ROUNDER = 8388608f;

  @Override
  public float quantizeTables(float[] table, int m, byte[] lut, float[] mins) {
    float widest = 0;
    float minSum = 0;
    for (int j = 0; j < m; j++) {
      float lo = table[16 * j];
      float hi = lo;
      for (int c = 1; c < 16; c++) {
        float v = table[16 * j + c];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
      mins[1 + j] = lo;
      minSum += lo;
      widest = hi - lo > widest ? hi - lo : widest;
    }
    float scale = widest > 0 ? widest / 255f : 1f;
    float inv = 1f / scale;
    for (int j = 0; j < m; j++) {
      float lo = mins[1 + j];
      for (int c = 0; c < 16; c++) {
        float q = (table[16 * j + c] - lo) * inv;
        // q in [0, 255] plus 2^23: the float's low mantissa bits are q rounded to the nearest
        // integer (ties to even); no float-to-int conversion and its range checks.
        lut[16 * j + c] = (byte) Float.floatToRawIntBits((q < 255f ? q : 255f) + ROUNDER);
      }
    }
    mins[0] = minSum;
    return scale;
  }

  @Override
  public String name() {
    return "scalar";
  }
}
