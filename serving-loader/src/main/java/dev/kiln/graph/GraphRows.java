package dev.kiln.graph;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * A graph in memory, under construction: each node's rows of links (2M slots on level 0, M
 * above, -1 after the last link), the vectors they link, and the two operations that change
 * rows: Faiss's neighbour selection ({@link #shrink}) and adding a link to a row ({@link
 * #link}). Distances are squared L2 for l2, minus the inner product for ip and cosine; lower is
 * nearer.
 *
 * <p>Rows are written by one thread at a time. Readers may run beside the writer: every slot
 * holds -1 or a node id at all times (int writes do not tear), so a reader sees an old row, a
 * new one or a mix of both, never garbage; readers skip -1 and nodes at or above the bound they
 * were published with ({@link GraphBeam}). {@link #grow} copies level 0 into larger arrays, so
 * readers holding the old instance keep a consistent graph: its level 0 frozen, its upper rows
 * (shared with the new instance) changing only as any row may beside a reader.
 */
public final class GraphRows {
  private static final VectorKernels K = VectorizationProvider.kernels();

  /** Capacity in nodes. */
  public final int n;
  /** M: links per row above level 0; level 0's rows hold 2M. */
  public final int m;
  private final float[] v;
  private final int dim;
  private final boolean innerProduct;
  private final int[] level;
  /** Level 0: n rows of 2M. */
  private final int[] links0;
  private final int[] count0;
  /** Levels 1..level(i) of node i: rows of M one after another; null for level-0-only nodes. */
  private final int[][] upper;
  private final int[][] upperCount;

  /**
   * Rows for {@code n} nodes of the given levels over {@code v} (row-major, stride dim).
   *
   * @param v the vectors, node i's from {@code i * dim}, prepared (normalized for cosine);
   *     kept, not copied, so a node's vector may be written in before it is inserted
   * @param n capacity in nodes
   * @param dim dimensions of a vector
   * @param metric l2 links by squared L2; ip and cosine by inner product
   * @param m M, links per row above level 0 (2M on level 0)
   * @param level each node's top level (0: level 0 only), n of them; kept, not copied, and
   *     written by {@link #setLevel}
   */
  public GraphRows(float[] v, int n, int dim, Metric metric, int m, int[] level) {
    this(v, n, dim, metric != Metric.L2, m, level, emptyRows(n, 2 * m), new int[n],
        new int[n][], new int[n][]);
    for (int i = 0; i < n; i++) {
      setLevel(i, level[i]);
    }
  }

  private GraphRows(float[] v, int n, int dim, boolean innerProduct, int m, int[] level,
      int[] links0, int[] count0, int[][] upper, int[][] upperCount) {
    this.v = v;
    this.n = n;
    this.dim = dim;
    this.m = m;
    this.innerProduct = innerProduct;
    this.level = level;
    this.links0 = links0;
    this.count0 = count0;
    this.upper = upper;
    this.upperCount = upperCount;
  }

  private static int[] emptyRows(int nodes, int degree) {
    int[] rows = new int[nodes * degree];
    Arrays.fill(rows, -1);
    return rows;
  }

  /**
   * The same graph with room for {@code capacity} nodes over {@code vectors} (which must hold
   * this graph's vectors in their rows). Upper-level rows are shared: they belong to nodes
   * already in, and only the writer, who moves to the new instance, changes them.
   *
   * @param vectors the new vector array, stride dim, this graph's vectors in its first rows
   * @param capacity the new capacity in nodes, at least {@link #n}
   * @return a new instance; this one stays usable by readers that hold it
   */
  public GraphRows grow(float[] vectors, int capacity) {
    int[] l0 = emptyRows(capacity, 2 * m);
    System.arraycopy(links0, 0, l0, 0, Math.min(links0.length, l0.length));
    return new GraphRows(vectors, capacity, dim, innerProduct, m,
        Arrays.copyOf(level, capacity), l0, Arrays.copyOf(count0, capacity),
        Arrays.copyOf(upper, capacity), Arrays.copyOf(upperCount, capacity));
  }

  /**
   * Gives {@code node} (not linked yet) rows on levels 1..{@code l}.
   *
   * @param node the node, below {@link #n}
   * @param l its top level: 0 for level 0 only
   */
  public void setLevel(int node, int l) {
    level[node] = l;
    if (l > 0) {
      upper[node] = new int[l * m];
      Arrays.fill(upper[node], -1);
      upperCount[node] = new int[l];
    }
  }

  /**
   * A node's top level.
   *
   * @param node the node, below {@link #n}
   * @return its top level: 0 when it is on level 0 only
   */
  public int level(int node) {
    return level[node];
  }

  /**
   * Dimensions of the vectors.
   *
   * @return floats per vector: the stride of the vector array
   */
  public int dim() {
    return dim;
  }

  float[] vectors() {
    return v;
  }

  /**
   * Level 0's rows, n x 2M, -1 padded (repaired in place by the builder's export).
   *
   * @return the array itself, node i's row from {@code i * 2M}
   */
  public int[] links0() {
    return links0;
  }

  /**
   * How many links each node's level-0 row holds; the rest of its 2M slots are -1.
   *
   * @return the array itself, one count per node
   */
  public int[] count0() {
    return count0;
  }

  /**
   * {@code node}'s rows on levels 1..level, M each.
   *
   * @param node the node, below {@link #n}
   * @return the array itself, level l's row from {@code (l - 1) * M}, -1 padded; null for a
   *     node on level 0 only
   */
  public int[] upperRows(int node) {
    return upper[node];
  }

  /**
   * The distance between two nodes' vectors: squared L2 for l2, minus the inner product for ip
   * and cosine.
   *
   * @param a a node
   * @param b another node
   * @return the distance; lower is nearer
   */
  public float distance(int a, int b) {
    return distance(v, a * dim, b);
  }

  /** The distance from the vector at {@code qOff} of {@code qv} to {@code node}. */
  float distance(float[] qv, int qOff, int node) {
    return innerProduct ? -K.dot(qv, qOff, v, node * dim, dim)
        : K.squareDistance(qv, qOff, v, node * dim, dim);
  }

  /**
   * {@code out[from + i]} = distance(q, ids[from + i]) for i in [0, count), q being the vector
   * at {@code qOff} of {@code qv}, four rows at a time (the rows are scattered: four in flight
   * hide most of the wait for memory); a last group of fewer than four repeats its last row
   * rather than falling back to one-row calls.
   */
  void distances(float[] qv, int qOff, int[] ids, int from, int count, float[] out,
      float[] four) {
    int end = from + count;
    for (int i = from; i < end; i += 4) {
      int last = end - 1;
      int o0 = ids[i] * dim;
      int o1 = ids[Math.min(i + 1, last)] * dim;
      int o2 = ids[Math.min(i + 2, last)] * dim;
      int o3 = ids[Math.min(i + 3, last)] * dim;
      if (innerProduct) {
        K.dot4(qv, qOff, v, o0, o1, o2, o3, dim, four, 0);
        for (int j = 0; j < 4 && i + j < end; j++) {
          out[i + j] = -four[j];
        }
      } else {
        K.squareDistance4(qv, qOff, v, o0, o1, o2, o3, dim, four, 0);
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
   * the front, in order; returns how many. The distances to the kept ones go four rows at a
   * time ({@code beam} lends the space): the four-row kernels give each row's bits of the
   * one-row kernel, so the choice is the same, at about half the time where rows overflow
   * often (high-dimensional, weakly clustered vectors).
   */
  int shrink(int[] ids, float[] dists, int count, int max, GraphBeam beam) {
    if (count < max) {
      return count;
    }
    float[] toKept = beam.toKept;
    int kept = 0;
    for (int i = 0; i < count && kept < max; i++) {
      int c = ids[i];
      float dc = dists[i];
      boolean good = true;
      for (int j = 0; j < kept && good; j += 4) {
        int n = Math.min(4, kept - j);
        distances(v, c * dim, ids, j, n, toKept, beam.four);
        for (int t = 0; t < n; t++) {
          if (toKept[j + t] < dc) {
            good = false;
            break;
          }
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
   *
   * @param node the node whose row gains the link
   * @param q the node linked to
   * @param d the distance between node and q
   * @param l the level: 0 up to node's level
   * @param beam the calling thread's beam
   */
  public void link(int node, int q, float d, int l, GraphBeam beam) {
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
    distances(v, node * dim, ids, 1, count, dists, beam.four);
    sortByDistance(ids, dists, count + 1);
    setRow(node, l, ids, shrink(ids, dists, count + 1, max, beam));
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
