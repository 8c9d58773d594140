package dev.kiln.graph;

import dev.kiln.quantize.NodeHeap;
import dev.kiln.quantize.TopK;
import java.util.Arrays;

/**
 * The searches of a {@link GraphRows} graph, for one thread: the greedy descent through the
 * upper levels and the beam of {@code ef} nodes on one level, as Faiss and hnswlib run them;
 * used to insert a node (the query is the node's own vector) and to answer a query (then with a
 * bound on the nodes a reader may see and a test of which may be results). Arrays are reused
 * across searches, so a search allocates nothing once they have grown.
 */
public final class GraphBeam {
  /** Which nodes may be results (a rejected node is still walked through). */
  public interface Accept {
    /**
     * Whether {@code node} may be a result.
     *
     * @param node a node id, below the search's bound
     * @return false to keep it out of the answer (the search still walks through it)
     */
    boolean test(int node);
  }

  /** Visit marks: a byte per node (a quarter of an int's cache footprint), cleared every 255. */
  private final byte[] visited;
  private int stamp;
  /** The answer of the last {@link #search}, nearest first. */
  public int[] ids;
  /**
   * Their distances (squared L2, or minus the inner product), in the same order. In both
   * arrays only the first entries, as many as the search returned, are its answer.
   */
  public float[] dists;
  /** A full row plus the newcomer, for {@link GraphRows#link}. */
  final int[] spareIds;
  final float[] spareDists;
  /** Candidates, nearest first, and the ef best found (the loader's heaps, same tie rule). */
  private final NodeHeap candidates = new NodeHeap();
  private final TopK results = new TopK();
  private long[] drained;
  private final int[] fresh;
  private final float[] freshDist;
  /** Four distances of a four-row kernel. */
  final float[] four = new float[4];
  /** A candidate's distances to the neighbours kept so far, for {@link GraphRows#shrink}. */
  final float[] toKept;
  /** The node the last {@link #descend} stopped at, and its distance. */
  int entry;
  float entryDist;

  /**
   * A beam for graphs of up to {@code n} nodes and degree at most 2M = {@code degree}.
   *
   * @param n the most nodes a graph it searches may hold (a byte of visit mark each)
   * @param degree the graph's level-0 row length, 2M
   */
  public GraphBeam(int n, int degree) {
    visited = new byte[n];
    ids = new int[0];
    dists = new float[0];
    drained = new long[0];
    spareIds = new int[degree + 1];
    spareDists = new float[degree + 1];
    fresh = new int[degree];
    freshDist = new float[degree];
    toKept = new float[degree + 4];
  }

  /**
   * Whether this beam serves a graph of {@code n} nodes and level-0 degree {@code degree}.
   *
   * @param n the graph's capacity in nodes ({@link GraphRows#n})
   * @param degree its level-0 row length, 2M
   * @return true when this beam's arrays are large enough for it
   */
  public boolean fits(int n, int degree) {
    return visited.length >= n && fresh.length >= degree;
  }

  /**
   * The {@code ef} nearest nodes to {@code query} (prepared as the graph's vectors: normalized
   * for cosine) that a reader published with {@code bound} nodes, entry point {@code entry}
   * and top level {@code maxLevel} can see, and that {@code accept} (null: all) takes, nearest
   * first, into {@link #ids} / {@link #dists}; returns how many.
   *
   * @param g the graph
   * @param entry the entry point the reader was published with
   * @param maxLevel the entry point's level, where the descent starts
   * @param bound how many nodes the reader may see: ids from 0 to bound - 1 (links to nodes
   *     at or above it are skipped)
   * @param query the query, {@code g.dim()} floats from index 0
   * @param ef the beam's width: the most nodes returned
   * @param accept which nodes may be results, or null for all
   * @return how many nodes the answer holds, at most ef
   * @throws IllegalArgumentException when this beam does not fit the graph ({@link #fits})
   */
  public int query(GraphRows g, int entry, int maxLevel, int bound, float[] query, int ef,
      Accept accept) {
    if (!fits(g.n, 2 * g.m)) {
      throw new IllegalArgumentException("beam for " + visited.length + " nodes, graph of " + g.n);
    }
    descend(g, query, 0, entry, maxLevel, 0, bound);
    return search(g, query, 0, -1, 0, ef, bound, accept);
  }

