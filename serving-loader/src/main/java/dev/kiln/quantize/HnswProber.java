package dev.kiln.quantize;

import dev.kiln.format.HnswSection;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;

/**
 * The coarse step of {@code IVF{n}_HNSW{M}}: the lists to probe found by walking the HNSW graph
 * over the centroids ({@link GraphWalk}, as Faiss's {@code IndexHNSWFlat} quantizer runs it): a
 * greedy descent through the upper levels, then a beam of {@code efSearch} nodes on level 0,
 * from which the nearest {@code nprobe} are the lists. It scores a few hundred to a few
 * thousand centroids where {@link CoarseQuantizer} scores all of them, at the price of sometimes
 * missing one of the true nearest lists (efSearch trades that off). Scores and distances are
 * {@link CoarseQuantizer}'s, so the two agree on every centroid they both score.
 */
public final class HnswProber implements CoarseProber {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final CoarseQuantizer flat;
  private final HnswSection graph;

  /**
   * The walk of {@code graph} over the centroids of {@code flat}.
   *
   * @param flat the flat quantizer: its centroids score the nodes and give the distances
   * @param graph the HNSW graph over the centroids, node c being centroid c
   * @throws IllegalArgumentException when the graph does not have nlist nodes
   */
  public HnswProber(CoarseQuantizer flat, HnswSection graph) {
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
   *
   * @param nprobe how many lists are wanted
   * @return the beam width: max(16, nprobe)
   */
  public static int defaultEfSearch(int nprobe) {
    return Math.max(16, nprobe);
  }

  @Override
  public int nlist() {
    return flat.nlist();
  }

  /**
   * The graph this walks.
   *
   * @return the HNSW section over the centroids
   */
  public HnswSection graph() {
    return graph;
  }

  @Override
  public Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out) {
    int p = Math.min(nprobe, flat.nlist());
    int ef = Math.max(p, efSearch > 0 ? efSearch : defaultEfSearch(p));
    GraphWalk.Scratch s = out.graphScratch(flat.nlist(), graph.degree(0));
    // Scored four rows at a time (dot4: q read once, four scattered rows in flight; 78 ns
    // against 158 ns for four dot calls on rows scattered over 16,384 centroids of d = 128, JMH
    // KernelBenchmark.scattered*).
    int found = GraphWalk.search(graph, (nodes, n, scores) -> flat.scores(q, qOff, nodes, n,
        scores), ef, null, s);
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
}
