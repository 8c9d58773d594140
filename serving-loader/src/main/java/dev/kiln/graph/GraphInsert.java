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

  /**
   * An empty graph (no node in yet): the first {@link #insert} makes its entry point.
   *
   * @param g the rows to insert into, no node linked yet
   * @param efConstruction the beam width of each insertion's search on a level, at least 1
   * @throws IllegalArgumentException when efConstruction is below 1
   */
  public GraphInsert(GraphRows g, int efConstruction) {
    this(g, efConstruction, -1, -1);
  }

  /**
   * Goes on inserting into {@code g}, whose entry point and top level are given.
   *
   * @param g the rows to insert into, such as {@link GraphRows#grow}'s copy of a graph
   * @param efConstruction the beam width of each insertion's search on a level, at least 1
   * @param entry the graph's entry point ({@link #entry()}), or -1 when it has no node yet
   * @param maxLevel the entry point's level ({@link #maxLevel()}), or -1 with no node yet
   * @throws IllegalArgumentException when efConstruction is below 1
   */
  public GraphInsert(GraphRows g, int efConstruction, int entry, int maxLevel) {
    if (efConstruction < 1) {
      throw new IllegalArgumentException("efConstruction must be at least 1: " + efConstruction);
    }
    this.g = g;
    this.efConstruction = efConstruction;
    this.entry = entry;
    this.maxLevel = maxLevel;
  }

  /**
   * A node's level: floor(-ln(U) / ln(M)), as Faiss's and hnswlib's level generators.
   *
   * @param r draws U, uniform in (0, 1]
   * @param m M, the graph's links per row above level 0 (at least 2)
   * @return the level, 0 or more, at most 30
   */
  public static int drawLevel(SplittableRandom r, int m) {
    return Math.min(30, (int) (-Math.log(1 - r.nextDouble()) / Math.log(m)));
  }

  /**
   * The beam an insertion needs: at least 2M + 1 wide, for rows that overflow.
   *
   * @return a new beam for this graph's capacity and degree, for one thread
   */
  public GraphBeam newBeam() {
    return new GraphBeam(g.n, 2 * g.m);
  }

  /**
   * The rows this inserts into.
   *
   * @return the graph given to the constructor
   */
  public GraphRows rows() {
    return g;
  }

  /**
   * The graph's entry point: where every search starts.
   *
   * @return a node on the top level, or -1 while the graph has no node
   */
  public int entry() {
    return entry;
  }

  /**
   * The graph's top level.
   *
   * @return the entry point's level, or -1 while the graph has no node
   */
  public int maxLevel() {
    return maxLevel;
  }

  /**
   * Makes {@code q} (already given its level) the first node: the entry point.
   *
   * @param q the node, below the graph's capacity
   */
  public void start(int q) {
    entry = q;
    maxLevel = g.level(q);
  }

  /**
   * Inserts {@code q} (already given its level, below the graph's capacity) now. The first
   * node inserted becomes the entry point; so does a later one whose level is above the top.
   *
   * @param q the node
   * @param beam the calling thread's beam ({@link #newBeam})
   * @param scratch working space for the plan, overwritten
   */
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
   * The graph must have an entry point already ({@link #start}).
   *
   * @param q the node, given its level and not linked yet
   * @param beam the calling thread's beam ({@link #newBeam})
   * @param out receives the plan, overwritten; {@link #apply} carries it out
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

  /**
   * Adds the links back that {@code p} planned, each to its neighbour's row.
   *
   * @param p a plan made by {@link #plan}
   * @param beam the calling thread's beam, which lends scratch when a row is full
   */
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

    /**
     * The node the plan inserts.
     *
     * @return its id
     */
    public int node() {
      return node;
    }

    /**
     * How many levels the plan links, from level 0 up.
     *
     * @return the lower of the node's level and the graph's top level, plus one
     */
    public int levels() {
      return levels;
    }

    /**
     * How many neighbours the node found on a level.
     *
     * @param l a level below {@link #levels()}
     * @return how many links back level l needs
     */
    public int count(int l) {
      return count[l];
    }

    /**
     * A neighbour the node found, which must link back to it.
     *
     * @param l a level below {@link #levels()}
     * @param j an index below {@link #count count(l)}, nearest first
     * @return the neighbour's id
     */
    public int target(int l, int j) {
      return ids[l][j];
    }

    /**
     * The distance between the node and a neighbour.
     *
     * @param l a level below {@link #levels()}
     * @param j an index below {@link #count count(l)}
     * @return the distance to {@link #target target(l, j)}: squared L2, or minus the inner
     *     product
     */
    public float distance(int l, int j) {
      return dists[l][j];
    }
  }
}