  /**
   * Greedy descent from {@code ep} on level {@code top} down to level {@code bottom} + 1 for
   * the vector at {@code qOff} of {@code qv}: at each level, moves to the nearest neighbour
   * while one is nearer. Leaves the node reached in {@link #entry} / {@link #entryDist}.
   */
  void descend(GraphRows g, float[] qv, int qOff, int ep, int top, int bottom, int bound) {
    float epDist = g.distance(qv, qOff, ep);
    for (int l = top; l > bottom; l--) {
      boolean moved = true;
      while (moved) {
        moved = false;
        int count = collect(g, ep, l, bound, false);
        g.distances(qv, qOff, fresh, 0, count, freshDist, four);
        int from = ep;
        for (int j = 0; j < count; j++) {
          int nb = fresh[j];
          float d = freshDist[j];
          if (d < epDist || (d == epDist && nb < ep)) {
            ep = nb;
            epDist = d;
          }
        }
        moved = ep != from;
      }
    }
    entry = ep;
    entryDist = epDist;
  }

  /**
   * The beam search on level {@code l} from {@link #entry} for the vector at {@code qOff} of
   * {@code qv}: the {@code ef} nearest nodes found below {@code bound} that {@code accept}
   * (null: all) takes, nearest first, into {@link #ids} / {@link #dists}; returns how many.
   * Node {@code self} (or -1) is never visited: an inserted node does not find itself.
   */
  int search(GraphRows g, float[] qv, int qOff, int self, int l, int ef, int bound,
      Accept accept) {
    if (++stamp == 256) {
      Arrays.fill(visited, (byte) 0);
      stamp = 1;
    }
    if (ids.length < ef) {
      ids = new int[ef];
      dists = new float[ef];
      drained = new long[ef];
    }
    byte mark = (byte) stamp;
    int ep = entry;
    visited[ep] = mark;
    if (self >= 0) {
      visited[self] = mark;
    }
    candidates.clear();
    results.reset(ef);
    candidates.push(entryDist, ep);
    if (accept == null || accept.test(ep)) {
      results.offer(entryDist, ep);
    }
    while (candidates.size() > 0) {
      float d = candidates.topDistance();
      int c = candidates.pop();
      if (d > results.threshold()) {
        break; // the nearest unexpanded candidate is farther than the ef-th best: done
      }
      int nf = collect(g, c, l, bound, true);
      g.distances(qv, qOff, fresh, 0, nf, freshDist, four);
      for (int j = 0; j < nf; j++) {
        float dn = freshDist[j];
        if (dn < results.threshold()) {
          int node = fresh[j];
          candidates.push(dn, node);
          if (accept == null || accept.test(node)) {
            results.offer(dn, node);
          }
        }
      }
    }
    int count = results.drainSorted(dists, drained);
    for (int i = 0; i < count; i++) {
      ids[i] = (int) drained[i];
    }
    return count;
  }

  /**
   * {@code node}'s neighbours on level {@code l} below {@code bound} into {@link #fresh};
   * with {@code unvisited}, only those not visited in this search, which it marks. Skips -1
   * anywhere in the row: a row being rewritten beside a reader may show one before its end.
   */
  private int collect(GraphRows g, int node, int l, int bound, boolean unvisited) {
    byte mark = (byte) stamp;
    int[] links = g.rowArray(node, l);
    int row = g.rowStart(node, l);
    int count = Math.min(g.rowCount(node, l), g.slots(l));
    int nf = 0;
    for (int j = 0; j < count; j++) {
      int nb = links[row + j];
      if (nb < 0 || nb >= bound) {
        continue;
      }
      if (unvisited) {
        if (visited[nb] == mark) {
          continue;
        }
        visited[nb] = mark;
      }
      fresh[nf++] = nb;
    }
    return nf;
  }
}
