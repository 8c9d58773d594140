package dev.kiln.quantize;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * The IVF coarse quantizer: nlist centroids. L2 assigns a vector to its nearest centroid; inner
 * product and cosine to the centroid of largest inner product, as Faiss's flat IP quantizer
 * does. Internally every comparison is a "distance" to minimize: squared L2, or minus the inner
 * product.
 */
public final class CoarseQuantizer implements CoarseProber {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final float[] centroids;
  private final float[] halfNorms;
  /** Centroids transposed in panels of {@link VectorKernels#PANEL} for the tile kernels. */
  private final float[] panels;
  /** Per tiled centroid, what the ranking adds to {@code -x.c}: ||c||^2/2, 0 (IP), +inf (padding). */
  private final float[] bias;
  private final int nlist;
  private final int dim;
  private final boolean innerProduct;
  /** Panels holding centroids; the last is padded (bias +inf). */
  private final int panelCount;

  /**
   * The quantizer of these centroids.
   *
   * @param centroids nlist x dim floats, row-major; kept, not copied
   * @param nlist how many centroids
   * @param dim dimensions of a centroid
   * @param metric l2 ranks by squared L2; ip and cosine by inner product
   * @throws IllegalArgumentException when centroids does not hold nlist x dim floats
   */
  public CoarseQuantizer(float[] centroids, int nlist, int dim, Metric metric) {
    if (centroids.length != (long) nlist * dim) {
      throw new IllegalArgumentException("centroids must hold nlist x dim floats");
    }
    this.centroids = centroids;
    this.nlist = nlist;
    this.dim = dim;
    this.innerProduct = metric != Metric.L2;
    this.halfNorms = new float[nlist];
    for (int c = 0; c < nlist; c++) {
      halfNorms[c] = 0.5f * K.dot(centroids, c * dim, centroids, c * dim, dim);
    }
    this.panelCount = CentroidPanels.count(nlist);
    this.panels = CentroidPanels.transpose(centroids, nlist, dim);
    this.bias = CentroidPanels.bias(innerProduct ? null : halfNorms, nlist);
  }

  @Override
  public int nlist() {
    return nlist;
  }

  /**
   * Dimensions of a centroid.
   *
   * @return d
   */
  public int dim() {
    return dim;
  }

  /**
   * The centroids.
   *
   * @return the array itself, nlist x dim floats, row-major
   */
  public float[] centroids() {
    return centroids;
  }

  /**
   * True when lists are ranked by inner product (ip, cosine) rather than L2.
   *
   * @return false for l2
   */
  public boolean innerProduct() {
    return innerProduct;
  }

  /** Points per block: a block (up to 800 KB at d = 784) stays in L2 while the tiles pass. */
  private static final int POINT_BLOCK = 256;

  /**
   * Assigns {@code n} rows of {@code points} (row-major, stride dim) to their nearest centroid.
   * Like a small GEMM: for each block of points, each panel of 64 transposed centroids is
   * multiplied with four points at a time ({@link VectorKernels#dots4x64}). For L2 the ranking
   * uses {@code ||c||^2/2 - x.c}, which orders centroids as the squared distance does;
   * {@code outScore} (optional) receives that value for L2 and {@code -x.c} for inner product.
   * Every point goes through the same arithmetic wherever it sits in a batch; ties go to the
   * lower centroid id.
   *
   * @param points the points, row-major from index 0, stride dim
   * @param n how many
   * @param outList receives each point's centroid id
   * @param outScore receives each point's ranking score (for L2 not a distance), or null
   */
  public void assign(float[] points, int n, int[] outList, float[] outScore) {
    int tileWidth = VectorKernels.PANEL;
    float[] best = new float[Math.min(n, POINT_BLOCK)];
    float[] dots = new float[4 * tileWidth];
    for (int p0 = 0; p0 < n; p0 += POINT_BLOCK) {
      int pn = Math.min(POINT_BLOCK, n - p0);
      Arrays.fill(best, 0, pn, Float.POSITIVE_INFINITY);
      for (int t = 0; t < panelCount; t++) {
        int c0 = t * tileWidth;
        for (int i = 0; i < pn; i += 4) {
          int m = Math.min(4, pn - i);
          panelTimesRows(t, points, (p0 + i) * dim, dim, m, dots);
          for (int j = 0; j < m; j++) {
            int arg = K.argMin64(bias, c0, dots, j * tileWidth, best[i + j]);
            if (arg >= 0) {
              best[i + j] = bias[c0 + arg] - dots[j * tileWidth + arg];
              outList[p0 + i + j] = c0 + arg;
            }
          }
        }
      }
      if (outScore != null) {
        System.arraycopy(best, 0, outScore, p0, pn);
      }
    }
  }

