package dev.kiln.quantize;

import dev.kiln.format.HnswSection;
import java.util.Arrays;

/**
 * Malkov and Yashunin's HNSW search over a stored {@link HnswSection}, as Faiss and hnswlib run
 * it: a greedy descent through the upper levels, then a beam of {@code ef} nodes on level 0.
 * Written once for both graphs Kiln stores: over the centroids ({@link HnswProber}: the lists to
 * probe) and over a shard's items ({@code HNSW{M}}: the nearest items). The caller scores nodes
 * ({@link Scorer}: lower is nearer) and may restrict which nodes can be results
 * ({@link Accept}): a rejected node is still walked through, so a filter narrows the answer
 * without cutting the graph (Lucene filters its HNSW search the same way). Ties go to the lower
 * node, so the answer is a function of the graph and the scores alone.
 */
public final class GraphWalk {

  /** Scores nodes for one query: lower is nearer. */
  public interface Scorer {
    /**
     * {@code out[i]} = the score of node {@code nodes[i]}, for i in [0, n).
     *
     * @param nodes the nodes to score, the first n of the array
     * @param n how many, at most the graph's level-0 degree
     * @param out receives the n scores
     */
    void scores(int[] nodes, int n, float[] out);
  }

  /** Which nodes may be results. */
  public interface Accept {
    /**
     * Whether {@code node} may be a result.
     *
     * @param node a node id
     * @return false to keep it out of the answer (the walk still goes through it)
     */
    boolean test(int node);
  }

  private GraphWalk() {}

  /**
   * The {@code ef} nearest nodes the search finds that {@code accept} (null: all) takes, nearest
   * first, into {@code s.ids / s.dists}; returns how many (fewer than ef only when the graph
   * holds fewer acceptable nodes).
   *
   * @param g the stored graph
   * @param scorer scores nodes against the query
   * @param ef the beam's width on level 0: the most nodes returned
   * @param accept which nodes may be results, or null for all
   * @param s the calling thread's scratch, which must fit the graph ({@link Scratch#fits})
   * @return how many nodes the answer holds, at most ef
   */
  public static int search(HnswSection g, Scorer scorer, int ef, Accept accept, Scratch s) {
    int entry = descend(g, scorer, s);
    return beam(g, scorer, entry, ef, accept, s);
  }

  /** Greedy descent from the entry point through levels L-1 .. 1; returns level 0's start. */
  private static int descend(HnswSection g, Scorer scorer, Scratch s) {
    int ep = g.entryPoint();
    s.fresh[0] = ep;
    scorer.scores(s.fresh, 1, s.freshScores);
    float best = s.freshScores[0];
    for (int level = g.levels() - 1; level >= 1; level--) {
      boolean moved = true;
      while (moved) {
        moved = false;
        int n = scoreNeighbours(g, scorer, level, ep, 0, s);
        for (int i = 0; i < n; i++) {
          float d = s.freshScores[i];
          int nb = s.fresh[i];
          if (d < best || (d == best && nb < ep)) {
            best = d;
            ep = nb;
            moved = true;
          }
        }
      }
    }
    s.entryScore = best;
    return ep;
  }

  /**
   * Scores {@code node}'s neighbours on {@code level} into {@code s.fresh / s.freshScores};
   * returns how many. With a {@code stamp} (not 0), only those not yet visited, which it marks.
   * The rows are collected first and scored together, so the scorer can keep several rows in
   * flight (four-row kernels), apart from the visit checks and the heap updates.
   */
  private static int scoreNeighbours(HnswSection g, Scorer scorer, int level, int node,
      int stamp, Scratch s) {
    int row = g.row(level, node);
    int degree = g.degree(level);
    int n = 0;
    for (int j = 0; j < degree; j++) {
      int nb = g.neighbour(level, row + j);
      if (nb < 0) {
        break;
      }
      if (stamp == 0 || s.visited[nb] != (byte) stamp) {
        if (stamp != 0) {
          s.visited[nb] = (byte) stamp;
        }
        s.fresh[n++] = nb;
      }
    }
    scorer.scores(s.fresh, n, s.freshScores);
    return n;
  }

  /**
   * The beam search on level 0 from {@code entry}: the {@code ef} best accepted nodes found,
   * nearest first, into {@code s.ids / s.dists}; returns how many. Every node within the
   * results' bound is expanded, accepted or not.
   */
  private static int beam(HnswSection g, Scorer scorer, int entry, int ef, Accept accept,
      Scratch s) {
    int stamp = s.nextStamp();
    byte[] visited = s.visited;
    TopK results = s.results;
    results.reset(ef);
    NodeHeap candidates = s.candidates;
    candidates.clear();
    visited[entry] = (byte) stamp;
    if (accept == null || accept.test(entry)) {
      results.offer(s.entryScore, entry);
    }
    candidates.push(s.entryScore, entry);
    while (candidates.size() > 0) {
      float d = candidates.topDistance();
      int c = candidates.pop();
      if (d > results.threshold()) {
        break; // the nearest unexpanded candidate is farther than the ef-th best: done
      }
      int fresh = scoreNeighbours(g, scorer, 0, c, stamp, s);
      for (int i = 0; i < fresh; i++) {
        float dn = s.freshScores[i];
        if (dn <= results.threshold()) {
          int node = s.fresh[i];
          if (accept == null || accept.test(node)) {
            results.offer(dn, node);
          }
          candidates.push(dn, node);
        }
      }
    }
    s.ensureResults(ef);
    return results.drainSorted(s.dists, s.ids);
  }

  /**
   * One thread's working space: visit stamps per node, the candidate min-heap, the ef best.
   * Stamps are bytes (a quarter of the cache lines an int stamp would take over a million-node
   * graph; the array is cleared once every 255 walks).
   * Reused, so a walk allocates nothing once the arrays have grown; one serves graphs of up to
   * {@link #nodes()} nodes and degree {@code degree}.
   */
  public static final class Scratch {
    final byte[] visited;
    private int stamp;
    final TopK results = new TopK();
    final NodeHeap candidates = new NodeHeap();
    /** The walk's answer: nodes (as longs, TopK's refs) and their scores, nearest first. */
    public float[] dists = new float[0];
    /** The answer's nodes, in the order of {@link #dists}; the first as many as returned. */
    public long[] ids = new long[0];
    float entryScore;

    /** A row's unvisited neighbours and their scores. */
    final int[] fresh;
    final float[] freshScores;

    /**
     * Scratch for graphs of up to {@code nodes} nodes and rows of up to {@code degree} links.
     *
     * @param nodes the most nodes a graph it walks may hold (a byte of visit stamp each)
     * @param degree the longest row: level 0's, 2M
     */
    public Scratch(int nodes, int degree) {
      visited = new byte[nodes];
      fresh = new int[degree];
      freshScores = new float[degree];
    }

    /**
     * Whether this scratch serves a graph of {@code nodes} nodes and {@code degree}.
     *
     * @param nodes the graph's node count
     * @param degree its level-0 degree, 2M
     * @return true when this scratch's arrays are large enough for it
     */
    public boolean fits(int nodes, int degree) {
      return visited.length >= nodes && fresh.length >= degree;
    }

    /**
     * How many nodes a graph it serves may hold.
     *
     * @return the length of its visit stamps
     */
    public int nodes() {
      return visited.length;
    }

    int nextStamp() {
      if (++stamp == 256) {
        Arrays.fill(visited, (byte) 0);
        stamp = 1;
      }
      return stamp;
    }

    void ensureResults(int n) {
      if (ids.length < n) {
        ids = new long[n];
        dists = new float[n];
      }
    }
  }
}
