package dev.kiln.graph;

import java.util.SplittableRandom;

/**
 * Inserts nodes into a {@link GraphRows} graph by the rule of Faiss's {@code IndexHNSWFlat} and
 * hnswlib: a greedy descent to the node's top level, then on each of its levels a beam of
 * {@code efConstruction}, {@link GraphRows#shrink} to the row's slots, and links back from each
 * neighbour kept. An insertion is two steps, {@link #plan} (searches, and writes the new node's
 * own rows) and {@link #apply} (the links back), so that the builder can plan a batch of nodes
 * in parallel; {@link #insert} runs both, for a graph that grows one node at a time.
 */
public final class GraphInsert {
  private final GraphRows g;
  private final int efConstruction;
  private int entry;
  private int maxLevel;

  /** An empty graph (no node in yet): the first {@link #insert} makes its entry point. */
  public GraphInsert(GraphRows g, int efConstruction) {
    this(g, efConstruction, -1, -1);
  }

  /** Goes on inserting into {@code g}, whose entry point and top level are given. */
  public GraphInsert(GraphRows g, int efConstruction, int entry, int maxLevel) {
    if (efConstruction < 1) {
      throw new IllegalArgumentException("efConstruction must be at least 1: " + efConstruction);
    }
    this.g = g;
    this.efConstruction = efConstruction;
    this.entry = entry;
    this.maxLevel = maxLevel;
  }

  /** A node's level: floor(-ln(U) / ln(M)), as Faiss's and hnswlib's level generators. */
  public static int drawLevel(SplittableRandom r, int m) {
    return Math.min(30, (int) (-Math.log(1 - r.nextDouble()) / Math.log(m)));
  }

  /** The beam an insertion needs: at least 2M + 1 wide, for rows that overflow. */
  public GraphBeam newBeam() {
    return new GraphBeam(g.n, 2 * g.m);
  }

  public GraphRows rows() {
    return g;
  }

  public int entry() {
    return entry;
  }

  public int maxLevel() {
    return maxLevel;
  }

  /** Makes {@code q} (already given its level) the first node: the entry point. */
  public void start(int q) {
    entry = q;
    maxLevel = g.level(q);
  }

  /** Inserts {@code q} (already given its level, below the graph's capacity) now. */
  public void insert(int q, GraphBeam beam, Links scratch) {
    if (entry < 0) {
      start(q);
      return;
    }
    plan(q, beam, scratch);
    apply(scratch, beam);
    if (g.level(q) > maxLevel) {
      entry = q;
      maxLevel = g.level(q);
    }
  }

  /**
   * Finds {@code q}'s neighbours on each of its levels in the graph as it stands and writes q's
   * own rows (no other node links to q yet, so no other search reads them); records in
   * {@code out} the links the other ends must add. Nodes at or above {@code q} are not seen
   * unless linked already: the builder inserts in any order, the fresh set in slot order.
   */
  public void plan(int q, GraphBeam beam, Links out) {
    int lq = g.level(q);
    float[] v = g.vectors();
    int qOff = q * g.dim();
    beam.descend(g, v, qOff, entry, maxLevel, lq, g.n);
    int top = Math.min(lq, maxLevel);
    out.start(q, top + 1, 2 * g.m);
    for (int l = top; l >= 0; l--) {
      int found = beam.search(g, v, qOff, q, l, efConstruction, g.n, null);
      int kept = g.shrink(beam.ids, beam.dists, found, g.slots(l), beam);
      g.setRow(q, l, beam.ids, kept);
      out.record(l, beam.ids, beam.dists, kept);
      beam.entry = beam.ids[0];
      beam.entryDist = beam.dists[0];
    }
  }

  /** Adds the links back that {@code p} planned, each to its neighbour's row. */
  public void apply(Links p, GraphBeam beam) {
    for (int l = 0; l < p.levels; l++) {
      for (int j = 0; j < p.count[l]; j++) {
        g.link(p.ids[l][j], p.node, p.dists[l][j], l, beam);
      }
    }
  }

  /** One planned insertion: the node and, per level, the neighbours it linked and distances. */
  public static final class Links {
    int node;
    int levels;
    int[][] ids = new int[0][];
    float[][] dists = new float[0][];
    int[] count = new int[0];

    void start(int node, int levels, int width) {
      this.node = node;
      this.levels = levels;
      if (ids.length < levels) {
        ids = new int[levels][width];
        dists = new float[levels][width];
        count = new int[levels];
      }
    }

    void record(int l, int[] nodes, float[] d, int n) {
      System.arraycopy(nodes, 0, ids[l], 0, n);
      System.arraycopy(d, 0, dists[l], 0, n);
      count[l] = n;
    }

    public int node() {
      return node;
    }

    public int levels() {
      return levels;
    }

    public int count(int l) {
      return count[l];
    }

    public int target(int l, int j) {
      return ids[l][j];
    }

    public float distance(int l, int j) {
      return dists[l][j];
    }
  }
}
