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
public final class CoarseQuantizer {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final float[] centroids;
  private final float[] halfNorms;
  private final int nlist;
  private final int dim;
  private final boolean innerProduct;

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
  }

  public int nlist() {
    return nlist;
  }

  public int dim() {
    return dim;
  }

  public float[] centroids() {
    return centroids;
  }

  /** True when lists are ranked by inner product (ip, cosine) rather than L2. */
  public boolean innerProduct() {
    return innerProduct;
  }

  /** Points per block and centroids per tile: a tile (<= ~128 KiB) stays in L2 for the block. */
  private static final int POINT_BLOCK = 256;
  private static final int TILE_BYTES = 128 << 10;

  /**
   * Assigns {@code n} rows of {@code points} (row-major, stride dim) to their nearest centroid.
   * Tiled like a small GEMM: for a block of points, each tile of centroids is read from L2 while
   * four points at a time are compared with it, instead of streaming every centroid from memory
   * for every four points. For L2 the ranking uses {@code ||c||^2/2 - x.c}, which orders
   * centroids as the squared distance does; {@code outScore} (optional) receives that value for
   * L2 and {@code -x.c} for inner product. Ties go to the lower centroid id.
   */
  public void assign(float[] points, int n, int[] outList, float[] outScore) {
    int tile = Math.max(1, Math.min(nlist, TILE_BYTES / (4 * dim)));
    float[] best = new float[Math.min(n, POINT_BLOCK)];
    float[] dots = new float[4];
    for (int p0 = 0; p0 < n; p0 += POINT_BLOCK) {
      int pn = Math.min(POINT_BLOCK, n - p0);
      Arrays.fill(best, 0, pn, Float.POSITIVE_INFINITY);
      for (int c0 = 0; c0 < nlist; c0 += tile) {
        int c1 = Math.min(nlist, c0 + tile);
        for (int i = 0; i < pn; i += 4) {
          // A last group of fewer than four repeats its final row, so every point goes through
          // the same kernel arithmetic wherever it sits in a batch.
          int last = pn - 1;
          int r0 = (p0 + i) * dim;
          int r1 = (p0 + Math.min(i + 1, last)) * dim;
          int r2 = (p0 + Math.min(i + 2, last)) * dim;
          int r3 = (p0 + Math.min(i + 3, last)) * dim;
          int m = Math.min(4, pn - i);
          for (int c = c0; c < c1; c++) {
            K.dot4(points, r0, r1, r2, r3, centroids, c * dim, dim, dots);
            float h = innerProduct ? 0 : halfNorms[c];
            for (int j = 0; j < m; j++) {
              float v = h - dots[j];
              if (v < best[i + j]) {
                best[i + j] = v;
                outList[p0 + i + j] = c;
              }
            }
          }
        }
      }
      if (outScore != null) {
        System.arraycopy(best, 0, outScore, p0, pn);
      }
    }
  }

  /** The list one vector belongs to. */
  public int assign(float[] x) {
    int[] out = new int[1];
    assign(x, 1, out, null);
    return out[0];
  }

  /**
   * The {@code nprobe} lists nearest to a query, nearest first, with their distance (squared
   * L2, or minus the inner product); ties go to the lower list id. Returns how many were
   * written (min(nprobe, nlist)). {@code heap} and {@code scratch} (nlist floats) are the
   * caller's reusable scratch, so a query allocates nothing here.
   */
  public int probe(
      float[] q, int nprobe, TopK heap, long[] outLists, float[] outDist, float[] scratch) {
    for (int c = 0; c < nlist; c++) {
      scratch[c] =
          innerProduct
              ? -K.dot(q, 0, centroids, c * dim, dim)
              : K.squareDistance(q, 0, centroids, c * dim, dim);
    }
    heap.reset(Math.min(nprobe, nlist));
    for (int c = 0; c < nlist; c++) {
      if (scratch[c] <= heap.threshold()) {
        heap.offer(scratch[c], c);
      }
    }
    return heap.drainSorted(outDist, outLists);
  }
}
