package dev.kiln.quantize;

import dev.kiln.format.HnswSection;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A trained model in memory: coarse quantizer plus, for PQ, the product quantizer of residuals.
 * The build encodes items with exactly this code and the loader scores with it, so build and
 * serve cannot disagree.
 */
public final class IndexModel {
  private final Metric metric;
  private final IndexSpec spec;
  private final int dim;
  private final CoarseQuantizer coarse;
  /** The graph over the centroids, or null. */
  private final HnswSection graph;
  /** The walk of the graph over the centroids, or null. */
  private final HnswProber graphProber;
  private final ProductQuantizer pq;
  /** The scalar quantizer of an SQ8 index's vectors, or null. */
  private final ScalarQuantizer sq8;
  /** {@link ProductQuantizer#codewordNorms()} when items store L2 terms, else null. */
  private final float[] norms;
  /** Each thread's working space for {@link #assign} through the graph. */
  private final ThreadLocal<Probe> assignScratch = ThreadLocal.withInitial(Probe::new);
  /**
   * The flat step's exact answer, bounded in the centroids' subspace where that pays; made on
   * first use, so a build's task that only encodes with a graph never finds the subspace.
   */
  private volatile CoarseProber exact;
  /** Each thread's assigner over {@link #exactProber()}. */
  private final ThreadLocal<CoarseAssigner> assigners =
      ThreadLocal.withInitial(() -> new CoarseAssigner(exactProber(), dim()));

  /**
   * The beam for assigning an item through the graph: Faiss's default efSearch. Measured on
   * synth-1m-128 IVF16384_HNSW32,PQ16 (README, "Coarse graph"): recall@10 within 0.0001 of
   * exact assignment at nprobe 1 to 64, encode 13.6 s against 26.0 s exact and 35.5 s with a
   * beam of 64.
   */
  public static final int ASSIGN_EF_SEARCH = 16;

  /**
   * A model without the graph over its centroids: an {@code _HNSW} spec then probes and
   * assigns by scoring every centroid, which is exact.
   *
   * @param metric the metric the index was built for
   * @param spec the index spec: nlist, encoding and its parameters
   * @param dim dimensions of a vector
   * @param centroids nlist x dim floats, row-major; kept, not copied
   * @param codebooks PQ's codebooks (M x ksub x d/M floats, kept), SQ8's base then step (2 x d
   *     floats, copied), or null for Flat
   * @throws IllegalArgumentException when dim is not positive or, for PQ, not a multiple of M;
   *     when the centroids or PQ codebooks are not of the sizes spec and dim give
   */
  public IndexModel(Metric metric, IndexSpec spec, int dim, float[] centroids, float[] codebooks) {
    this(metric, spec, dim, centroids, codebooks, null);
  }

  /**
   * A model with the HNSW graph over its centroids ({@code graph} non-null only when the spec
   * has one). Without it, an {@code _HNSW} spec probes and assigns by scoring every centroid,
   * which is exact.
   *
   * @param metric the metric the index was built for
   * @param spec the index spec: nlist, encoding and its parameters
   * @param dim dimensions of a vector
   * @param centroids nlist x dim floats, row-major; kept, not copied
   * @param codebooks PQ's codebooks (M x ksub x d/M floats, kept), SQ8's base then step (2 x d
   *     floats, copied), or null for Flat
   * @param graph the HNSW graph over the centroids, or null
   * @throws IllegalArgumentException when dim is not positive or, for PQ, not a multiple of M;
   *     when the centroids or PQ codebooks are not of the sizes spec and dim give; when the
   *     graph's M is not the spec's or the graph does not have nlist nodes
   */
  public IndexModel(Metric metric, IndexSpec spec, int dim, float[] centroids, float[] codebooks,
      HnswSection graph) {
    spec.checkDimension(dim);
    if (graph != null && graph.m() != spec.hnswM()) {
      throw new IllegalArgumentException("the graph's M " + graph.m() + " is not the spec's ("
          + spec + ")");
    }
    this.metric = metric;
    this.spec = spec;
    this.dim = dim;
    this.coarse = new CoarseQuantizer(centroids, spec.nlist(), dim, metric);
    this.graph = graph;
    this.graphProber = graph == null ? null : new HnswProber(coarse, graph);
    this.pq =
        spec.encoding() == IndexSpec.Encoding.PQ
            ? new ProductQuantizer(codebooks, dim, spec.pqM(), spec.pqCentroids())
            : null;
    this.sq8 = spec.encoding() == IndexSpec.Encoding.SQ8
        ? ScalarQuantizer.fromParameters(codebooks) : null;
    this.norms = termBytes() > 0 ? pq.codewordNorms() : null;
  }

