package dev.kiln.search;

import dev.kiln.format.GraphFile;
import dev.kiln.format.HnswSection;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.GraphWalk;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.ScalarQuantizer;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * {@code HNSW{M}}: each shard's one list of float32 vectors ({@code HNSW{M},SQ8}: of 8-bit
 * codes, scored without decoding) is searched by walking the shard's graph ({@link GraphFile},
 * {@link GraphWalk}) with a beam of efSearch, not by scoring every item; the walks' answers go
 * to one top-k across the shards (a refine stage's shortlist, when there is one). The query's
 * filter is applied during the walk, so the beam fills with acceptable items. efSearch {@link
 * SearchParams#FLAT_COARSE} scores every item instead: the exact answer, as an index without a
 * graph gives it.
 */
final class GraphScanner implements ListScanner {

  private static final VectorKernels K = VectorizationProvider.kernels();

  private final ShardFile[] shards;
  private final HnswSection[] graphs;
  private final int dim;
  private final MetricStrategy metric;
  /** The ranges of SQ8 codes, or null for float32 vectors. */
  private final ScalarQuantizer sq8;
  private final ListScanner exact;
  private final int maxNodes;
  private final int degree;

  GraphScanner(ShardFile[] shards, GraphFile[] graphFiles, int dim, MetricStrategy metric,
      ScalarQuantizer sq8) {
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
    this.sq8 = sq8;
    this.exact = sq8 == null ? new FlatScanner(shards, dim, metric, null) : null;
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
    Walker w = buffers.walker;
    if (w == null || !w.scratch.fits(maxNodes, degree) || w.sq8 != sq8) {
      w = buffers.walker = new Walker(new GraphWalk.Scratch(maxNodes, degree), dim, metric, sq8);
    }
    if (out.efSearch() == SearchParams.FLAT_COARSE) {
      if (exact != null) {
        exact.scanList(query, state, list, coarseDistance, buffers, out);
        return;
      }
      scoreAll(query, list, w, out);
      return;
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

  /** The exact answer for SQ8 codes: every item of every shard scored, in blocks of a walk's. */
  private void scoreAll(float[] query, int list, Walker w, Candidates out) {
    int[] nodes = new int[64]; // the rare exact path: a little garbage is fine
    float[] d = new float[nodes.length];
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      int n = shard.listSize(list);
      w.start(query, si, shard, list, out);
      for (int from = 0; from < n; from += nodes.length) {
        int m = Math.min(nodes.length, n - from);
        for (int i = 0; i < m; i++) {
          nodes[i] = from + i;
        }
        w.scores(nodes, m, d);
        for (int i = 0; i < m; i++) {
          if (!w.filtered || w.test(from + i)) {
            out.offer(si, shard, list, from + i, d[i]);
          }
        }
      }
    }
  }

  /**
   * One thread's walk over one shard: scores nodes as the metric's distances to their stored
   * vectors (four rows at a time for L2; SQ8 codes through the kernels without decoding) and
   * accepts them through the query's filter. Reused for every query and shard, so a walk
   * allocates nothing.
   */
  static final class Walker implements GraphWalk.Scorer, GraphWalk.Accept {
    final GraphWalk.Scratch scratch;
    final ScalarQuantizer sq8;
    private final int dim;
    private final int rowBytes;
    private final MetricStrategy metric;
    private final boolean l2;
    private final float[] four = new float[4];
    /** SQ8: the query less the base (l2) or times the step (ip), and the step. */
    private final float[] shifted;
    private final float[] step;
    private final float[] sqBase;
    /** SQ8 under ip: the query's inner product with the base, the same for every item. */
    private float constant;
    private float[] q;
    private ByteBuffer buf;
    private int base;
    private int si;
    private ShardFile shard;
    private int list;
    private Candidates out;
    boolean filtered;

    Walker(GraphWalk.Scratch scratch, int dim, MetricStrategy metric, ScalarQuantizer sq8) {
      this.scratch = scratch;
      this.sq8 = sq8;
      this.dim = dim;
      this.rowBytes = sq8 == null ? dim * Float.BYTES : dim;
      this.metric = metric;
      this.l2 = metric == MetricStrategy.L2;
      this.shifted = sq8 == null ? null : new float[dim];
      this.step = sq8 == null ? null : sq8.step();
      this.sqBase = sq8 == null ? null : sq8.base();
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
      if (sq8 != null) {
        float c = 0;
        for (int j = 0; j < dim; j++) {
          shifted[j] = l2 ? query[j] - sqBase[j] : query[j] * step[j];
          c += query[j] * sqBase[j];
        }
        constant = c;
      }
    }

    @Override
    public void scores(int[] nodes, int n, float[] outScores) {
      if (sq8 != null) {
        scoresSq8(nodes, n, outScores);
        return;
      }
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

    /**
     * L2: {@code sum (q - base - step*b)^2}; ip and cosine: {@code -(<q, base> + sum (q*step) *
     * b)}; four rows a call, the last group repeating its last row as for float32 rows.
     */
    private void scoresSq8(int[] nodes, int n, float[] outScores) {
      float[] f = four;
      int last = n - 1;
      for (int i = 0; i < n; i += 4) {
        int o0 = base + nodes[i] * rowBytes;
        int o1 = base + nodes[Math.min(i + 1, last)] * rowBytes;
        int o2 = base + nodes[Math.min(i + 2, last)] * rowBytes;
        int o3 = base + nodes[Math.min(i + 3, last)] * rowBytes;
        if (l2) {
          K.sq8SquareDistance4(shifted, step, buf, o0, o1, o2, o3, dim, f);
        } else {
          K.sq8Dot4(shifted, buf, o0, o1, o2, o3, dim, f);
          for (int j = 0; j < 4; j++) {
            f[j] = -(constant + f[j]);
          }
        }
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
