package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * {@code model.kiln}: what every shard of a version shares: the coarse centroids, the PQ
 * codebooks, for L2 with PQ the precomputed per-list table and, for {@code IVF{n}_HNSW{M}}, the
 * HNSW graph over the centroids ({@link HnswSection}). Small (it grows with nlist, not with the
 * number of items). Layout, versions 1 to 3 (little-endian):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "MODL"
 * 8       4     version (3 as written; 1 and 2 are read too)
 * 12      4     metric: 0 = l2, 1 = ip, 2 = cosine
 * 16      4     dim: vector dimension d
 * 20      4     nlist: number of inverted lists
 * 24      4     encoding: 0 = Flat, 1 = PQ, 2 = SQ8 (HNSW{M},SQ8; version 3 on)
 * 28      4     pqM: PQ sub-spaces M (0 for Flat)
 * 32      4     pqBits: bits per sub-code (8, or 4 for PQ{m}x4fs; 0 for Flat)
 * 36      4     flags: bit 0 = L2 table present
 * 40      8     centroidsOffset: nlist x d f32, row-major
 * 48      8     codebooksOffset: PQ: M x 2^pqBits x (d/M) f32; SQ8: its parameters, base
 *               then step, 2 x d f32; 0 when Flat
 * 56      8     l2TableOffset: nlist x M x 2^pqBits f32 (0 when absent)
 * 64      8     graphOffset: the HNSW graph over the centroids (0 when absent); version 3 on
 * 72      56    reserved (0); version 3 on
 * 64 or 128     sections, each starting at a multiple of 64 (the header is 64 bytes in
 *               versions 1 and 2, 128 from version 3)
 *               footer (see {@link FileFormat})
 * </pre>
 *
 * The L2 table holds, for list l, sub-space m and code j, {@code ||pq[m][j]||^2 + 2 <c_l[m],
 * pq[m][j]>}: the query-independent part of the residual distance (Faiss's precomputed table).
 */
public final class ModelFile {
  /** The model's file name in a version directory. */
  public static final String NAME = "model.kiln";
  static final int HEADER_BYTES_V1 = 64;
  static final int HEADER_BYTES = 128;
  private static final int FLAG_L2_TABLE = 1;

  private final String name;
  private final Metric metric;
  private final int dim;
  private final IndexSpec spec;
  private final float[] centroids;
  private final float[] codebooks;
  private final ByteBuffer l2Table;
  private final HnswSection graph;
  private final int checksum;

  private ModelFile(
      String name,
      Metric metric,
      int dim,
      IndexSpec spec,
      float[] centroids,
      float[] codebooks,
      ByteBuffer l2Table,
      HnswSection graph,
      int checksum) {
    this.name = name;
    this.metric = metric;
    this.dim = dim;
    this.spec = spec;
    this.centroids = centroids;
    this.codebooks = codebooks;
    this.l2Table = l2Table;
    this.graph = graph;
    this.checksum = checksum;
  }

  /**
   * Writes a model file. {@code codebooks} is null for Flat and, for SQ8, the quantizer's base
   * then its step (2 x d floats); {@code l2Table} may be null;
   * {@code graph} is given exactly when the spec has an HNSW coarse quantizer.
   *
   * @param out where to write, at its start; finished (footer written) but not closed
   * @param metric the metric the model was trained for
   * @param dim the vector dimension d
   * @param spec the index; the file records its {@link IndexSpec#base()}
   * @param centroids the coarse centroids, nlist x d floats, row-major
   * @param codebooks PQ: M x 2^pqBits x d/M floats; SQ8: 2 x d floats; Flat: null
   * @param l2Table the precomputed table, nlist x M x 2^pqBits floats (l2 with PQ only), or null
   * @param graph the HNSW graph over the centroids, with the spec's M and nlist nodes, exactly
   *     when the spec has one; else null
   * @return the CRC32C written in the footer (shards record it to bind themselves to the model)
   * @throws IllegalArgumentException when {@code dim} or an array does not fit the spec, or
   *     an SQ8 base or step is not finite or a step is negative
   * @throws IOException when writing fails
   */
  public static int write(
      FormatOutput out,
      Metric metric,
      int dim,
      IndexSpec spec,
      float[] centroids,
      float[] codebooks,
      float[] l2Table,
      HnswSection graph)
      throws IOException {
    spec.checkDimension(dim);
    int ksub = spec.pqCentroids();
    check(centroids.length == (long) spec.nlist() * dim, "centroids must hold nlist x d floats");
    boolean pq = spec.encoding() == IndexSpec.Encoding.PQ;
    boolean sq8 = spec.encoding() == IndexSpec.Encoding.SQ8;
    check((pq || sq8) == (codebooks != null), "codebooks are needed exactly for PQ and SQ8");
    if (pq) {
      check(codebooks.length == ksub * dim, "codebooks must hold M x 2^bits x d/M floats");
    }
    if (sq8) {
      check(codebooks.length == 2 * dim, "SQ8 parameters must hold 2 x d floats");
      checkSq8(codebooks, dim);
    }
    if (l2Table != null) {
      check(pq && metric == Metric.L2, "an L2 table is only for L2 with PQ");
      check(
          l2Table.length == (long) spec.nlist() * spec.pqM() * ksub,
          "the L2 table must hold nlist x M x 2^bits floats");
    }
    check(spec.hasCoarseGraph() == (graph != null), "a graph is needed exactly for _HNSW");
    if (graph != null) {
      check(graph.m() == spec.hnswM() && graph.nodes() == spec.nlist(),
          "the graph must have the spec's M and one node per list");
    }
    long centroidsAt = HEADER_BYTES;
    long codebooksAt =
        codebooks != null ? FileFormat.align(centroidsAt + 4L * centroids.length) : 0;
    long tableAt =
        l2Table == null ? 0 : FileFormat.align(codebooksAt + 4L * codebooks.length);
    long end = l2Table != null ? tableAt + 4L * l2Table.length
        : codebooks != null ? codebooksAt + 4L * codebooks.length
            : centroidsAt + 4L * centroids.length;
    long graphAt = graph == null ? 0 : FileFormat.align(end);

    out.writeHeaderStart(FileFormat.KIND_MODEL);
    out.writeInt(metric.code);
    out.writeInt(dim);
    out.writeInt(spec.nlist());
    out.writeInt(spec.encoding().code);
    out.writeInt(spec.pqM());
    out.writeInt(spec.pqBits());
    out.writeInt(l2Table == null ? 0 : FLAG_L2_TABLE);
    out.writeLong(centroidsAt);
    out.writeLong(codebooksAt);
    out.writeLong(tableAt);
    out.writeLong(graphAt);
    out.padTo(centroidsAt);
    out.writeFloats(centroids);
    if (codebooks != null) {
      out.padTo(codebooksAt);
      out.writeFloats(codebooks);
    }
    if (l2Table != null) {
      out.padTo(tableAt);
      out.writeFloats(l2Table);
    }
    if (graph != null) {
      out.padTo(graphAt);
      graph.write(out);
    }
    out.finish();
    return out.checksum();
  }

  /**
   * Reads a model from a mapped (or heap) buffer holding the whole file. Centroids and codebooks
   * are copied to the heap (their size depends on nlist and d only); the L2 table stays a view
   * of the buffer, so processes mapping the same file share it.
   *
   * @param file the whole file
   * @param name the file's name, for messages
   * @return the model
   * @throws CorruptIndexException naming the file when a check fails (see {@code FORMAT.md},
   *     "Checks at open")
   */
  public static ModelFile read(ByteBuffer file, String name) throws CorruptIndexException {
    ByteBuffer b = FileFormat.openChecked(file, FileFormat.KIND_MODEL, name);
    long contentEnd = b.limit() - FileFormat.FOOTER_BYTES;
    int version = b.getInt(8);
    if (contentEnd < (version >= FileFormat.VERSION_3 ? HEADER_BYTES : HEADER_BYTES_V1)) {
      throw new CorruptIndexException(name, "header truncated");
    }
    Metric metric = Metric.fromCode(b.getInt(12), name);
    int dim = b.getInt(16);
    int nlist = b.getInt(20);
    IndexSpec.Encoding enc = IndexSpec.Encoding.fromCode(b.getInt(24), name);
    int pqM = b.getInt(28);
    int pqBits = b.getInt(32);
    int flags = b.getInt(36);
    IndexSpec spec;
    try {
      spec = new IndexSpec(nlist, enc, pqM, pqBits);
      spec.checkDimension(dim);
    } catch (IllegalArgumentException e) {
      throw new CorruptIndexException(name, "bad header: " + e.getMessage());
    }
    long centroidsAt = b.getLong(40);
    long nCentroidFloats = (long) nlist * dim;
    FileFormat.checkSection(name, "centroids", centroidsAt, 4 * nCentroidFloats, contentEnd);
    float[] centroids = floats(b, centroidsAt, (int) nCentroidFloats);
    float[] codebooks = null;
    if (enc == IndexSpec.Encoding.PQ) {
      long at = b.getLong(48);
      long n = (long) spec.pqCentroids() * dim; // an int product can wrap for a bogus dim
      FileFormat.checkSection(name, "codebooks", at, 4 * n, contentEnd);
      codebooks = floats(b, at, (int) n);
    } else if (enc == IndexSpec.Encoding.SQ8) {
      long at = b.getLong(48);
      FileFormat.checkSection(name, "SQ8 parameters", at, 8L * dim, contentEnd);
      codebooks = floats(b, at, 2 * dim);
      try {
        checkSq8(codebooks, dim);
      } catch (IllegalArgumentException e) {
        throw new CorruptIndexException(name, e.getMessage());
      }
    }
    ByteBuffer table = null;
    if ((flags & FLAG_L2_TABLE) != 0) {
      long at = b.getLong(56);
      long n = (long) nlist * pqM * spec.pqCentroids();
      FileFormat.checkSection(name, "L2 table", at, 4 * n, contentEnd);
      if (4 * n > Integer.MAX_VALUE) {
        throw new CorruptIndexException(name, "L2 table larger than 2 GiB");
      }
      table = b.duplicate().position((int) at).limit((int) (at + 4 * n)).slice()
          .order(ByteOrder.LITTLE_ENDIAN);
    }
    HnswSection graph = null;
    long graphAt = version >= FileFormat.VERSION_3 ? b.getLong(64) : 0;
    if (graphAt != 0) {
      graph = HnswSection.read(b, name, graphAt, contentEnd, nlist);
      spec = spec.withHnsw(graph.m());
    }
    return new ModelFile(name, metric, dim, spec, centroids, codebooks, table, graph,
        FileFormat.storedChecksum(file));
  }

  private static float[] floats(ByteBuffer b, long at, int n) {
    float[] out = new float[n];
    b.duplicate().order(ByteOrder.LITTLE_ENDIAN).position((int) at).asFloatBuffer().get(out);
    return out;
  }

  /** SQ8's ranges must decode to finite values: finite bases, finite non-negative steps. */
  private static void checkSq8(float[] baseThenStep, int dim) {
    for (int j = 0; j < 2 * dim; j++) {
      float v = baseThenStep[j];
      if (!Float.isFinite(v) || j >= dim && v < 0) {
        throw new IllegalArgumentException("SQ8 " + (j < dim ? "base" : "step") + "[" + (j % dim)
            + "] is " + v + "; bases must be finite, steps finite and not negative");
      }
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException(what);
    }
  }

  /**
   * The file's name, as given to {@link #read}.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The metric the model was trained for.
   *
   * @return the metric
   */
  public Metric metric() {
    return metric;
  }

  /**
   * The vector dimension.
   *
   * @return d, at least 1
   */
  public int dim() {
    return dim;
  }

  /**
   * The index as the model records it: never a refine stage nor a graph over the items
   * ({@code HNSW{M}}'s model is {@code IVF1,Flat} or {@code IVF1,SQ8}); the coarse graph's M,
   * if there is one.
   *
   * @return the spec
   */
  public IndexSpec spec() {
    return spec;
  }

  /**
   * nlist x d, row-major. Shared, do not modify.
   *
   * @return the coarse centroids
   */
  public float[] centroids() {
    return centroids;
  }

  /**
   * M x 2^bits x d/M for PQ, SQ8's base then step (2 x d) for SQ8, or null for Flat. Shared,
   * do not modify.
   *
   * @return the PQ codebooks, the SQ8 parameters or null
   */
  public float[] codebooks() {
    return codebooks;
  }

  /**
   * nlist x M x 2^bits, or null when the file has none.
   *
   * @return a new view of the precomputed L2 table, {@code T[l][m][c]} at
   *     {@code (l * M + m) * 2^bits + c}; or null
   */
  public FloatBuffer l2Table() {
    return l2Table == null ? null : l2Table.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  /**
   * The same table as little-endian bytes (row l starts at byte {@code 4 * l * M * 2^bits}), for
   * kernels that read it in place; null when the file has none.
   *
   * @return a new little-endian view of the table's bytes, or null
   */
  public ByteBuffer l2TableBytes() {
    return l2Table == null ? null : l2Table.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The HNSW graph over the centroids, or null for the flat coarse quantizer.
   *
   * @return the graph, or null
   */
  public HnswSection graph() {
    return graph;
  }

  /**
   * The footer CRC32C, which every shard of the version records.
   *
   * @return the checksum stored in the footer (not verified)
   */
  public int checksum() {
    return checksum;
  }
}
