package dev.kiln.quantize;

import dev.kiln.format.CoarseGraph;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * The coarse step of {@code IVF{n}_HNSW{M}}: the lists to probe found by walking the HNSW graph
 * over the centroids (Malkov and Yashunin's search, as Faiss's {@code IndexHNSWFlat} quantizer
 * runs it): a greedy descent through the upper levels, then a beam of {@code efSearch} nodes on
 * level 0, from which the nearest {@code nprobe} are the lists. It scores a few hundred to a few
 * thousand centroids where {@link CoarseQuantizer} scores all of them, at the price of sometimes
 * missing one of the true nearest lists (efSearch trades that off). Scores and distances are
 * {@link CoarseQuantizer}'s, so the two agree on every centroid they both score.
 */
public final class HnswProber implements CoarseProber {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final CoarseQuantizer flat;
  private final CoarseGraph graph;

  public HnswProber(CoarseQuantizer flat, CoarseGraph graph) {
    if (graph.nodes() != flat.nlist()) {
      throw new IllegalArgumentException(
          "the graph has " + graph.nodes() + " nodes for " + flat.nlist() + " lists");
    }
    this.flat = flat;
    this.graph = graph;
  }

  /**
   * efSearch when the caller gives none: max(16, nprobe), as Faiss searches its HNSW quantizer
   * (efSearch 16, widened to the nprobe asked for). Measured on synth-1m-128 IVF16384_HNSW32 at
   * nprobe 16 ({@code kiln search --ef-search 16|32 --repeat 5}, two rounds): recall@10 0.6764
   * against 0.6767 with a beam of 32 and 0.6768 with the flat scan, 1.3-1.7x the QPS of the
   * beam of 32 (README, "Coarse graph", has the flat comparison).
   */
  public static int defaultEfSearch(int nprobe) {
    return Math.max(16, nprobe);
  }

  @Override
  public int nlist() {
    return flat.nlist();
  }

  public CoarseGraph graph() {
    return graph;
  }

