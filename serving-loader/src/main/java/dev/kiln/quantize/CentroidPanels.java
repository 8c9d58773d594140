package dev.kiln.quantize;

import dev.kiln.vector.VectorKernels;

/**
 * The layout the tile kernels read centroids in ({@link VectorKernels#dots4x64},
 * {@link VectorKernels#dots1x64}): panels of {@link VectorKernels#PANEL} centroids, each stored
 * dimension by dimension (panel t, dimension j, column col at {@code (t * dim + j) * PANEL +
 * col}), the last panel padded with zero columns whose bias is +inf so they never rank.
 */
final class CentroidPanels {
  private CentroidPanels() {}

  /** Panels needed for {@code nlist} centroids. */
  static int count(int nlist) {
    return (nlist + VectorKernels.PANEL - 1) / VectorKernels.PANEL;
  }

  /** The {@code nlist x dim} row-major centroids, transposed panel by panel. */
  static float[] transpose(float[] centroids, int nlist, int dim) {
    int w = VectorKernels.PANEL;
    float[] panels = new float[count(nlist) * w * dim];
    for (int c = 0; c < nlist; c++) {
      int t = c / w;
      int col = c % w;
      for (int j = 0; j < dim; j++) {
        panels[(t * dim + j) * w + col] = centroids[c * dim + j];
      }
    }
    return panels;
  }

  /**
   * What a ranking adds to {@code -x.c} per panel column: half the squared norm under L2
   * ({@code halfNorms}; null for inner product, 0), +inf for the padding.
   */
  static float[] bias(float[] halfNorms, int nlist) {
    float[] bias = new float[count(nlist) * VectorKernels.PANEL];
    for (int c = 0; c < bias.length; c++) {
      bias[c] = c >= nlist ? Float.POSITIVE_INFINITY : halfNorms == null ? 0 : halfNorms[c];
    }
    return bias;
  }
}
