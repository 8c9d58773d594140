package dev.kiln.job.graph;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * A graph under construction: each node's rows of links (2M slots on level 0, M above, -1 after
 * the last link), the vectors they link, and the two operations that change rows: Faiss's
 * neighbour selection ({@link #shrink}) and adding a link to a row ({@link #link}). Distances
 * are squared L2 for l2, minus the inner product for ip and cosine; lower is nearer. Rows are
 * written by one thread at a time (see {@link HnswBuilder}); reads may run in parallel.
 */
final class GraphRows {
  private static final VectorKernels K = VectorizationProvider.kernels();

  final int n;
  final int m;
  private final float[] v;
  private final int dim;
  private final boolean innerProduct;
  final int[] level;
  /** Level 0: n rows of 2M. */
  final int[] links0;
  final int[] count0;
  /** Levels 1..level(i) of node i: rows of M one after another; null for level-0-only nodes. */
  final int[][] upper;
  private final int[][] upperCount;

  GraphRows(float[] v, int n, int dim, Metric metric, int m, int[] level) {
    this.v = v;
    this.n = n;
    this.dim = dim;
    this.m = m;
    this.innerProduct = metric != Metric.L2;
    this.level = level;
    this.links0 = new int[n * 2 * m];
    Arrays.fill(links0, -1);
    this.count0 = new int[n];
    this.upper = new int[n][];
    this.upperCount = new int[n][];
    for (int i = 0; i < n; i++) {
      if (level[i] > 0) {
        upper[i] = new int[level[i] * m];
        Arrays.fill(upper[i], -1);
        upperCount[i] = new int[level[i]];
      }
    }
  }

  float distance(int a, int b) {
    return innerProduct ? -K.dot(v, a * dim, v, b * dim, dim)
        : K.squareDistance(v, a * dim, v, b * dim, dim);
  }

  /**
   * {@code out[from + i]} = distance(a, ids[from + i]) for i in [0, count), four rows at a time
   * (the rows are scattered: four in flight hide most of the wait for memory); a last group of
   * fewer than four repeats its last row rather than falling back to one-row calls.
   */
  void distances(int a, int[] ids, int from, int count, float[] out, float[] four) {
    int qOff = a * dim;
    int end = from + count;
    for (int i = from; i < end; i += 4) {
      int last = end - 1;
      int o0 = ids[i] * dim;
      int o1 = ids[Math.min(i + 1, last)] * dim;
      int o2 = ids[Math.min(i + 2, last)] * dim;
      int o3 = ids[Math.min(i + 3, last)] * dim;
      if (innerProduct) {
        K.dot4(v, qOff, v, o0, o1, o2, o3, dim, four, 0);
        for (int j = 0; j < 4 && i + j < end; j++) {
          out[i + j] = -four[j];
        }
      } else {
        K.squareDistance4(v, qOff, v, o0, o1, o2, o3, dim, four, 0);
        for (int j = 0; j < 4 && i + j < end; j++) {
          out[i + j] = four[j];
        }
      }
    }
  }

  /** Slots in a row on level {@code l}. */
  int slots(int l) {
    return l == 0 ? 2 * m : m;
  }

  int[] rowArray(int node, int l) {
    return l == 0 ? links0 : upper[node];
  }

  int rowStart(int node, int l) {
    return l == 0 ? node * 2 * m : (l - 1) * m;
  }

  int rowCount(int node, int l) {
    return l == 0 ? count0[node] : upperCount[node][l - 1];
  }

  /** Writes {@code node}'s row on level {@code l}: the first {@code count} of {@code ids}. */
  void setRow(int node, int l, int[] ids, int count) {
    int[] links = rowArray(node, l);
    int row = rowStart(node, l);
    int slots = slots(l);
    for (int j = 0; j < slots; j++) {
      links[row + j] = j < count ? ids[j] : -1;
    }
    if (l == 0) {
      count0[node] = count;
    } else {
      upperCount[node][l - 1] = count;
    }
  }

  /**
   * Faiss's neighbour selection over {@code count} candidates sorted nearest first: when they
   * do not outnumber the row's {@code max} slots they are all kept; otherwise a candidate is
   * kept only if it is nearer to the node than to every candidate kept before it (the
   * heuristic that keeps links pointing in different directions). Compacts the kept ones to
   * the front, in order; returns how many.
   */
  int shrink(int[] ids, float[] dists, int count, int max) {
    if (count < max) {
      return count;
    }
    int kept = 0;
    for (int i = 0; i < count && kept < max; i++) {
      int c = ids[i];
      float dc = dists[i];
      boolean good = true;
      for (int j = 0; j < kept; j++) {
        if (distance(c, ids[j]) < dc) {
          good = false;
          break;
        }
      }
      if (good) {
        ids[kept] = c;
        dists[kept] = dc;
        kept++;
      }
    }
    return kept;
  }

  /**
   * Adds {@code q} (at distance {@code d}) to {@code node}'s row on level {@code l}; a full row
   * and q compete under {@link #shrink}, nearest to node first. {@code beam} lends scratch.
   */
  void link(int node, int q, float d, int l, InsertBeam beam) {
    int row = rowStart(node, l);
    int[] links = rowArray(node, l);
    int count = rowCount(node, l);
    int max = slots(l);
    if (count < max) {
      links[row + count] = q;
      if (l == 0) {
        count0[node] = count + 1;
      } else {
        upperCount[node][l - 1] = count + 1;
      }
      return;
    }
    int[] ids = beam.spareIds;
    float[] dists = beam.spareDists;
    ids[0] = q;
    dists[0] = d;
    System.arraycopy(links, row, ids, 1, count);
    distances(node, ids, 1, count, dists, beam.four);
    sortByDistance(ids, dists, count + 1);
    setRow(node, l, ids, shrink(ids, dists, count + 1, max));
  }

  /** Insertion sort by (distance, id): rows are at most 2M + 1 long. */
  private static void sortByDistance(int[] ids, float[] dists, int n) {
    for (int i = 1; i < n; i++) {
      int id = ids[i];
      float d = dists[i];
      int j = i - 1;
      while (j >= 0 && (dists[j] > d || (dists[j] == d && ids[j] > id))) {
        ids[j + 1] = ids[j];
        dists[j + 1] = dists[j];
        j--;
      }
      ids[j + 1] = id;
      dists[j + 1] = d;
    }
  }
}