  /**
   * The list one vector belongs to.
   *
   * @param x the vector, dim floats from index 0
   * @return the id of its nearest centroid
   */
  public int assign(float[] x) {
    int[] out = new int[1];
    assign(x, 1, out, null);
    return out[0];
  }

  /**
   * Length of the {@code scratch} array {@link #probe} needs: nlist, padded to whole panels.
   *
   * @return nlist rounded up to a multiple of {@link VectorKernels#PANEL}
   */
  public int scratchLength() {
    return bias.length;
  }

  /**
   * The {@code nprobe} lists nearest to a query, nearest first, with their distance (squared
   * L2, or minus the inner product); ties go to the lower list id. Returns how many were
   * written: min(nprobe, nlist), less any list whose centroid scores NaN (only a damaged model
   * has one). {@code heap} and {@code scratch} ({@link #scratchLength()} floats) are the
   * caller's reusable scratch, so a query allocates nothing here.
   *
   * <p>Lists are ranked as {@link #assign} ranks them, ||c||²/2 − q·c for L2, with the query
   * against a panel of 64 transposed centroids per kernel call ({@link VectorKernels#dots1x64}): no
   * horizontal sums, and for d·nlist floats that fit in the L2 cache, several times faster than
   * one distance per centroid. The distances returned are derived from those scores, as Faiss's
   * batch search derives them from its GEMM: ||q||² + 2 (||c||²/2 − q·c), or −q·c.
   *
   * @param q the query, dim floats from index 0
   * @param nprobe how many lists are wanted, at least 1
   * @param heap the selection heap, reset here
   * @param outLists receives the list ids, nearest first: at least min(nprobe, nlist) longs
   * @param outDist receives their distances, as many floats
   * @param scratch {@link #scratchLength()} floats, overwritten
   * @return how many lists were written
   */
  public int probe(
      float[] q, int nprobe, TopK heap, long[] outLists, float[] outDist, float[] scratch) {
    dots(q, 0, scratch, 0);
    return probeFromDots(q, 0, nprobe, heap, outLists, outDist, scratch, 0);
  }

  /**
   * The query's dot product with every centroid, one panel of 64 per kernel call, into
   * {@code dots[dOff ..]} ({@link #scratchLength()} floats). Also the PQ query table, each
   * sub-space's codewords being such a quantizer.
   */
  void dots(float[] q, int qOff, float[] dots, int dOff) {
    int w = VectorKernels.PANEL;
    for (int g = 0; g < bias.length; g += w) {
      K.dots1x64(q, qOff, panels, g * dim, dim, dots, dOff + g);
    }
  }

  /**
   * {@link #dots} for up to four rows at once ({@link VectorKernels#dots4x64}, the same bits):
   * rows {@code off + r * stride} of {@code rows} for r in [0, count), into
   * {@code out[first + r][outOff ..]}; {@code tile} holds 4 x PANEL floats.
   */
  void dots4(float[] rows, int off, int stride, int count, float[][] out, int first, int outOff,
      float[] tile) {
    int w = VectorKernels.PANEL;
    for (int t = 0; t < panelCount; t++) {
      panelTimesRows(t, rows, off, stride, count, tile);
      for (int r = 0; r < count; r++) {
        System.arraycopy(tile, r * w, out[first + r], outOff + t * w, w);
      }
    }
  }

