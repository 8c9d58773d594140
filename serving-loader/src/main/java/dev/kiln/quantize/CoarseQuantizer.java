package dev.kiln.quantize;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;

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

  /**
   * Assigns {@code n} rows of {@code points} (row-major, stride dim) to their nearest centroid,
   * four rows per pass over the centroids. For L2 the ranking uses {@code ||c||^2/2 - x.c},
   * which orders centroids as the squared distance does; {@code outScore} (optional) receives
   * that value for L2 and {@code -x.c} for inner product.
   */
  public void assign(float[] points, int n, int[] outList, float[] outScore) {
    float[] dots = new float[4];
    int i = 0;
    for (; i + 3 < n; i += 4) {
      float b0 = Float.POSITIVE_INFINITY, b1 = b0, b2 = b0, b3 = b0;
      int c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      int r = i * dim;
      for (int c = 0; c < nlist; c++) {
        K.dot4(points, r, r + dim, r + 2 * dim, r + 3 * dim, centroids, c * dim, dim, dots);
        float h = innerProduct ? 0 : halfNorms[c];
        float v0 = h - dots[0], v1 = h - dots[1], v2 = h - dots[2], v3 = h - dots[3];
        if (v0 < b0) { b0 = v0; c0 = c; }
        if (v1 < b1) { b1 = v1; c1 = c; }
        if (v2 < b2) { b2 = v2; c2 = c; }
        if (v3 < b3) { b3 = v3; c3 = c; }
      }
      outList[i] = c0;
      outList[i + 1] = c1;
      outList[i + 2] = c2;
      outList[i + 3] = c3;
      if (outScore != null) {
        outScore[i] = b0;
        outScore[i + 1] = b1;
        outScore[i + 2] = b2;
        outScore[i + 3] = b3;
      }
    }
    for (; i < n; i++) {
      float best = Float.POSITIVE_INFINITY;
      int arg = 0;
      for (int c = 0; c < nlist; c++) {
        float v = (innerProduct ? 0 : halfNorms[c]) - K.dot(points, i * dim, centroids, c * dim, dim);
        if (v < best) {
          best = v;
          arg = c;
        }
      }
      outList[i] = arg;
      if (outScore != null) {
        outScore[i] = best;
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
   * L2, or minus the inner product). Returns how many were written (min(nprobe, nlist)).
   * {@code scratch} must hold nlist floats.
   */
  public int probe(float[] q, int nprobe, int[] outLists, float[] outDist, float[] scratch) {
    int p = Math.min(nprobe, nlist);
    for (int c = 0; c < nlist; c++) {
      scratch[c] =
          innerProduct
              ? -K.dot(q, 0, centroids, c * dim, dim)
              : K.squareDistance(q, 0, centroids, c * dim, dim);
    }
    // Selection by a bounded max-heap on (dist, list); ties break toward the lower list id.
    int size = 0;
    for (int c = 0; c < nlist; c++) {
      float v = scratch[c];
      if (size < p) {
        int j = size++;
        while (j > 0) {
          int parent = (j - 1) >>> 1;
          if (!worse(v, c, outDist[parent], outLists[parent])) {
            break;
          }
          outDist[j] = outDist[parent];
          outLists[j] = outLists[parent];
          j = parent;
        }
        outDist[j] = v;
        outLists[j] = c;
      } else if (worse(outDist[0], outLists[0], v, c)) {
        siftDown(outDist, outLists, size, v, c);
      }
    }
    // Heap-sort in place: nearest first.
    for (int end = size - 1; end > 0; end--) {
      float v = outDist[end];
      int c = outLists[end];
      outDist[end] = outDist[0];
      outLists[end] = outLists[0];
      siftDown(outDist, outLists, end, v, c);
    }
    return size;
  }

  private static boolean worse(float d1, int l1, float d2, int l2) {
    return d1 > d2 || (d1 == d2 && l1 > l2);
  }

  private static void siftDown(float[] dist, int[] lists, int size, float v, int c) {
    int j = 0;
    while (true) {
      int l = 2 * j + 1;
      if (l >= size) {
        break;
      }
      int r = l + 1;
      int w = r < size && worse(dist[r], lists[r], dist[l], lists[l]) ? r : l;
      if (!worse(dist[w], lists[w], v, c)) {
        break;
      }
      dist[j] = dist[w];
      lists[j] = lists[w];
      j = w;
    }
    dist[j] = v;
    lists[j] = c;
  }
}