  @Override
  public Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out) {
    int p = Math.min(nprobe, flat.nlist());
    int ef = Math.max(p, efSearch > 0 ? efSearch : defaultEfSearch(p));
    Scratch s = out.graphScratch(flat.nlist(), graph.degree(0));
    int entry = descend(q, qOff, s);
    int found = beam(q, qOff, entry, ef, s);
    int n = Math.min(p, found);
    out.ensureLists(p);
    float qq = K.dot(q, qOff, q, qOff, flat.dim());
    for (int i = 0; i < n; i++) {
      out.lists[i] = s.ids[i];
      out.dist[i] = flat.distance(s.dists[i], qq);
    }
    out.size = n;
    return out;
  }

  /** Greedy descent from the entry point through levels L-1 .. 1; returns level 0's start. */
  private int descend(float[] q, int qOff, Scratch s) {
    int ep = graph.entryPoint();
    s.fresh[0] = ep;
    flat.scores(q, qOff, s.fresh, 1, s.freshScores);
    float best = s.freshScores[0];
    for (int level = graph.levels() - 1; level >= 1; level--) {
      boolean moved = true;
      while (moved) {
        moved = false;
        int n = scoreNeighbours(q, qOff, level, ep, 0, s);
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
   * The rows are collected first, then scored four at a time (VectorKernels.dot4: q read once,
   * four scattered rows in flight; 78 ns against 158 ns for four dot calls on rows scattered
   * over 16,384 centroids of d = 128, JMH KernelBenchmark.scattered*), apart from the visit
   * checks and the heap updates.
   */
  private int scoreNeighbours(float[] q, int qOff, int level, int node, int stamp, Scratch s) {
    int row = graph.row(level, node);
    int degree = graph.degree(level);
    int n = 0;
    for (int j = 0; j < degree; j++) {
      int nb = graph.neighbour(level, row + j);
      if (nb < 0) {
        break;
      }
      if (stamp == 0 || s.visited[nb] != stamp) {
        if (stamp != 0) {
          s.visited[nb] = stamp;
        }
        s.fresh[n++] = nb;
      }
    }
    flat.scores(q, qOff, s.fresh, n, s.freshScores);
    return n;
  }

  /**
   * The beam search on level 0 from {@code entry}: the {@code ef} best nodes found, nearest
   * first, into {@code s.ids / s.dists} (scores); returns how many.
   */
  private int beam(float[] q, int qOff, int entry, int ef, Scratch s) {
    int stamp = s.nextStamp();
    int[] visited = s.visited;
    TopK results = s.results;
    results.reset(ef);
    s.candidates = 0;
    visited[entry] = stamp;
    results.offer(s.entryScore, entry);
    s.push(s.entryScore, entry);
    while (s.candidates > 0) {
      float d = s.candDist[0];
      int c = s.pop();
      if (d > results.threshold()) {
        break; // the nearest unexpanded candidate is farther than the ef-th best: done
      }
      int fresh = scoreNeighbours(q, qOff, 0, c, stamp, s);
      for (int i = 0; i < fresh; i++) {
        float dn = s.freshScores[i];
        if (dn <= results.threshold()) {
          results.offer(dn, s.fresh[i]);
          s.push(dn, s.fresh[i]);
        }
      }
    }
    s.ensureResults(ef);
    return results.drainSorted(s.dists, s.ids);
  }

  /** At most 256 queries a block; the graph is walked one query at a time. */
  @Override
  public int blockSize() {
    return 256;
  }

  @Override
  public void probeBlock(float[] queries, int n, int nprobe, int efSearch, Probe[] out) {
    int d = flat.dim();
    for (int i = 0; i < n; i++) {
      probe(queries, i * d, nprobe, efSearch, out[i]);
    }
  }

  /**
   * One thread's working space (kept in its {@link Probe}): visit stamps per node, the candidate
   * min-heap, the ef best. Reused, so a query allocates nothing once the arrays have grown.
   */
  static final class Scratch {
    final int[] visited;
    private int stamp;
    final TopK results = new TopK();
    float[] candDist = new float[64];
    int[] candNode = new int[64];
    int candidates;
    float[] dists = new float[0];
    long[] ids = new long[0];
    float entryScore;

    /** A row's unvisited neighbours and their scores. */
    final int[] fresh;
    final float[] freshScores;

    Scratch(int nodes, int degree) {
      visited = new int[nodes];
      fresh = new int[degree];
      freshScores = new float[degree];
    }

    int nextStamp() {
      if (++stamp == Integer.MAX_VALUE) {
        Arrays.fill(visited, 0);
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

    /** Pushes onto the candidate min-heap (by score, then node). */
    void push(float d, int node) {
      if (candidates == candDist.length) {
        candDist = Arrays.copyOf(candDist, 2 * candidates);
        candNode = Arrays.copyOf(candNode, 2 * candidates);
      }
      int j = candidates++;
      while (j > 0) {
        int p = (j - 1) >>> 1;
        if (!before(d, node, candDist[p], candNode[p])) {
          break;
        }
        candDist[j] = candDist[p];
        candNode[j] = candNode[p];
        j = p;
      }
      candDist[j] = d;
      candNode[j] = node;
    }

    /** Removes the heap's top (its score is {@code candDist[0]}) and returns its node. */
    int pop() {
      int top = candNode[0];
      int n = --candidates;
      float d = candDist[n];
      int node = candNode[n];
      int j = 0;
      while (true) {
        int l = 2 * j + 1;
        if (l >= n) {
          break;
        }
        int w = l + 1 < n && before(candDist[l + 1], candNode[l + 1], candDist[l], candNode[l])
            ? l + 1 : l;
        if (!before(candDist[w], candNode[w], d, node)) {
          break;
        }
        candDist[j] = candDist[w];
        candNode[j] = candNode[w];
        j = w;
      }
      if (n > 0) {
        candDist[j] = d;
        candNode[j] = node;
      }
      return top;
    }

    private static boolean before(float d1, int n1, float d2, int n2) {
      return d1 < d2 || (d1 == d2 && n1 < n2);
    }
  }
}
