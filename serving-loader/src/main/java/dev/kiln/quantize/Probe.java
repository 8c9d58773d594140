package dev.kiln.quantize;

import dev.kiln.vector.VectorKernels;

/**
 * The lists one query scans, nearest first, with their coarse distances (squared L2, or minus
 * the inner product): what a {@link CoarseProber} returns. An instance is a reusable buffer (one
 * per thread): probing fills it and returns it, growing its arrays only when a larger nprobe or
 * nlist comes, so a query allocates nothing.
 */
public final class Probe {
  long[] lists = new long[0];
  float[] dist = new float[0];
  int size;
  /** Working space of the quantizer that fills it: the selection heap, per-centroid scores. */
  final TopK heap = new TopK();
  float[] dots = new float[0];
  final float[] tile = new float[4 * VectorKernels.PANEL];
  /** {@link HnswProber}'s working space, made on first use. */
  private GraphWalk.Scratch graph;
  /** {@link SubspaceProber}'s working space, made on first use. */
  private SubspaceProber.Scratch subspace;

  /**
   * How many lists to scan: at most nprobe and nlist (fewer only for a damaged model).
   *
   * @return the count of the last probe
   */
  public int size() {
    return size;
  }

  /**
   * The {@code i}-th list to scan, nearest first.
   *
   * @param i a rank below {@link #size()}
   * @return the list's id
   */
  public int list(int i) {
    return (int) lists[i];
  }

  /**
   * The coarse distance of the {@code i}-th list.
   *
   * @param i a rank below {@link #size()}
   * @return the query's distance to the list's centroid: squared L2, or minus the inner product
   */
  public float distance(int i) {
    return dist[i];
  }

  void ensureLists(int n) {
    if (lists.length < n) {
      lists = new long[n];
      dist = new float[n];
    }
  }

  GraphWalk.Scratch graphScratch(int nodes, int degree) {
    if (graph == null || !graph.fits(nodes, degree)) {
      graph = new GraphWalk.Scratch(nodes, degree);
    }
    return graph;
  }

  SubspaceProber.Scratch subspaceScratch(int width, int rows) {
    if (subspace == null) {
      subspace = new SubspaceProber.Scratch();
    }
    subspace.ensureLifted(width * rows, rows);
    return subspace;
  }

  float[] dots(int n) {
    if (dots.length < n) {
      dots = new float[n];
    }
    return dots;
  }
}
