package dev.kiln.quantize;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import java.util.Arrays;
import dev.kiln.vector.VectorizationProvider;

/**
 * A product quantizer: the vector is cut into M sub-vectors of d/M dimensions, each replaced by
 * the index of its nearest of ksub sub-centroids (by L2, whatever the metric, as Faiss does):
 * 256 for 8-bit codes, 16 for the 4-bit codes of fast-scan. Codebook layout: M x ksub x dsub
 * floats. Codes are one byte per sub-space either way.
 */
public final class ProductQuantizer {
  /** Sub-centroids per sub-space of 8-bit codes. */
  public static final int KSUB = 256;
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final float[] codebooks;
  private final int dim;
  private final int m;
  private final int dsub;
  private final int ksub;
  /**
   * Per sub-space, its ksub codewords as an L2 quantizer, stored in panels: encoding assigns with
   * it and query tables are its dot products.
   */
  private final CoarseQuantizer[] subspaces;

  /**
   * An 8-bit quantizer: 256 sub-centroids per sub-space.
   *
   * @param codebooks M x 256 x d/M floats; kept, not copied
   * @param dim dimensions of a vector
   * @param m M, the number of sub-spaces
   * @throws IllegalArgumentException when M does not divide dim or codebooks does not hold
   *     M x 256 x d/M floats
   */
  public ProductQuantizer(float[] codebooks, int dim, int m) {
    this(codebooks, dim, m, KSUB);
  }

  /**
   * A quantizer of {@code ksub} sub-centroids per sub-space.
   *
   * @param codebooks M x ksub x d/M floats; kept, not copied
   * @param dim dimensions of a vector
   * @param m M, the number of sub-spaces
   * @param ksub sub-centroids per sub-space, 1 to 256: 256 for 8-bit codes, 16 for fast-scan
   * @throws IllegalArgumentException when M does not divide dim or codebooks does not hold
   *     M x ksub x d/M floats, or ksub is out of range
   */
  public ProductQuantizer(float[] codebooks, int dim, int m, int ksub) {
    if (dim % m != 0 || codebooks.length != (long) ksub * dim || ksub < 1 || ksub > KSUB) {
      throw new IllegalArgumentException("codebooks must hold M x " + ksub
          + " x d/M floats, d % M == 0");
    }
    this.codebooks = codebooks;
    this.dim = dim;
    this.m = m;
    this.dsub = dim / m;
    this.ksub = ksub;
    this.subspaces = new CoarseQuantizer[m];
    for (int j = 0; j < m; j++) {
      subspaces[j] = new CoarseQuantizer(
          Arrays.copyOfRange(codebooks, j * ksub * dsub, (j + 1) * ksub * dsub),
          ksub, dsub, Metric.L2);
    }
  }

  /**
   * Sub-centroids per sub-space.
   *
   * @return ksub: 256 for 8-bit codes, 16 for fast-scan
   */
  public int ksub() {
    return ksub;
  }

  /**
   * Floats a query table array must hold: M x ksub, plus room for the last sub-space's panel
   * when ksub is below {@link VectorKernels#PANEL} (the tile kernels write whole panels; each
   * sub-space's overflow is overwritten by the next).
   *
   * @return the length in floats
   */
  public int tableLength() {
    return m * ksub + Math.max(0, VectorKernels.PANEL - ksub);
  }

  /**
   * The number of sub-spaces, M.
   *
   * @return M: also the bytes of a code, one per sub-space
   */
  public int m() {
    return m;
  }

  /**
   * Dimensions of a sub-space.
   *
   * @return d/M
   */
  public int dsub() {
    return dsub;
  }

  /**
   * The codebooks: sub-space j's codeword c at {@code (j * ksub + c) * dsub}.
   *
   * @return the array itself, M x ksub x dsub floats
   */
  public float[] codebooks() {
    return codebooks;
  }

  /**
   * Encodes x[off .. off+d) into {@code code[codeOff .. codeOff+M)}.
   *
   * @param x holds the vector
   * @param off where its d floats start in {@code x}
   * @param code receives the M bytes of its code
   * @param codeOff where they go in {@code code}
   */
  public void encode(float[] x, int off, byte[] code, int codeOff) {
    float[] one = Arrays.copyOfRange(x, off, off + dim);
    byte[] out = new byte[m];
    encode(one, 1, out, new float[dsub], new int[1]);
    System.arraycopy(out, 0, code, codeOff, m);
  }

