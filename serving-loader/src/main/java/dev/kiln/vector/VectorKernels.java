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

  /**
   * {@link #dot(float[], int, float[], int, int)} of {@code q} with four rows of {@code m} at
   * offsets {@code o0 .. o3}, into {@code out[outOff .. outOff + 3]}: bit for bit four calls of
   * {@code dot(q, qOff, m, o, len)}, with {@code q} read once and four independent rows in
   * flight. The HNSW walk over the centroids scores a node's scattered neighbours this way.
   */
  void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff);

  /** Sum of (a[aOff+i] - b[bOff+i])^2 for i in [0, len). */
  float squareDistance(float[] a, int aOff, float[] b, int bOff, int len);

  /**
   * {@link #squareDistance(float[], int, float[], int, int)} of {@code q} to four rows of
   * {@code m} at offsets {@code o0 .. o3}, into {@code out[outOff .. outOff + 3]}: bit for bit
   * four one-row calls, with {@code q} read once and four rows in flight. The HNSW builder
   * scores a node's scattered neighbours this way.
   */
  void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff);

  /** {@link #dot} against {@code len} little-endian floats stored at {@code byteOff} of a buffer. */
  float dot(float[] q, ByteBuffer b, int byteOff, int len);

  /** {@link #squareDistance} against {@code len} little-endian floats stored in a buffer. */
  float squareDistance(float[] q, ByteBuffer b, int byteOff, int len);

  /**
   * {@link #squareDistance(float[], ByteBuffer, int, int)} of {@code q} to four stored vectors,
   * each in its own buffer at its own offset, into {@code out[0 .. 3]}: bit for bit four calls,
   * with the four vectors' memory reads in flight together. The refine stage re-scores rows
   * scattered over mapped files this way.
   */
  void squareDistance4(float[] q, ByteBuffer b0, int o0, ByteBuffer b1, int o1, ByteBuffer b2,
      int o2, ByteBuffer b3, int o3, int len, float[] out);

  /**
   * {@link #squareDistance(float[], ByteBuffer, int, int)} of {@code q} to each of {@code n}
   * vectors stored one after another from {@code byteOff} (an IVF-Flat list): {@code out[i]}.
   * Bit for bit the one-vector kernel's result, several vectors in flight at once.
   */
  void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out);

  /** {@link #dot(float[], ByteBuffer, int, int)} with each of {@code n} stored vectors. */
  void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out);

  /**
   * {@link #squareDistances} of four queries to the same {@code n} stored vectors, into
   * {@code out0 .. out3}: bit for bit four one-query calls (this default makes them), each
   * vector read once for the four where a kernel can. Batch search scans an IVF-Flat list so for
   * the block's queries that probe it.
   */
  default void squareDistances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int byteOff, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    squareDistances(q0, b, byteOff, n, len, out0);
    squareDistances(q1, b, byteOff, n, len, out1);
    squareDistances(q2, b, byteOff, n, len, out2);
    squareDistances(q3, b, byteOff, n, len, out3);
  }

  /** {@link #dots} of four queries with the same stored vectors, as the four-query L2 form. */
  default void dots(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b, int byteOff,
      int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    dots(q0, b, byteOff, n, len, out0);
    dots(q1, b, byteOff, n, len, out1);
    dots(q2, b, byteOff, n, len, out2);
    dots(q3, b, byteOff, n, len, out3);
  }

  /**
   * Asymmetric distance of {@code n} PQ codes of {@code m} bytes stored at {@code byteOff}:
   * {@code out[i] = base + sum_j table[j * 256 + code[i][j]]}.
   */
  void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out);

  /**
   * Fast-scan of 4-bit PQ codes laid out as {@code dev.kiln.format.FastScanLayout} blocks from
   * {@code byteOff}: for each of {@code blocks} blocks of 32 items, each item's sum over its
   * M = 2 x {@code pairs} sub-spaces of {@code lut[16 j + code_j]} (unsigned bytes; {@code lut}
   * holds M x 16 entries and 16 bytes of padding), exact in 16-bit integer lanes. A block whose
   * 32 sums all exceed {@code limit} writes +inf for its items (nothing there can enter the
   * caller's heap); the others write {@code fma(sum, scale, bias)}: {@code out[32 b + i]}.
   */
  void fastScan(ByteBuffer codes, int byteOff, int blocks, int pairs, byte[] lut, int limit,
      float bias, float scale, float[] out);

  /**
   * Quantizes {@code m} tables of 16 floats ({@code table[16 j + c]}) to the unsigned bytes
   * {@link #fastScan} sums, with one scale for all: {@code lut[16 j + c] = rint(min(255,
   * (table[16 j + c] - min_j) * (1 / scale)))} (to nearest, ties to even), where {@code scale} is the widest table's
   * range over 255 (1 when every table is constant) and {@code min_j} table j's smallest
   * entry. Returns the scale; {@code mins[0]} receives the sum of the {@code min_j}, in order,
   * and {@code mins[1 + j]} each; {@code mins} holds {@code 1 + m + 16} floats (the last 16 are
   * scratch).
   */
  float quantizeTables(float[] table, int m, byte[] lut, float[] mins);

  /**
   * Vectors per panel in the tile kernels' transposed layout: {@code panel[pOff + j * PANEL + c]}
   * is dimension j of the panel's vector c. Centroids (coarse step, k-means), PQ codewords
   * (query tables) and evaluation queries are stored this way.
   */
  int PANEL = 64;

  /**
   * Dot products of four points (rows of {@code points} at r0..r3, repeats allowed) with a panel
   * of {@link #PANEL} vectors: {@code out[p * PANEL + c]}. The GEMM micro-kernel of batch
   * probes, k-means assignment and PQ encoding; per output, fused multiply-adds in dimension
   * order from zero, exactly as {@link #dots1x64}.
   */
  void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff, int dim,
      float[] out);

  /**
   * Dot products of one vector with a panel of {@link #PANEL} vectors:
   * {@code out[outOff + c]} for c in [0, PANEL). The coarse step of one query and the PQ query
   * table; per dimension one broadcast and PANEL / lanes independent multiply-adds, no
   * horizontal sums.
   */
  void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out, int outOff);

  /**
   * The arg-min of a panel's scores {@code bias[bOff + c] - dots[dOff + c]}, c in [0, PANEL):
   * the first c whose score is the smallest, if that score is below {@code bound}; otherwise -1.
   * NaN scores never win. k-means assignment calls it per point and panel after
   * {@link #dots4x64}; the scalar loop's compare and branch per centroid was a tenth of a build.
   */
  int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound);

  /**
   * Which of a panel's scores {@code bias[bOff + c] - dots[dOff + c]}, c in [0, PANEL), are at
   * most {@code threshold}: bit c of the result. The probe's top-nprobe selection offers only
   * those to its heap, a panel at a time, instead of a compare and branch per list.
   */
  long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold);

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

  /**
   * {@link #sq8SquareDistance} of four rows at {@code o0..o3} of {@code codes} into
   * {@code out[0..3]}, each the bits the one-row call gives; an implementation interleaves the
   * rows so that their reads are in flight together (an HNSW walk's rows lie scattered).
   */
  default void sq8SquareDistance4(float[] q, float[] step, ByteBuffer codes, int o0, int o1,
      int o2, int o3, int len, float[] out) {
    out[0] = sq8SquareDistance(q, step, codes, o0, len);
    out[1] = sq8SquareDistance(q, step, codes, o1, len);
    out[2] = sq8SquareDistance(q, step, codes, o2, len);
    out[3] = sq8SquareDistance(q, step, codes, o3, len);
  }

  /** {@link #sq8Dot} of four rows, as {@link #sq8SquareDistance4} is of one. */
  default void sq8Dot4(float[] w, ByteBuffer codes, int o0, int o1, int o2, int o3, int len,
      float[] out) {
    out[0] = sq8Dot(w, codes, o0, len);
    out[1] = sq8Dot(w, codes, o1, len);
    out[2] = sq8Dot(w, codes, o2, len);
    out[3] = sq8Dot(w, codes, o3, len);
  }

  /** A short name for logs: "scalar" or "panama(256-bit)". */
  String name();
}