  /**
   * The model a model file holds.
   *
   * @param f the model file, read
   * @return a model of its metric, spec, dimension, centroids, codebooks and graph
   */
  public static IndexModel of(ModelFile f) {
    return new IndexModel(f.metric(), f.spec(), f.dim(), f.centroids(), f.codebooks(),
        f.graph());
  }

  /**
   * The metric the index was built for.
   *
   * @return l2, ip or cosine
   */
  public Metric metric() {
    return metric;
  }

  /**
   * The index spec the model was trained for.
   *
   * @return the spec: nlist, encoding and its parameters
   */
  public IndexSpec spec() {
    return spec;
  }

  /**
   * Dimensions of a vector.
   *
   * @return d
   */
  public int dim() {
    return dim;
  }

  /**
   * The flat coarse quantizer: the centroids, whichever prober searches them.
   *
   * @return the quantizer
   */
  public CoarseQuantizer coarse() {
    return coarse;
  }

  /**
   * What search probes lists with: the {@link HnswProber} when the model has a graph over its
   * centroids, else the flat step's exact answer, through the centroids' subspace where one
   * pays ({@link SubspaceProber}) or by scoring every centroid.
   *
   * @return an {@link HnswProber}, a {@link SubspaceProber} or the {@link #coarse()} quantizer
   */
  public CoarseProber prober() {
    return graphProber != null ? graphProber : exactProber();
  }

  /**
   * The exact coarse step, whatever the index's prober: every centroid's score, found through
   * the centroids' subspace where one pays ({@link SubspaceProber}), else by scoring them all.
   * Made on first use.
   *
   * @return a {@link SubspaceProber}, or the {@link #coarse()} quantizer when no subspace pays
   */
  public CoarseProber exactProber() {
    CoarseProber p = exact;
    if (p == null) {
      synchronized (this) {
        p = exact;
        if (p == null) {
          p = SubspaceProber.of(coarse);
          exact = p;
        }
      }
    }
    return p;
  }

  /**
   * The HNSW graph over the centroids, or null.
   *
   * @return the graph, or null when the spec has none or the model was made without it
   */
  public HnswSection graph() {
    return graph;
  }

  /**
   * Assigns {@code n} vectors (row-major in {@code x}) to their lists: with a graph over the
   * centroids, through it (a search of beam {@link #ASSIGN_EF_SEARCH} for the nearest list,
   * a few thousand centroid scores instead of nlist, as Faiss's {@code add} goes through an
   * HNSW quantizer); otherwise, or when {@code exact}, by scoring every centroid with the
   * blocked kernel.
   *
   * @param x the vectors, row-major from index 0, prepared (normalized for cosine)
   * @param n how many
   * @param lists receives each vector's list
   * @param exact true to score every centroid even when the model has a graph
   */
  public void assign(float[] x, int n, int[] lists, boolean exact) {
    if (graph == null || exact) {
      assigners.get().assign(x, n, lists, null);
      return;
    }
    Probe p = assignScratch.get();
    for (int i = 0; i < n; i++) {
      lists[i] = prober().probe(x, i * dim, 1, ASSIGN_EF_SEARCH, p).list(0);
    }
  }

  /**
   * {@link #assign(float[], int, int[], boolean)} for one vector, through the graph if any.
   *
   * @param v the vector, dim floats from index 0, prepared (normalized for cosine)
   * @return its list
   */
  public int assign(float[] v) {
    if (graph == null) {
      return coarse.assign(v);
    }
    return prober().probe(v, 0, 1, ASSIGN_EF_SEARCH, assignScratch.get()).list(0);
  }

  /**
   * The product quantizer, or null for Flat and SQ8.
   *
   * @return the quantizer of the residuals, or null
   */
  public ProductQuantizer pq() {
    return pq;
  }

  /**
   * The scalar quantizer of SQ8 vectors, or null for Flat and PQ.
   *
   * @return the quantizer, or null
   */
  public ScalarQuantizer sq8() {
    return sq8;
  }

  /**
   * What the model file stores for this model's quantizer: PQ's codebooks, SQ8's base then step
   * (2 x d), or null for Flat.
   *
   * @return PQ's codebooks (the array itself), SQ8's parameters (a new array), or null
   */
  public float[] codebooks() {
    return sq8 != null ? sq8.parameters() : pq == null ? null : pq.codebooks();
  }

  /**
   * Bytes of one item's code as {@link #encode} writes it: one per sub-space for PQ (a fast-scan
   * shard then packs two 4-bit codes per byte, {@code spec().codeSize(dim)}), d for SQ8, 4 x d
   * for Flat.
   *
   * @return bytes per code, as {@link #encode} writes it
   */
  public int codeSize() {
    return pq != null ? pq.m() : spec.codeSize(dim);
  }