  /**
   * Encodes {@code n} vectors (row-major in {@code x}) into {@code codes} (n x M bytes): each
   * sub-vector's nearest sub-centroid by L2. {@code subScratch} holds n x dsub floats and
   * {@code listScratch} n ints.
   *
   * @param x the vectors, row-major from index 0
   * @param n how many
   * @param codes receives the codes, M bytes each from index 0
   * @param subScratch scratch of n x dsub floats
   * @param listScratch scratch of n ints
   */
  public void encode(float[] x, int n, byte[] codes, float[] subScratch, int[] listScratch) {
    for (int j = 0; j < m; j++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(x, i * dim + j * dsub, subScratch, i * dsub, dsub);
      }
      subspaces[j].assign(subScratch, n, listScratch, null);
      for (int i = 0; i < n; i++) {
        codes[i * m + j] = (byte) listScratch[i];
      }
    }
  }

  /**
   * Writes the reconstruction of a code into out[0..d).
   *
   * @param code holds the code
   * @param codeOff where its M bytes start in {@code code}
   * @param out receives the d floats: each sub-space's codeword
   */
  public void decode(byte[] code, int codeOff, float[] out) {
    for (int j = 0; j < m; j++) {
      int c = code[codeOff + j] & 0xff;
      System.arraycopy(codebooks, (j * ksub + c) * dsub, out, j * dsub, dsub);
    }
  }

  /**
   * out[j*ksub + c] = {@code <q_j, pq[j][c]>} ({@link #tableLength} floats), for inner-product
   * scoring and for L2 with the
   * precomputed table. Computed as the coarse step is, by each sub-space's quantizer over its
   * panels of 64 codewords ({@link VectorKernels#dots1x64}, sums in registers): each code's sum
   * is the same sequence of fused multiply-adds over its dsub dimensions as a dot product in
   * order.
   *
   * @param q the query, d floats from index 0
   * @param out receives the table: {@link #tableLength} floats
   */
  public void innerProductTable(float[] q, float[] out) {
    for (int j = 0; j < m; j++) {
      subspaces[j].dots(q, j * dsub, out, j * ksub);
    }
  }


  /**
   * {@link #innerProductTable} for {@code n} rows of {@code rows} (stride d) into {@code out[i]},
   * four at a time: each sub-space's codewords are read once per four queries. The same bits as
   * one at a time. {@code tile} holds 4 x {@link VectorKernels#PANEL} floats.
   *
   * @param rows the queries, row-major from index 0
   * @param n how many
   * @param out receives the tables, row i's in {@code out[i]} ({@link #tableLength} floats)
   * @param tile scratch of 4 x {@link VectorKernels#PANEL} floats
   */
  public void innerProductTables(float[] rows, int n, float[][] out, float[] tile) {
    for (int j = 0; j < m; j++) {
      for (int i = 0; i < n; i += 4) {
        subspaces[j].dots4(rows, i * dim + j * dsub, dim, Math.min(4, n - i), out, i, j * ksub,
            tile);
      }
    }
  }

  /**
   * out[j*ksub + c] = {@code ||r_j - pq[j][c]||^2}, for L2 scoring of a residual r.
   *
   * @param r the residual, d floats from index 0
   * @param out receives the table: M x ksub floats
   */
  public void l2Table(float[] r, float[] out) {
    for (int j = 0; j < m; j++) {
      for (int c = 0; c < ksub; c++) {
        out[j * ksub + c] = K.squareDistance(r, j * dsub, codebooks, (j * ksub + c) * dsub, dsub);
      }
    }
  }

  /**
   * Faiss's precomputed table for L2 with residuals: for list l, sub-space j and code c,
   * {@code ||pq[j][c]||^2 + 2 <centroid_l[j], pq[j][c]>}. With it, a code's distance to a query q
   * is {@code ||q - c_l||^2 + sum_j (table[l][j][c] - 2 <q_j, pq[j][c]>)}: one table per query
   * instead of one per probed list.
   *
   * @param centroids the coarse centroids, nlist x d floats, row-major
   * @param nlist how many
   * @return nlist x M x ksub floats: entry (l, j, c) at {@code (l * M + j) * ksub + c}
   */
  public float[] precomputeL2Table(float[] centroids, int nlist) {
    float[] norms = codewordNorms();
    float[] table = new float[nlist * m * ksub];
    for (int l = 0; l < nlist; l++) {
      for (int j = 0; j < m; j++) {
        for (int c = 0; c < ksub; c++) {
          table[l * m * ksub + j * ksub + c] = l2TableEntry(norms, centroids, l, j, c);
        }
      }
    }
    return table;
  }

  /**
   * {@code ||pq[j][c]||^2} for every (j, c), the first half of each L2 table entry.
   *
   * @return a new array of M x ksub floats, (j, c) at {@code j * ksub + c}
   */
  public float[] codewordNorms() {
    float[] norms = new float[m * ksub];
    for (int i = 0; i < m * ksub; i++) {
      norms[i] = K.dot(codebooks, i * dsub, codebooks, i * dsub, dsub);
    }
    return norms;
  }

  private float l2TableEntry(float[] norms, float[] centroids, int l, int j, int c) {
    int t = j * ksub + c;
    return norms[t] + 2 * K.dot(centroids, l * dim + j * dsub, codebooks, t * dsub, dsub);
  }

  /**
   * An item's L2 term, {@code ||r||^2 + 2 <c_l, r>} for its decoded residual r in list l: the
   * sum over sub-spaces of its codes' {@link #precomputeL2Table} entries, in sub-space order
   * (sub-spaces are orthogonal, so the sum is exact up to rounding). Shard files store it per
   * item; {@code norms} is {@link #codewordNorms()}.
   *
   * @param norms {@link #codewordNorms()}
   * @param centroids the coarse centroids, nlist x d floats, row-major
   * @param list the item's list
   * @param codes holds the item's code
   * @param off where its M bytes start in {@code codes}
   * @return the term: the item's squared distance to a query q is {@code ||q - c_l||^2} plus
   *     this, less {@code 2 <q, r>}
   */
  public float l2Term(float[] norms, float[] centroids, int list, byte[] codes, int off) {
    float s = 0;
    for (int j = 0; j < m; j++) {
      s += l2TableEntry(norms, centroids, list, j, codes[off + j] & 0xff);
    }
    return s;
  }
}
