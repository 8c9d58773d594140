package dev.kiln.faiss;

import dev.kiln.format.HnswSection;
import dev.kiln.format.IndexSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Faiss's {@code HNSW} structure (faiss 1.7.x {@code write_HNSW} / {@code read_HNSW}), the graph
 * of an {@code IndexHNSWFlat} ({@code IHNf}) used as the coarse quantizer of
 * {@code IVF{n}_HNSW{M}}, to and from Kiln's {@link HnswSection}. The two hold the same graph:
 * node {@code i} is list {@code i}, level 0 has 2M slots per node and the levels above M, a short
 * row is padded with -1 after its neighbours, and search reads a row up to its first -1.
 *
 * <pre>
 * vector&lt;double&gt; assign_probas            level probabilities for adding nodes (Faiss's
 *                                         defaults for M, written; ignored on read)
 * vector&lt;int32&gt;  cum_nneighbor_per_level  0, 2M, 3M, 4M, ...: where level l's slots start
 *                                         in a node's block
 * vector&lt;int32&gt;  levels                   per node: 1 + the highest level it is on
 * vector&lt;size_t&gt; offsets                  n + 1 values: node i's block is
 *                                         [offsets[i], offsets[i+1]) = cum[levels[i]] slots
 * vector&lt;int32&gt;  neighbors                the blocks; level l of node i is the slots
 *                                         offsets[i] + cum[l] .. offsets[i] + cum[l+1]
 * int32 entry_point, int32 max_level, int32 efConstruction, int32 efSearch, int32 upper_beam
 * </pre>
 */
final class FaissHnsw {
  /** The efSearch written: Faiss's default, which Kiln's default equals for nprobe up to 16. */
  static final int EF_SEARCH = 16;

  private FaissHnsw() {}

  /**
   * Writes {@code g} as Faiss's HNSW structure. {@code cum_nneighbor_per_level} and
   * {@code assign_probas} are what Faiss's {@code set_default_probas(M, 1 / ln M)} makes,
   * extended if Kiln's graph had more levels than Faiss would draw.
   */
  static void write(FaissOutput f, HnswSection g) throws IOException {
    int m = g.m();
    int n = g.nodes();
    int levelCount = g.levels();
    List<Double> probas = new ArrayList<>();
    List<Integer> cum = new ArrayList<>();
    cum.add(0);
    double levelMult = 1.0 / Math.log(m);
    int nn = 0;
    for (int level = 0; ; level++) {
      double p = Math.exp(-level / levelMult) * (1 - Math.exp(-1 / levelMult));
      if (p < 1e-9) {
        break;
      }
      probas.add(p);
      nn += level == 0 ? 2 * m : m;
      cum.add(nn);
    }
    while (cum.size() < levelCount + 1) {
      nn += m;
      cum.add(nn);
    }
    int[] levels = new int[n];
    for (int i = 0; i < n; i++) {
      int top = 0;
      while (top + 1 < levelCount && g.row(top + 1, i) >= 0) {
        top++;
      }
      levels[i] = top + 1;
    }

    f.int64(probas.size());
    for (double p : probas) {
      f.float64(p);
    }
    f.int64(cum.size());
    for (int c : cum) {
      f.int32(c);
    }
    f.int64(n);
    for (int l : levels) {
      f.int32(l);
    }
    f.int64(n + 1L);
    long offset = 0;
    f.int64(offset);
    for (int i = 0; i < n; i++) {
      offset += cum.get(levels[i]);
      f.int64(offset);
    }
    f.int64(offset);
    for (int i = 0; i < n; i++) {
      for (int l = 0; l < levels[i]; l++) {
        int row = g.row(l, i);
        for (int j = 0; j < g.degree(l); j++) {
          f.int32(g.neighbour(l, row + j));
        }
      }
    }
    f.int32(g.entryPoint());
    f.int32(levelCount - 1); // max_level
    f.int32(g.efConstruction());
    f.int32(EF_SEARCH);
    f.int32(1); // upper_beam
  }

