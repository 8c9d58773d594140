package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * An HNSW graph as a file section: over a model's centroids ({@code IVF{n}_HNSW{M}}, in
 * {@code model.kiln} from format version 3, nodes being list ids), which search walks to pick
 * the lists to probe instead of scoring every centroid; or over one shard's items
 * ({@code HNSW{M}}, in {@link GraphFile}, nodes being the shard's ordinals), which search walks
 * to find the nearest items. Level 0 holds every node with up to 2M neighbours; level l &ge; 1
 * holds a subset (each level a subset of the one below) with up to M. Layout of the section
 * (little-endian, starting at a multiple of 64; n is the node count):
 *
 * <pre>
 * offset       size              field
 * 0            4                 M: neighbours per node on levels &ge; 1 (level 0 holds 2M)
 * 4            4                 L: levels (at least 1)
 * 8            4                 entry point: the node search starts from, on level L-1
 * 12           4                 efConstruction the graph was built with (informative)
 * 16           4 x L             nodes on each level, level 0 first (level 0: n)
 * align 64     4 x n x 2M        level 0: neighbours of node 0, 1, ...; -1 pads a short row
 * then, for l = 1 .. L-1:
 *              4 x n_l           the level's nodes, ascending
 *              4 x n_l x M       their neighbours, in the same order; -1 pads a short row
 * </pre>
 *
 * A row lists its neighbours first and its padding after: a reader stops at the first -1.
 * Every neighbour of a level-l row is a node of level l. The arrays stay views of the mapped
 * file.
 */
public final class HnswSection {
  private final int m;
  private final int efConstruction;
  private final int entryPoint;
  private final int nodes;
  private final IntBuffer level0;
  /** Index l - 1: the nodes of level l, ascending. */
  private final IntBuffer[] upperNodes;
  /** Index l - 1: the neighbours of level l, n_l x M. */
  private final IntBuffer[] upperNeighbours;

  private HnswSection(int m, int efConstruction, int entryPoint, int nodes, IntBuffer level0,
      IntBuffer[] upperNodes, IntBuffer[] upperNeighbours) {
    this.m = m;
    this.efConstruction = efConstruction;
    this.entryPoint = entryPoint;
    this.nodes = nodes;
    this.level0 = level0;
    this.upperNodes = upperNodes;
    this.upperNeighbours = upperNeighbours;
  }

  /**
   * A graph held in arrays, as a builder produces it: {@code level0} is nodes x 2M,
   * {@code upperNodes[l - 1]} the ascending nodes of level l and {@code upperNeighbours[l - 1]}
   * their rows of M. Checked as a reader checks a file.
   *
   * @param m neighbours per node on levels above 0, 2 to {@link IndexSpec#MAX_HNSW_M}
   * @param efConstruction the beam the graph was built with (recorded, informative)
   * @param entryPoint the node search starts from; a node of the top level
   * @param nodes nodes on level 0 (n)
   * @param level0 n rows of 2M: row {@code v} holds node {@code v}'s neighbours, then -1s
   * @param upperNodes for each level above 0, its nodes, strictly ascending, each on the
   *     level below
   * @param upperNeighbours for each level above 0, its rows of M, in the order of its nodes
   * @return the graph, over the arrays themselves (not copies)
   * @throws IllegalArgumentException naming what is wrong
   */
  public static HnswSection of(int m, int efConstruction, int entryPoint, int nodes, int[] level0,
      int[][] upperNodes, int[][] upperNeighbours) {
    if (upperNodes.length != upperNeighbours.length) {
      throw new IllegalArgumentException("one node list and one neighbour list per upper level");
    }
    IntBuffer[] un = new IntBuffer[upperNodes.length];
    IntBuffer[] ur = new IntBuffer[upperNodes.length];
    for (int l = 0; l < un.length; l++) {
      un[l] = IntBuffer.wrap(upperNodes[l]);
      ur[l] = IntBuffer.wrap(upperNeighbours[l]);
    }
    HnswSection g =
        new HnswSection(m, efConstruction, entryPoint, nodes, IntBuffer.wrap(level0), un, ur);
    String problem = g.problem();
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return g;
  }

  /**
   * Neighbours per node on levels above 0 (Faiss's and hnswlib's M).
   *
   * @return M, 2 to {@link IndexSpec#MAX_HNSW_M}
   */
  public int m() {
    return m;
  }

  /**
   * The beam the graph was built with; informative, search does not use it.
   *
   * @return efConstruction as recorded
   */
  public int efConstruction() {
    return efConstruction;
  }

  /**
   * The node every search starts from; it is on the top level.
   *
   * @return the entry point's node number
   */
  public int entryPoint() {
    return entryPoint;
  }

  /**
   * Nodes on level 0: the model's nlist, or the shard's items.
   *
   * @return the node count
   */
  public int nodes() {
    return nodes;
  }

  /**
   * Levels of the graph, level 0 included.
   *
   * @return L, at least 1
   */
  public int levels() {
    return upperNodes.length + 1;
  }

  /**
   * Neighbour slots per row on {@code level}: 2M on level 0, M above.
   *
   * @param level a level, from 0
   * @return the row length
   */
  public int degree(int level) {
    return level == 0 ? 2 * m : m;
  }

  /**
   * Nodes on {@code level}.
   *
   * @param level {@code 0 <= level < }{@link #levels()}
   * @return the number of nodes on it; level 0 holds all of them
   */
  public int levelSize(int level) {
    return level == 0 ? nodes : upperNodes[level - 1].limit();
  }

  /**
   * Where {@code node}'s row starts in {@link #neighbour}'s numbering on {@code level}, or -1
   * when the node is not on that level. A binary search above level 0, whose levels are small.
   *
   * @param level {@code 0 <= level < }{@link #levels()}
   * @param node a node number
   * @return the slot of the row's first neighbour, or -1
   */
  public int row(int level, int node) {
    if (level == 0) {
      return node >= 0 && node < nodes ? node * 2 * m : -1;
    }
    IntBuffer ids = upperNodes[level - 1];
    int lo = 0;
    int hi = ids.limit() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int v = ids.get(mid);
      if (v < node) {
        lo = mid + 1;
      } else if (v > node) {
        hi = mid - 1;
      } else {
        return mid * m;
      }
    }
    return -1;
  }

  /**
   * The neighbour in slot {@code row + j} ({@code j < degree}) of {@code level}, or -1.
   *
   * @param level {@code 0 <= level < }{@link #levels()}
   * @param slot {@link #row}{@code (level, node) + j}, with
   *     {@code 0 <= j < }{@link #degree}{@code (level)}
   * @return the neighbour's node number, or -1: padding, the row has no more neighbours
   */
  public int neighbour(int level, int slot) {
    return level == 0 ? level0.get(slot) : upperNeighbours[level - 1].get(slot);
  }

  /** Bytes of the section. */
  long bytes() {
    long b = align(16 + 4L * levels()) + 4L * nodes * 2 * m;
    for (int l = 1; l < levels(); l++) {
      b += 4L * levelSize(l) * (1 + m);
    }
    return b;
  }

  private static long align(long offset) {
    return FileFormat.align(offset);
  }

  /**
   * The section on its own, as {@link #fromBytes} reads it: how a build ships the graph to the
   * tasks that assign items through it.
   *
   * @return the section's bytes, as a file holds them from a multiple of 64
   */
  public byte[] toBytes() {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream((int) bytes());
    try (FormatOutput out = new FormatOutput(bytes)) {
      write(out);
      out.flush();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // in memory: cannot happen
    }
    return bytes.toByteArray();
  }

  /**
   * Reads {@link #toBytes}'s output for a model of {@code nlist} lists, checking it.
   *
   * @param section the bytes; the graph stays a view of them
   * @param nlist the nodes level 0 must hold
   * @return the graph
   * @throws IllegalArgumentException with the reader's message, when the bytes are not such
   *     a section
   */
  public static HnswSection fromBytes(byte[] section, int nlist) {
    try {
      return read(ByteBuffer.wrap(section).order(ByteOrder.LITTLE_ENDIAN), "coarse graph", 0,
          section.length, nlist);
    } catch (CorruptIndexException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Writes the section at the current position, which must be a multiple of 64. */
  void write(FormatOutput out) throws IOException {
    long start = out.position();
    out.writeInt(m);
    out.writeInt(levels());
    out.writeInt(entryPoint);
    out.writeInt(efConstruction);
    for (int l = 0; l < levels(); l++) {
      out.writeInt(levelSize(l));
    }
    out.padTo(start + align(16 + 4L * levels()));
    writeInts(out, level0);
    for (int l = 0; l < upperNodes.length; l++) {
      writeInts(out, upperNodes[l]);
      writeInts(out, upperNeighbours[l]);
    }
  }

  private static void writeInts(FormatOutput out, IntBuffer b) throws IOException {
    for (int i = 0; i < b.limit(); i++) {
      out.writeInt(b.get(i));
    }
  }

  /**
   * Reads the section at {@code at} of a graph of {@code nlist} nodes (a model's lists or a
   * shard's items), checking every field (a neighbour out of range would send search outside
   * the vectors).
   */
  static HnswSection read(ByteBuffer b, String name, long at, long contentEnd, int nlist)
      throws CorruptIndexException {
    FileFormat.checkSection(name, "HNSW graph header", at, 16, contentEnd);
    int m = b.getInt((int) at);
    int levels = b.getInt((int) at + 4);
    if (m < 2 || m > IndexSpec.MAX_HNSW_M || levels < 1 || levels > 64) {
      throw new CorruptIndexException(name, "bad HNSW graph header: M " + m + ", " + levels
          + " levels");
    }
    FileFormat.checkSection(name, "HNSW graph levels", at + 16, 4L * levels, contentEnd);
    int[] sizes = new int[levels];
    for (int l = 0; l < levels; l++) {
      sizes[l] = b.getInt((int) (at + 16 + 4L * l));
    }
    if (sizes[0] != nlist) {
      throw new CorruptIndexException(name, "HNSW graph level 0 holds " + sizes[0]
          + " nodes, expected " + nlist);
    }
    long pos = at + align(16 + 4L * levels);
    IntBuffer level0 = ints(b, name, "HNSW graph level 0", pos, (long) nlist * 2 * m, contentEnd);
    pos += 4L * nlist * 2 * m;
    IntBuffer[] nodes = new IntBuffer[levels - 1];
    IntBuffer[] rows = new IntBuffer[levels - 1];
    for (int l = 1; l < levels; l++) {
      if (sizes[l] < 1 || sizes[l] > sizes[l - 1]) {
        throw new CorruptIndexException(name, "HNSW graph level " + l + " holds " + sizes[l]
            + " nodes, level " + (l - 1) + " " + sizes[l - 1]);
      }
      nodes[l - 1] = ints(b, name, "HNSW graph level " + l, pos, sizes[l], contentEnd);
      pos += 4L * sizes[l];
      rows[l - 1] = ints(b, name, "HNSW graph level " + l, pos, (long) sizes[l] * m, contentEnd);
      pos += 4L * sizes[l] * m;
    }
    HnswSection g = new HnswSection(m, b.getInt((int) at + 12), b.getInt((int) at + 8), nlist,
        level0, nodes, rows);
    String problem = g.problem();
    if (problem != null) {
      throw new CorruptIndexException(name, problem);
    }
    return g;
  }

  private static IntBuffer ints(ByteBuffer b, String name, String what, long at, long count,
      long contentEnd) throws CorruptIndexException {
    FileFormat.checkSection(name, what, at, 4 * count, contentEnd);
    return b.duplicate().position((int) at).limit((int) (at + 4 * count)).slice()
        .order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
  }

  /** What makes this graph unusable, or null: the checks a reader and a builder share. */
  private String problem() {
    if (m < 2 || m > IndexSpec.MAX_HNSW_M) {
      return "HNSW M must be between 2 and " + IndexSpec.MAX_HNSW_M + ", got " + m;
    }
    if (level0.limit() != nodes * 2 * m) {
      return "HNSW graph level 0 must hold nodes x 2M neighbours";
    }
    for (int l = 1; l < levels(); l++) {
      IntBuffer ids = upperNodes[l - 1];
      if (upperNeighbours[l - 1].limit() != ids.limit() * m) {
        return "HNSW graph level " + l + " must hold its nodes x M neighbours";
      }
      for (int i = 0; i < ids.limit(); i++) {
        int prev = i == 0 ? -1 : ids.get(i - 1);
        if (ids.get(i) <= prev || row(l - 1, ids.get(i)) < 0) {
          return "HNSW graph level " + l + " lists node " + ids.get(i)
              + " out of order or missing below";
        }
      }
    }
    for (int l = 0; l < levels(); l++) {
      int deg = degree(l);
      int slots = levelSize(l) * deg;
      for (int s = 0; s < slots; s++) {
        int v = neighbour(l, s);
        if (v != -1 && row(l, v) < 0) {
          return "HNSW graph level " + l + " links to node " + v + ", which is not on it";
        }
      }
    }
    if (row(levels() - 1, entryPoint) < 0) {
      return "HNSW graph entry point " + entryPoint + " is not on the top level";
    }
    return null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof HnswSection g) || g.m != m || g.entryPoint != entryPoint
        || g.efConstruction != efConstruction || g.nodes != nodes || !g.level0.equals(level0)) {
      return false;
    }
    return Arrays.equals(upperNodes, g.upperNodes) && Arrays.equals(upperNeighbours,
        g.upperNeighbours);
  }

  @Override
  public int hashCode() {
    return (m * 31 + entryPoint) * 31 + level0.hashCode();
  }

  @Override
  public String toString() {
    return "HNSW" + m + " over " + nodes + " nodes, " + levels() + " levels";
  }
}
