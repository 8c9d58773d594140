package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * The distance kernels every hot loop in Kiln runs: k-means assignment, PQ encoding, coarse
 * search, table building and list scans. Written once here; {@link VectorizationProvider} picks
 * an implementation at start-up. Buffers passed in are little-endian.
 */
public interface VectorKernels {

  /** Sum of a[aOff+i] * b[bOff+i] for i in [0, len). */
  float dot(float[] a, int aOff, float[] b, int bOff, int len);

  /** Sum of (a[aOff+i] - b[bOff+i])^2 for i in [0, len). */
  float squareDistance(float[] a, int aOff, float[] b, int bOff, int len);

  /** {@link #dot} against {@code len} little-endian floats stored at {@code byteOff} of a buffer. */
  float dot(float[] q, ByteBuffer b, int byteOff, int len);

  /** {@link #squareDistance} against {@code len} little-endian floats stored in a buffer. */
  float squareDistance(float[] q, ByteBuffer b, int byteOff, int len);

  /**
   * Dot products of four rows of {@code a} (starting at a0..a3) with one row of {@code b}: the
   * k-means and encoding micro-kernel (each load of {@code b} serves four rows).
   */
  void dot4(float[] a, int a0, int a1, int a2, int a3, float[] b, int bOff, int len, float[] out);

  /**
   * Asymmetric distance of {@code n} PQ codes of {@code m} bytes stored at {@code byteOff}:
   * {@code out[i] = base + sum_j table[j * 256 + code[i][j]]}.
   */
  void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out);

  /** Centroids per tile in {@link #dots4x16}'s transposed layout. */
  int TILE = 16;

  /**
   * Dot products of four points with a tile of {@link #TILE} centroids stored transposed
   * ({@code tile[tOff + j * TILE + c]} is dimension j of centroid c): {@code out[p * TILE + c]}
   * for p in 0..3. The GEMM micro-kernel of k-means assignment: per dimension one row load,
   * four broadcasts and four multiply-adds, and no horizontal sums.
   */
  void dots4x16(float[] points, int r0, int r1, int r2, int r3, float[] tile, int tOff, int dim,
      float[] out);

  /**
   * Dot products of one vector with four consecutive tiles ({@code 4 * TILE} centroids) in
   * {@link #dots4x16}'s layout, the first at {@code tOff}: {@code out[outOff + i]} for i in
   * [0, 4 * TILE). The coarse search kernel: per dimension one broadcast, four loads and four
   * independent multiply-adds, and no horizontal sums.
   */
  void dots1x64(float[] q, int qOff, float[] tiles, int tOff, int dim, float[] out, int outOff);

  /** {@code y[yOff+i] += a * x[xOff+i]} for i in [0, len): builds tables from transposed data. */
  void axpy(float a, float[] x, int xOff, float[] y, int yOff, int len);

  /**
   * {@code out[i] = base[i] + scale * x[i]} for i in [0, len), where {@code base} is {@code len}
   * little-endian floats at {@code byteOff} of a buffer (a row of a mapped table).
   */
  void addScaled(ByteBuffer base, int byteOff, float scale, float[] x, float[] out, int len);

  /**
   * Square distance to an SQ8-coded vector: {@code sum_i (q[i] - step[i] * b_i)^2} over the
   * {@code len} signed bytes {@code b} at {@code byteOff}. With {@code q} = query - base, this is
   * the L2 distance to the decoded vector {@code base + step * b}.
   */
  float sq8SquareDistance(float[] q, float[] step, ByteBuffer codes, int byteOff, int len);

  /**
   * {@code sum_i w[i] * b_i} over {@code len} signed bytes at {@code byteOff}: with {@code w} =
   * query * step, the query-dependent part of the inner product with an SQ8-coded vector.
   */
  float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len);

  /** A short name for logs: "scalar" or "panama(256-bit)". */
  String name();
}
