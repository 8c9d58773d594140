package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * The distance kernels every hot loop in Kiln runs: k-means assignment, PQ encoding, coarse
 * search, table building and list scans. Written once here; {@link VectorizationProvider} picks
 * an implementation at start-up. Buffers passed in are little-endian.
 */
public interface VectorKernels extends ListScanKernels {

  /**
   * Sum of a[aOff+i] * b[bOff+i] for i in [0, len).
   *
   * @param a the first vector's array
   * @param aOff where the first vector starts in {@code a}
   * @param b the second vector's array
   * @param bOff where the second vector starts in {@code b}
   * @param len components
   * @return the inner product, summed in float
   */
  float dot(float[] a, int aOff, float[] b, int bOff, int len);

  /**
   * {@link #dot(float[], int, float[], int, int)} of {@code q} with four rows of {@code m} at
   * offsets {@code o0 .. o3}, into {@code out[outOff .. outOff + 3]}: bit for bit four calls of
   * {@code dot(q, qOff, m, o, len)}, with {@code q} read once and four independent rows in
   * flight. The HNSW walk over the centroids scores a node's scattered neighbours this way.
   *
   * @param q the query's array
   * @param qOff where the query starts in {@code q}
   * @param m the rows' array
   * @param o0 where the first row starts in {@code m}
   * @param o1 where the second row starts
   * @param o2 where the third row starts
   * @param o3 where the fourth row starts
   * @param len components
   * @param out receives the four inner products
   * @param outOff where the first goes in {@code out}
   */
  void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff);

  /**
   * Sum of (a[aOff+i] - b[bOff+i])^2 for i in [0, len).
   *
   * @param a the first vector's array
   * @param aOff where the first vector starts in {@code a}
   * @param b the second vector's array
   * @param bOff where the second vector starts in {@code b}
   * @param len components
   * @return the squared L2 distance, summed in float
   */
  float squareDistance(float[] a, int aOff, float[] b, int bOff, int len);

  /**
   * {@link #squareDistance(float[], int, float[], int, int)} of {@code q} to four rows of
   * {@code m} at offsets {@code o0 .. o3}, into {@code out[outOff .. outOff + 3]}: bit for bit
   * four one-row calls, with {@code q} read once and four rows in flight. The HNSW builder
   * scores a node's scattered neighbours this way.
   *
   * @param q the query's array
   * @param qOff where the query starts in {@code q}
   * @param m the rows' array
   * @param o0 where the first row starts in {@code m}
   * @param o1 where the second row starts
   * @param o2 where the third row starts
   * @param o3 where the fourth row starts
   * @param len components
   * @param out receives the four squared distances
   * @param outOff where the first goes in {@code out}
   */
  void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff);

  /**
   * Asymmetric distance of {@code n} PQ codes of {@code m} bytes stored at {@code byteOff}:
   * {@code out[i] = base + sum_j table[j * 256 + code[i][j]]}.
   *
   * @param codes the buffer holding the codes, one item's {@code m} bytes after another's
   * @param byteOff the first code's absolute byte offset in {@code codes}
   * @param n how many codes
   * @param m bytes per code: one unsigned byte per sub-space
   * @param table the query's table, {@code m} rows of 256 floats
   * @param base added to every sum: the query's coarse distance to the list, or 0 when the
   *     table includes it
   * @param out receives the {@code n} distances from index 0
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
   *
   * @param codes the buffer holding the blocks
   * @param byteOff the first block's absolute byte offset in {@code codes}
   * @param blocks how many blocks (32 x {@code pairs} bytes each)
   * @param pairs pairs of sub-spaces: M / 2
   * @param lut the byte tables, as {@link #quantizeTables} writes them
   * @param limit the largest integer sum that can still enter the caller's heap
   * @param bias added to each scaled sum: the list's base (as for {@link #pqDistances}) plus
   *     the tables' summed minimums
   * @param scale what one unit of a sum is worth ({@link #quantizeTables}'s result)
   * @param out receives 32 x {@code blocks} floats from index 0
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
   *
   * @param table the float tables, {@code m} rows of 16
   * @param m how many tables (sub-spaces)
   * @param lut receives {@code m} x 16 bytes
   * @param mins receives the minimums; {@code 1 + m + 16} floats
   * @return the scale: what one unit of a byte entry is worth
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
   *
   * @param points the points' array
   * @param r0 where the first point starts in {@code points}
   * @param r1 where the second point starts
   * @param r2 where the third point starts
   * @param r3 where the fourth point starts
   * @param panel the panels' array
   * @param pOff where the panel starts in {@code panel}
   * @param dim components per point and per panel vector
   * @param out receives 4 x {@link #PANEL} floats from index 0
   */
  void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff, int dim,
      float[] out);

  /**
   * Dot products of one vector with a panel of {@link #PANEL} vectors:
   * {@code out[outOff + c]} for c in [0, PANEL). The coarse step of one query and the PQ query
   * table; per dimension one broadcast and PANEL / lanes independent multiply-adds, no
   * horizontal sums.
   *
   * @param q the vector's array
   * @param qOff where the vector starts in {@code q}
   * @param panel the panels' array
   * @param pOff where the panel starts in {@code panel}
   * @param dim components per vector
   * @param out receives {@link #PANEL} floats
   * @param outOff where the first goes in {@code out}
   */
  void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out, int outOff);

  /**
   * The arg-min of a panel's scores {@code bias[bOff + c] - dots[dOff + c]}, c in [0, PANEL):
   * the first c whose score is the smallest, if that score is below {@code bound}; otherwise -1.
   * NaN scores never win. k-means assignment calls it per point and panel after
   * {@link #dots4x64}; the scalar loop's compare and branch per centroid was a tenth of a build.
   *
   * @param bias per-vector terms (a coarse quantizer's half squared norms under l2, 0 under
   *     inner product, +inf for padding)
   * @param bOff where the panel's terms start in {@code bias}
   * @param dots the panel's dot products, as {@link #dots4x64} writes them
   * @param dOff where the panel's dot products start in {@code dots}
   * @param bound the score to beat, strictly: the best so far, or +inf
   * @return the winning c, or -1 when no score is below {@code bound}
   */
  int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound);

  /**
   * Which of a panel's scores {@code bias[bOff + c] - dots[dOff + c]}, c in [0, PANEL), are at
   * most {@code threshold}: bit c of the result. The probe's top-nprobe selection offers only
   * those to its heap, a panel at a time, instead of a compare and branch per list.
   *
   * @param bias per-vector terms, as for {@link #argMin64}
   * @param bOff where the panel's terms start in {@code bias}
   * @param dots the panel's dot products
   * @param dOff where the panel's dot products start in {@code dots}
   * @param threshold the largest score selected
   * @return a mask: bit c set when score c is at most {@code threshold}
   */
  long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold);

  /**
   * {@code out[i] = base[i] + scale * x[i]} for i in [0, len), where {@code base} is {@code len}
   * little-endian floats at {@code byteOff} of a buffer (a row of a mapped table).
   *
   * @param base the buffer holding {@code base}, little-endian
   * @param byteOff {@code base[0]}'s absolute byte offset in the buffer
   * @param scale multiplies {@code x}
   * @param x read from index 0
   * @param out receives {@code len} floats from index 0
   * @param len how many
   */
  void addScaled(ByteBuffer base, int byteOff, float scale, float[] x, float[] out, int len);

  /**
   * Square distance to an SQ8-coded vector: {@code sum_i (q[i] - step[i] * b_i)^2} over the
   * {@code len} signed bytes {@code b} at {@code byteOff}. With {@code q} = query - base, this is
   * the L2 distance to the decoded vector {@code base + step * b}.
   *
   * @param q the query less the SQ8 base, read from index 0
   * @param step each component's SQ8 step
   * @param codes the buffer holding the codes
   * @param byteOff the vector's absolute byte offset in {@code codes}
   * @param len components
   * @return the squared L2 distance, summed in float
   */
  float sq8SquareDistance(float[] q, float[] step, ByteBuffer codes, int byteOff, int len);

  /**
   * {@code sum_i w[i] * b_i} over {@code len} signed bytes at {@code byteOff}: with {@code w} =
   * query * step, the query-dependent part of the inner product with an SQ8-coded vector.
   *
   * @param w the query times each component's step, read from index 0
   * @param codes the buffer holding the codes
   * @param byteOff the vector's absolute byte offset in {@code codes}
   * @param len components
   * @return the weighted sum, in float
   */
  float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len);

  /**
   * {@link #sq8SquareDistance} of four rows at {@code o0..o3} of {@code codes} into
   * {@code out[0..3]}, each the bits the one-row call gives; an implementation interleaves the
   * rows so that their reads are in flight together (an HNSW walk's rows lie scattered).
   *
   * @param q the query less the SQ8 base, read from index 0
   * @param step each component's SQ8 step
   * @param codes the buffer holding the rows
   * @param o0 the first row's absolute byte offset in {@code codes}
   * @param o1 the second row's
   * @param o2 the third row's
   * @param o3 the fourth row's
   * @param len components
   * @param out receives the four squared distances in {@code out[0 .. 3]}
   */
  default void sq8SquareDistance4(float[] q, float[] step, ByteBuffer codes, int o0, int o1,
      int o2, int o3, int len, float[] out) {
    out[0] = sq8SquareDistance(q, step, codes, o0, len);
    out[1] = sq8SquareDistance(q, step, codes, o1, len);
    out[2] = sq8SquareDistance(q, step, codes, o2, len);
    out[3] = sq8SquareDistance(q, step, codes, o3, len);
  }

  /**
   * {@link #sq8Dot} of four rows, as {@link #sq8SquareDistance4} is of one.
   *
   * @param w the query times each component's step, read from index 0
   * @param codes the buffer holding the rows
   * @param o0 the first row's absolute byte offset in {@code codes}
   * @param o1 the second row's
   * @param o2 the third row's
   * @param o3 the fourth row's
   * @param len components
   * @param out receives the four sums in {@code out[0 .. 3]}
   */
  default void sq8Dot4(float[] w, ByteBuffer codes, int o0, int o1, int o2, int o3, int len,
      float[] out) {
    out[0] = sq8Dot(w, codes, o0, len);
    out[1] = sq8Dot(w, codes, o1, len);
    out[2] = sq8Dot(w, codes, o2, len);
    out[3] = sq8Dot(w, codes, o3, len);
  }

  /**
   * A short name for logs: "scalar" or "panama(256-bit)".
   *
   * @return the implementation's name, with the vector width for the Vector API
   */
  String name();
}