  /**
   * Reads the HNSW structure of an {@code IndexHNSWFlat} quantizer over {@code nlist} centroids
   * as Kiln's graph, checking every count and link (a link out of range would send search
   * outside the centroids).
   */
  static HnswSection read(FaissInput in, int nlist) throws IOException {
    long probas = in.count("HNSW assign_probas", 8, false);
    in.skip(8 * probas, "HNSW assign_probas");
    int[] cum = ints(in, "HNSW cum_nneighbor_per_level");
    int[] levels = ints(in, "HNSW levels");
    long offAt = in.position();
    long nOffsets = in.count("HNSW offsets", 8, true);
    long[] offsets = in.longs((int) nOffsets, "HNSW offsets");
    long nbAt = in.position();
    int[] neighbors = ints(in, "HNSW neighbors");
    int entry = in.int32("HNSW entry_point");
    int maxLevel = in.int32("HNSW max_level");
    int efConstruction = in.int32("HNSW efConstruction");
    in.int32("HNSW efSearch");
    in.int32("HNSW upper_beam");

    if (levels.length != nlist || offsets.length != nlist + 1) {
      throw in.error("the HNSW quantizer holds " + levels.length + " levels and "
          + offsets.length + " offsets (at offset " + offAt + ") for " + nlist + " centroids");
    }
    if (maxLevel < 0 || cum.length < maxLevel + 2 || cum.length < 3 || cum[0] != 0) {
      throw in.error("bad HNSW header: max_level " + maxLevel + " with " + cum.length
          + " cum_nneighbor_per_level entries");
    }
    int m = cum[2] - cum[1];
    if (cum[1] != 2 * m || m < 2 || m > IndexSpec.MAX_HNSW_M) {
      throw in.error("HNSW cum_nneighbor_per_level starts 0, " + cum[1] + ", " + cum[2]
          + "; Kiln reads graphs of 2M links on level 0 and M above");
    }
    for (int l = 2; l <= maxLevel + 1; l++) {
      if (cum[l] - cum[l - 1] != m) {
        throw in.error("HNSW level " + (l - 1) + " has " + (cum[l] - cum[l - 1])
            + " links per node; Kiln reads M = " + m + " on every level above 0");
      }
    }
    if (offsets[0] != 0) {
      throw in.error("HNSW offsets start at " + offsets[0] + ", not 0 (offset " + offAt + ")");
    }
    int[] perLevel = new int[maxLevel + 1];
    for (int i = 0; i < nlist; i++) {
      if (levels[i] < 1 || levels[i] > maxLevel + 1) {
        throw in.error("HNSW node " + i + " is on " + levels[i] + " levels; max_level is "
            + maxLevel);
      }
      if (offsets[i + 1] - offsets[i] != cum[levels[i]]) {
        throw in.error("HNSW offsets of node " + i + " do not match its " + levels[i]
            + " levels");
      }
      for (int l = 0; l < levels[i]; l++) {
        perLevel[l]++;
      }
    }
    if (offsets[nlist] != neighbors.length) {
      throw in.error("the HNSW offsets end at " + offsets[nlist] + " but " + neighbors.length
          + " neighbours follow at offset " + nbAt);
    }
    int[] level0 = new int[nlist * 2 * m];
    int[][] upperNodes = new int[maxLevel][];
    int[][] upperRows = new int[maxLevel][];
    for (int l = 1; l <= maxLevel; l++) {
      upperNodes[l - 1] = new int[perLevel[l]];
      upperRows[l - 1] = new int[perLevel[l] * m];
    }
    int[] filled = new int[maxLevel + 1];
    for (int i = 0; i < nlist; i++) {
      for (int l = 0; l < levels[i]; l++) {
        int deg = l == 0 ? 2 * m : m;
        int from = (int) offsets[i] + cum[l];
        if (l == 0) {
          System.arraycopy(neighbors, from, level0, i * deg, deg);
        } else {
          int k = filled[l]++;
          upperNodes[l - 1][k] = i;
          System.arraycopy(neighbors, from, upperRows[l - 1], k * deg, deg);
        }
      }
    }
    try {
      return HnswSection.of(m, efConstruction, entry, nlist, level0, upperNodes, upperRows);
    } catch (IllegalArgumentException e) {
      throw in.error("the HNSW quantizer's graph is unusable: " + e.getMessage());
    }
  }

  private static int[] ints(FaissInput in, String what) throws IOException {
    int n = (int) in.count(what, 4, true);
    return in.ints(n, what);
  }
}