  /**
   * Encodes one vector assigned to {@code list}: the PQ code of its residual, or for Flat the
   * vector itself as little-endian float32, for SQ8 its d bytes. {@code residual} is scratch of
   * d floats.
   *
   * @param x holds the vector, prepared (normalized for cosine)
   * @param off where its d floats start in {@code x}
   * @param list its list (read for PQ only)
   * @param code receives the code: {@link #codeSize()} bytes from index 0
   * @param residual scratch of d floats (PQ only)
   */
  public void encode(float[] x, int off, int list, byte[] code, float[] residual) {
    if (sq8 != null) {
      sq8.encode(x, off, code, 0);
      return;
    }
    if (pq == null) {
      ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(x, off, dim);
      return;
    }
    float[] c = coarse.centroids();
    for (int i = 0; i < dim; i++) {
      residual[i] = x[off + i] - c[list * dim + i];
    }
    pq.encode(residual, 0, code, 0);
  }

  /**
   * Encodes {@code n} vectors (row-major in {@code x}) already assigned to {@code lists} into
   * {@code codes} (n x codeSize bytes): the batch form of {@link #encode}, on the tiled kernel.
   * {@code residuals} is scratch of n x d floats.
   *
   * @param x the vectors, row-major from index 0, prepared (normalized for cosine)
   * @param n how many
   * @param lists their lists, n of them (read for PQ only)
   * @param codes receives the codes, one after another from index 0
   * @param residuals scratch of n x d floats (PQ only)
   */
  public void encodeBatch(float[] x, int n, int[] lists, byte[] codes, float[] residuals) {
    if (sq8 != null) {
      for (int i = 0; i < n; i++) {
        sq8.encode(x, i * dim, codes, i * dim);
      }
      return;
    }
    if (pq == null) {
      ByteBuffer.wrap(codes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(x, 0, n * dim);
      return;
    }
    float[] c = coarse.centroids();
    for (int i = 0; i < n; i++) {
      int base = lists[i] * dim;
      for (int j = 0; j < dim; j++) {
        residuals[i * dim + j] = x[i * dim + j] - c[base + j];
      }
    }
    pq.encode(residuals, n, codes, new float[n * pq.dsub()], new int[n]);
  }

  /**
   * Bytes each item stores besides its code: 4 for its L2 term ({@link ProductQuantizer#l2Term})
   * when codes are of residuals under l2, else 0.
   *
   * @return 4 for 8-bit PQ under l2, else 0
   */
  public int termBytes() {
    // Fast-scan sums 8-bit table entries in registers: a float term per item has no place
    // there; its lists use the model's L2 table instead.
    return pq != null && metric == Metric.L2 && !spec.isFastScan() ? 4 : 0;
  }

  /**
   * The L2 terms of {@code n} items encoded by {@link #encodeBatch} into {@code codes}, assigned
   * to {@code lists}; only when {@link #termBytes()} is 4.
   *
   * @param codes the codes, {@link #codeSize()} bytes each from index 0
   * @param n how many
   * @param lists the list of each
   * @param out receives the n terms
   */
  public void l2Terms(byte[] codes, int n, int[] lists, float[] out) {
    int size = codeSize();
    for (int i = 0; i < n; i++) {
      out[i] = pq.l2Term(norms, coarse.centroids(), lists[i], codes, i * size);
    }
  }

  /**
   * The precomputed L2 table (nlist x M x ksub) for a model file that carries one, or null when
   * it has no use for it. Builds write it only for fast-scan (8-bit PQ shards carry each item's
   * L2 term); models with a table still load, and tests write them for version-1 shards.
   *
   * @return nlist x M x ksub floats computed from the centroids and codebooks (list l's from
   *     l x M x ksub), or null unless the index is PQ under l2
   */
  public float[] precomputedL2Table() {
    return pq != null && metric == Metric.L2
        ? pq.precomputeL2Table(coarse.centroids(), spec.nlist())
        : null;
  }

  /**
   * Normalizes in place (cosine); leaves zero vectors as they are.
   *
   * @param x holds the vector
   * @param off where it starts in {@code x}
   * @param len its dimensions
   */
  public static void normalize(float[] x, int off, int len) {
    double s = 0;
    for (int i = 0; i < len; i++) {
      s += (double) x[off + i] * x[off + i];
    }
    if (s > 0) {
      double invExact = 1 / Math.sqrt(s);
      float inv = (float) invExact;
      if (Float.isInfinite(inv)) {
        // A norm below ~3e-39 (subnormal components): 1/norm overflows float, and x * inf
        // would make the vector infinite and its zeros NaN. Scale in double instead.
        for (int i = 0; i < len; i++) {
          x[off + i] = (float) (x[off + i] * invExact);
        }
        return;
      }
      for (int i = 0; i < len; i++) {
        x[off + i] *= inv;
      }
    }
  }
}
