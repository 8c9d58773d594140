package dev.kiln.search;

import dev.kiln.format.GraphFile;
import dev.kiln.format.HnswSection;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.GraphWalk;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * {@code HNSW{M}}: each shard's one list of float32 vectors is searched by walking the shard's
 * graph ({@link GraphFile}, {@link GraphWalk}) with a beam of efSearch, not by scoring every
 * item; the walks' answers go to one top-k across the shards. The query's filter is applied
 * during the walk, so the beam fills with acceptable items. efSearch {@link
 * SearchParams#FLAT_COARSE} scores every item instead: the exact answer, as an index without a
 * graph gives it.
 */
final class GraphScanner implements ListScanner {

  private static final VectorKernels K = VectorizationProvider.kernels();

  private final ShardFile[] shards;
  private final HnswSection[] graphs;
  private final int dim;
  private final MetricStrategy metric;
  private final FlatScanner exact;
  private final int maxNodes;
  private final int degree;

  GraphScanner(ShardFile[] shards, GraphFile[] graphFiles, int dim, MetricStrategy metric) {
    this.shards = shards;
    this.graphs = new HnswSection[graphFiles.length];
    int nodes = 1;
    int deg = 1;
    for (int s = 0; s < graphFiles.length; s++) {
      graphs[s] = graphFiles[s].graph();
      if (graphs[s] != null) {
        nodes = Math.max(nodes, graphs[s].nodes());
        deg = Math.max(deg, graphs[s].degree(0));
      }
    }
    this.maxNodes = nodes;
    this.degree = deg;
    this.dim = dim;
    this.metric = metric;
    this.exact = new FlatScanner(shards, dim, metric);
  }

  /** The beam a query walks with: its efSearch (or the default), never below k. */
  static int beam(int efSearch, int k) {
    return Math.max(efSearch > 0 ? efSearch : SearchParams.DEFAULT_GRAPH_EF_SEARCH, k);
  }

  @Override
  public int stateLength() {
    return 0;
  }

  @Override
  public void prepare(float[] query, float[] state) {}

  @Override
  public void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out) {
    if (out.efSearch() == SearchParams.FLAT_COARSE) {
      exact.scanList(query, state, list, coarseDistance, buffers, out);
      return;
    }
    Walker w = buffers.walker;
    if (w == null || !w.scratch.fits(maxNodes, degree)) {
      w = buffers.walker = new Walker(new GraphWalk.Scratch(maxNodes, degree), dim, metric);
    }
    int ef = beam(out.efSearch(), out.top().k());
    for (int si = 0; si < shards.length; si++) {
      HnswSection g = graphs[si];
      if (g == null) {
        continue; // an empty shard
      }
      ShardFile shard = shards[si];
      w.start(query, si, shard, list, out);
      int found = GraphWalk.search(g, w, ef, w.filtered ? w : null, w.scratch);
      GraphWalk.Scratch s = w.scratch;
      for (int i = 0; i < found; i++) {
        out.offer(si, shard, list, (int) s.ids[i], s.dists[i]);
      }
    }
  }

  /**
   * One thread's walk over one shard: scores nodes as the metric's distances to their stored
   * vectors (four rows at a time for L2) and accepts them through the query's filter. Reused
   * for every query and shard, so a walk allocates nothing.
   */
  static final class Walker implements GraphWalk.Scorer, GraphWalk.Accept {
    final GraphWalk.Scratch scratch;
    private final int dim;
    private final int rowBytes;
    private final MetricStrategy metric;
    private final boolean l2;
    private final float[] four = new float[4];
    private float[] q;
    private ByteBuffer buf;
    private int base;
    private int si;
    private ShardFile shard;
    private int list;
    private Candidates out;
    boolean filtered;

    Walker(GraphWalk.Scratch scratch, int dim, MetricStrategy metric) {
      this.scratch = scratch;
      this.dim = dim;
      this.rowBytes = dim * Float.BYTES;
      this.metric = metric;
      this.l2 = metric == MetricStrategy.L2;
    }

    void start(float[] query, int si, ShardFile shard, int list, Candidates out) {
      this.q = query;
      this.si = si;
      this.shard = shard;
      this.list = list;
      this.out = out;
      this.buf = shard.buffer();
      this.base = shard.codesOffset(list);
      this.filtered = out.filtered();
    }

    @Override
    public void scores(int[] nodes, int n, float[] outScores) {
      if (!l2) {
        for (int i = 0; i < n; i++) {
          outScores[i] = metric.distance(q, buf, base + nodes[i] * rowBytes, dim);
        }
        return;
      }
      float[] f = four;
      for (int i = 0; i < n; i += 4) {
        // The last group of one to three rows repeats its last row: one four-row call (bit for
        // bit four single ones) costs about what one or two single calls do.
        int last = n - 1;
        K.squareDistance4(q, buf, base + nodes[i] * rowBytes,
            buf, base + nodes[Math.min(i + 1, last)] * rowBytes,
            buf, base + nodes[Math.min(i + 2, last)] * rowBytes,
            buf, base + nodes[Math.min(i + 3, last)] * rowBytes, dim, f);
        int m = Math.min(4, n - i);
        for (int j = 0; j < m; j++) {
          outScores[i + j] = f[j];
        }
      }
    }

    @Override
    public boolean test(int node) {
      return out.accepts(si, shard, list, node);
    }
  }
}