  /**
   * Panel {@code t} times up to four rows ({@link VectorKernels#dots4x64}): rows
   * {@code off + r * stride} of {@code rows}, r in [0, count), into {@code tile[r * PANEL ..]};
   * a group of fewer than four repeats its last row.
   */
  private void panelTimesRows(int t, float[] rows, int off, int stride, int count, float[] tile) {
    int last = count - 1;
    K.dots4x64(rows, off, off + Math.min(1, last) * stride, off + Math.min(2, last) * stride,
        off + Math.min(3, last) * stride, panels, t * dim * VectorKernels.PANEL, dim, tile);
  }

  /**
   * The ranking scores of the {@code n} centroids in {@code ids}, into {@code out}:
   * ||c||²/2 − q·c for L2, −q·c for inner product (lower is nearer).
   */
  void scores(float[] q, int qOff, int[] ids, int n, float[] out) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      K.dot4(q, qOff, centroids, ids[i] * dim, ids[i + 1] * dim, ids[i + 2] * dim,
          ids[i + 3] * dim, dim, out, i);
    }
    for (; i < n; i++) {
      out[i] = K.dot(q, qOff, centroids, ids[i] * dim, dim);
    }
    for (int j = 0; j < n; j++) {
      out[j] = innerProduct ? -out[j] : halfNorms[ids[j]] - out[j];
    }
  }

  /**
   * The distance from {@code q} (squared norm {@code qq}) to centroid {@code c}, as
   * {@link #probe} reports it: squared L2, or minus the inner product.
   *
   * @param q holds the query
   * @param qOff where its dim floats start in {@code q}
   * @param qq its squared norm (read for L2 only)
   * @param c the centroid's id
   * @return the distance, derived from the ranking score as {@link #probe} derives it
   */
  public float distance(float[] q, int qOff, float qq, int c) {
    float dot = K.dot(q, qOff, centroids, c * dim, dim);
    return distance(innerProduct ? -dot : halfNorms[c] - dot, qq);
  }

  /** The distance {@link #probe} reports for a score: ||q||² + 2 score for L2. */
  float distance(float score, float queryNorm) {
    return innerProduct ? score : Math.max(0f, queryNorm + 2 * score);
  }

  @Override
  public Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out) {
    float[] dots = out.dots(bias.length);
    dots(q, qOff, dots, 0);
    return select(q, qOff, nprobe, out, dots, 0);
  }

  /**
   * At most 256 queries, fewer when nlist is large, so a block's dots (at most 1 MiB) stay in
   * cache.
   */
  @Override
  public int blockSize() {
    return Math.max(4, Math.min(256, (1 << 18) / bias.length));
  }

  /**
   * {@link #probe} for {@code n} queries at once (rows of {@code queries}, stride dim),
   * GEMM-style like {@link #assign}: each panel of 64 centroids is loaded once per four queries
   * and stays in cache while all n pass, so the centroids are read once per block instead of once
   * per query. The arithmetic per (query, centroid) is the same as {@link #probe}'s (one
   * multiply-add per dimension, in order), so the same lists come out.
   */
  @Override
  public void probeBlock(float[] queries, int n, int nprobe, int efSearch, Probe[] out) {
    blockDots(queries, n, out);
    for (int i = 0; i < n; i++) {
      select(queries, i * dim, nprobe, out[i], out[i].dots, 0);
    }
  }

  /**
   * The first half of {@link #probeBlock}: each query's dot product with every centroid into
   * {@code out[i].dots}, a panel at a time for four queries at once.
   */
  void blockDots(float[] queries, int n, Probe[] out) {
    int width = VectorKernels.PANEL;
    int stride = bias.length;
    for (int i = 0; i < n; i++) {
      out[i].dots(stride);
    }
    float[] tileScratch = out[0].tile;
    for (int t = 0; t < panelCount; t++) {
      int c0 = t * width;
      for (int i = 0; i < n; i += 4) {
        int m = Math.min(4, n - i);
        panelTimesRows(t, queries, i * dim, dim, m, tileScratch);
        for (int r = 0; r < m; r++) {
          System.arraycopy(tileScratch, r * width, out[i + r].dots, c0, width);
        }
      }
    }
  }

  private Probe select(float[] q, int qOff, int nprobe, Probe out, float[] dots, int dOff) {
    out.ensureLists(Math.min(nprobe, nlist));
    out.size = probeFromDots(q, qOff, nprobe, out.heap, out.lists, out.dist, dots, dOff);
    return out;
  }

  /**
   * The second half of {@link #probe}: selects the {@code nprobe} nearest lists of the query at
   * {@code q[qOff ...]} from its dot products with every centroid at {@code dots[dOff ...]}.
   *
   * @param q holds the query (read for L2 only, for its norm)
   * @param qOff where its dim floats start in {@code q}
   * @param nprobe how many lists are wanted, at least 1
   * @param heap the selection heap, reset here
   * @param outLists receives the list ids, nearest first: at least min(nprobe, nlist) longs
   * @param outDist receives their distances (squared L2, or minus the inner product)
   * @param dots holds the query's dot products, centroid c's at {@code dOff + c}
   * @param dOff where they start in {@code dots}: {@link #scratchLength()} floats from there
   * @return how many lists were written: min(nprobe, nlist), less any scoring NaN
   */
  public int probeFromDots(float[] q, int qOff, int nprobe, TopK heap, long[] outLists,
      float[] outDist, float[] dots, int dOff) {
    int p = Math.min(nprobe, nlist);
    heap.reset(p);
    offerScores(dots, dOff, heap);
    // A centroid damaged into NaN ranks nowhere: fewer than p come back (the slots after them
    // hold the previous query's lists).
    int ranked = heap.drainSorted(outDist, outLists);
    if (!innerProduct) {
      // The score is ||c||^2/2 - q.c, so the squared distance is ||q||^2 + 2 score, as Faiss's
      // batch search computes it from its GEMM: no second pass over the chosen centroids (a
      // tenth of a PQ16 search at nprobe 16, their rows read from memory again). Doubling is
      // exact and the sum rounds monotonically, so the order stays the scores'.
      float qq = K.dot(q, qOff, q, qOff, dim);
      for (int i = 0; i < ranked; i++) {
        outDist[i] = distance(outDist[i], qq);
      }
    }
    return ranked;
  }

  /**
   * Offers the heap every centroid whose score ({@code bias - dots}) is at most its threshold,
   * in id order, a panel at a time: the lists at most the threshold as a panel starts; the
   * threshold only falls while they are offered, so checking each again offers exactly what a
   * loop over all would.
   */
  void offerScores(float[] dots, int dOff, TopK heap) {
    for (int g = 0; g < nlist; g += VectorKernels.PANEL) {
      long bits = atMost(g, dots, dOff, heap.threshold());
      while (bits != 0) {
        int c = g + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        float v = bias[c] - dots[dOff + c];
        if (v <= heap.threshold()) {
          heap.offer(v, c);
        }
      }
    }
  }

  /**
   * Which scores of the panel at {@code g} are at most {@code threshold}, their dot products at
   * {@code dots[dOff + g ..]}: bit c for centroid g + c, never the padding past nlist.
   */
  long atMost(int g, float[] dots, int dOff, float threshold) {
    long bits = K.atMost64(bias, g, dots, dOff + g, threshold);
    int w = VectorKernels.PANEL;
    return nlist - g < w ? bits & ((1L << (nlist - g)) - 1) : bits;
  }

  /** Half the squared norm of centroid c. */
  float halfNorm(int c) {
    return halfNorms[c];
  }

  /** Centroid c's score from its dot product in {@code dots}. */
  float score(float[] dots, int c) {
    return bias[c] - dots[c];
  }
}
