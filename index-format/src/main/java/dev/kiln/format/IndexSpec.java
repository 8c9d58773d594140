package dev.kiln.format;


/**
 * An index type in Faiss's factory-string notation, so Faiss users read it at once:
 * {@code IVF1024,Flat} (vectors stored as float32) or {@code IVF1024,PQ16} (product quantizer,
 * 16 sub-spaces of 8 bits, encoding the residual to the list centroid), optionally followed by a
 * refine stage: {@code IVF1024,PQ16,RFlat} (or {@code Refine(Flat)}) also stores every vector
 * as float32, {@code IVF1024,PQ16,Refine(SQ8)} as 8-bit scalar-quantized, and search re-ranks a
 * shortlist of the PQ scan's best candidates by their stored vectors. {@code IVF16384_HNSW32,PQ16}
 * picks the lists to probe through an HNSW graph over the centroids (M = 32 neighbours per node,
 * 64 on the bottom level) instead of scoring every centroid, Faiss's form for large nlist.
 * {@code IVF1024,PQ32x4fs} stores 4-bit PQ codes (16 sub-centroids per sub-space) in Faiss's
 * fast-scan arrangement, blocks of 32 items scored with in-register lookup tables
 * ({@link FastScanLayout}); usually with a refine stage, {@code IVF1024,PQ32x4fs,RFlat}.
 * {@code HNSW32} is no IVF at all: float32 vectors and, per shard, an HNSW graph over its items
 * ({@link GraphFile}) that search walks with a beam of {@code efSearch}; it is held as one list
 * ({@code nlist} 1, Flat) with {@code graphM} 32, so that every shard, model and scan rule of a
 * Flat index holds for it. {@code HNSW32,SQ8} stores each vector as d bytes instead (8-bit
 * scalar quantization, {@link Encoding#SQ8}, its ranges in the model) and walks the same graph
 * on them; {@code HNSW32,SQ8,RFlat} also keeps float32 copies to re-rank a shortlist.
 *
 * <p>Serializable only so that a build can ship it to its Spark tasks: files and manifests
 * record the factory string ({@link #toString()}), never the serial form, which is therefore
 * left out of the serialized-form page.
 *
 * @param nlist number of inverted lists (coarse centroids)
 * @param encoding how vectors are stored inside a list
 * @param pqM PQ sub-spaces (0 for {@link Encoding#FLAT})
 * @param pqBits bits per PQ sub-code: 8, or 4 for the fast-scan layout; 0 for flat
 * @param refine how vectors are stored for re-ranking ({@link Refine#NONE} for no refine stage)
 * @param hnswM neighbours per node of the HNSW graph over the centroids, or 0 for the flat coarse
 *     quantizer (every centroid scored)
 * @param graphM neighbours per node of the HNSW graph over each shard's items ({@code HNSW{M}}),
 *     or 0 for an IVF index
 * @serial exclude
 */
public record IndexSpec(int nlist, Encoding encoding, int pqM, int pqBits, Refine refine, int hnswM,
    int graphM) implements java.io.Serializable {

  /** How the refine stage stores vectors; the code is what {@code refine-NNNNN.kiln} records. */
  public enum Refine {
    /** No refine stage, no refine files. */
    NONE(-1, ""),
    /** float32 copies, 4 x d bytes a vector: {@code ,RFlat} (or {@code ,Refine(Flat)}). */
    FLAT(0, "RFlat"),
    /** 8-bit scalar-quantized copies, d bytes a vector: {@code ,Refine(SQ8)}. */
    SQ8(1, "Refine(SQ8)");

    /** The encoding code a refine file's header records: 0 or 1; -1 for {@link #NONE}. */
    public final int code;
    final String factory;

    Refine(int code, String factory) {
      this.code = code;
      this.factory = factory;
    }

    /**
     * Bytes stored per vector of dimension {@code dim} (0 for none).
     *
     * @param dim the vector dimension d
     * @return {@code 4 * dim} for {@link #FLAT}, {@code dim} for {@link #SQ8}, 0 for
     *     {@link #NONE}
     */
    public int bytesPerVector(int dim) {
      return switch (this) {
        case NONE -> 0;
        case FLAT -> dim * Float.BYTES;
        case SQ8 -> dim;
      };
    }

    /**
     * The refine stage whose code a refine file's header holds.
     *
     * @param code the header's encoding code
     * @param file the file's name, for the message
     * @return {@link #FLAT} for 0, {@link #SQ8} for 1
     * @throws CorruptIndexException naming {@code file}, for any other code
     */
    public static Refine fromCode(int code, String file) throws CorruptIndexException {
      for (Refine r : values()) {
        if (r != NONE && r.code == code) {
          return r;
        }
      }
      throw new CorruptIndexException(file, "unknown refine encoding code " + code);
    }
  }

  /**
   * A spec without a refine stage, with the flat coarse quantizer.
   *
   * @param nlist number of inverted lists, at least 1
   * @param encoding how vectors are stored inside a list
   * @param pqM PQ sub-spaces; 0 for Flat and SQ8
   * @param pqBits 8, or 4 for the fast-scan layout; 0 for Flat and SQ8
   * @throws IllegalArgumentException when they do not fit (see the canonical constructor)
   */
  public IndexSpec(int nlist, Encoding encoding, int pqM, int pqBits) {
    this(nlist, encoding, pqM, pqBits, Refine.NONE, 0, 0);
  }

  /**
   * An IVF spec (no graph over the items).
   *
   * @param nlist number of inverted lists, at least 1
   * @param encoding how vectors are stored inside a list
   * @param pqM PQ sub-spaces; 0 for Flat and SQ8
   * @param pqBits 8, or 4 for the fast-scan layout; 0 for Flat and SQ8
   * @param refine the refine stage, {@link Refine#NONE} for none
   * @param hnswM M of the HNSW graph over the centroids, or 0 for none
   * @throws IllegalArgumentException when they do not fit (see the canonical constructor)
   */
  public IndexSpec(int nlist, Encoding encoding, int pqM, int pqBits, Refine refine, int hnswM) {
    this(nlist, encoding, pqM, pqBits, refine, hnswM, 0);
  }

  /**
   * Sub-spaces of a fast-scan code at most: the scan sums one 8-bit table entry per sub-space in
   * signed 16-bit lanes, and 128 x 255 is the most that stays below 2^15.
   */
  public static final int MAX_FAST_SCAN_M = 128;

  /** Neighbours per graph node the format accepts: Faiss and hnswlib use 4 to 64. */
  public static final int MAX_HNSW_M = 256;

  /** How the vectors of a list are stored. */
  public enum Encoding {
    /** float32 vectors, 4 x d bytes each (normalized for cosine). */
    FLAT(0),
    /**
     * Product-quantized residuals to the list's centroid: M bytes a vector, or M/2 for the
     * 4-bit fast-scan form.
     */
    PQ(1),
    /**
     * 8-bit scalar quantization: d bytes per vector, one per component, decoded with the
     * model's per-component ranges. For now only the vectors of an {@code HNSW{M},SQ8} graph.
     */
    SQ8(2);

    /** The encoding code the model file's header records. */
    public final int code;

    Encoding(int code) {
      this.code = code;
    }

    static Encoding fromCode(int code, String file) throws CorruptIndexException {
      for (Encoding e : values()) {
        if (e.code == code) {
          return e;
        }
      }
      throw new CorruptIndexException(file, "unknown encoding code " + code);
    }
  }

  /**
   * Checks that the components describe an index the format can hold.
   *
   * @param nlist at least 1; exactly 1 with SQ8 or a graph over the items
   * @param encoding FLAT or PQ; SQ8 under a graph over the items, or as such an index's
   *     model, {@code IVF1,SQ8}
   * @param pqM for PQ at least 1, and for 4-bit codes even and at most
   *     {@link #MAX_FAST_SCAN_M}; else 0
   * @param pqBits for PQ 8, or 4 for the fast-scan layout; else 0
   * @param refine not null; {@link Refine#NONE} over FLAT lists; over SQ8 lists NONE or, under
   *     a graph over the items, {@link Refine#FLAT}
   * @param hnswM 0, or 2 to {@link #MAX_HNSW_M}; 0 with SQ8 or a graph over the items
   * @param graphM 0, or 2 to {@link #MAX_HNSW_M}: then nlist is 1 and the encoding FLAT or SQ8
   * @throws IllegalArgumentException naming the first rule broken
   */
  public IndexSpec {
    SpecRules.check(nlist, encoding, pqM, pqBits, refine, hnswM, graphM);
  }

  /**
   * {@code IVF{nlist},Flat}.
   *
   * @param nlist number of lists, at least 1
   * @return the spec
   * @throws IllegalArgumentException when {@code nlist} is below 1
   */
  public static IndexSpec flat(int nlist) {
    return new IndexSpec(nlist, Encoding.FLAT, 0, 0);
  }

  /**
   * {@code IVF{nlist},PQ{m}}: 8-bit PQ codes.
   *
   * @param nlist number of lists, at least 1
   * @param m sub-spaces, at least 1
   * @return the spec
   * @throws IllegalArgumentException when either is below 1
   */
  public static IndexSpec pq(int nlist, int m) {
    return new IndexSpec(nlist, Encoding.PQ, m, 8);
  }

  /**
   * {@code HNSW{m}}: float32 vectors and a graph of {@code m} neighbours per shard.
   *
   * @param m neighbours per node, 2 to {@link #MAX_HNSW_M}
   * @return the spec
   * @throws IllegalArgumentException when {@code m} is negative, 1 or above {@link #MAX_HNSW_M}
   */
  public static IndexSpec graph(int m) {
    return graph(m, Encoding.FLAT);
  }

  /**
   * {@code HNSW{m}} ({@code encoding} FLAT) or {@code HNSW{m},SQ8} (SQ8).
   *
   * @param m neighbours per node, 2 to {@link #MAX_HNSW_M}
   * @param encoding {@link Encoding#FLAT} or {@link Encoding#SQ8}
   * @return the spec
   * @throws IllegalArgumentException for PQ, or when {@code m} is negative, 1 or above
   *     {@link #MAX_HNSW_M}
   */
  public static IndexSpec graph(int m, Encoding encoding) {
    return new IndexSpec(1, encoding, 0, 0, Refine.NONE, 0, m);
  }

  /**
   * Whether search walks a graph over each shard's items ({@code HNSW{M}}), not lists.
   *
   * @return true when {@code graphM} is set
   */
  public boolean isGraph() {
    return graphM > 0;
  }

  /**
   * {@code IVF{nlist},PQ{m}x4fs}: 4-bit codes in the fast-scan layout.
   *
   * @param nlist number of lists, at least 1
   * @param m sub-spaces: even, 2 to {@link #MAX_FAST_SCAN_M}
   * @return the spec
   * @throws IllegalArgumentException when {@code nlist} or {@code m} is out of range
   */
  public static IndexSpec fastScan(int nlist, int m) {
    return new IndexSpec(nlist, Encoding.PQ, m, 4);
  }

  /**
   * Whether lists hold 4-bit PQ codes in blocks of 32 ({@link FastScanLayout}).
   *
   * @return true for {@code PQ{m}x4fs}
   */
  public boolean isFastScan() {
    return encoding == Encoding.PQ && pqBits == 4;
  }

  /**
   * This spec with the given refine stage.
   *
   * @param r the refine stage, {@link Refine#NONE} for none
   * @return a new spec
   * @throws IllegalArgumentException when the stage does not fit the lists (see the
   *     canonical constructor)
   */
  public IndexSpec withRefine(Refine r) {
    return new IndexSpec(nlist, encoding, pqM, pqBits, r, hnswM, graphM);
  }

  /**
   * This spec with an HNSW graph of {@code m} neighbours over the centroids (0: none).
   *
   * @param m 2 to {@link #MAX_HNSW_M}, or 0 for the flat coarse quantizer
   * @return a new spec
   * @throws IllegalArgumentException when {@code m} is out of range, or is not 0 for SQ8 lists
   *     or an {@code HNSW{M}} spec
   */
  public IndexSpec withHnsw(int m) {
    return new IndexSpec(nlist, encoding, pqM, pqBits, refine, m, graphM);
  }

  /**
   * Whether lists are picked through an HNSW graph over the centroids.
   *
   * @return true for {@code IVF{n}_HNSW{M},...}
   */
  public boolean hasCoarseGraph() {
    return hnswM > 0;
  }

  /**
   * This spec without its refine stage: what the model file (centroids, codebooks, the graph
   * over the centroids) and the shards describe. For {@code HNSW{M}} that is {@code IVF1,Flat}
   * ({@code IVF1,SQ8} for {@code HNSW{M},SQ8}): its graphs are in their own files.
   *
   * @return the spec the model file records
   */
  public IndexSpec base() {
    return graphM > 0 ? new IndexSpec(1, encoding, 0, 0) : withRefine(Refine.NONE);
  }

  /**
   * Whether the index has a refine stage: refine files beside its shards.
   *
   * @return true unless {@code refine} is {@link Refine#NONE}
   */
  public boolean hasRefine() {
    return refine != Refine.NONE;
  }

  /**
   * Parses {@code IVF{n},Flat} or {@code IVF{n},PQ{m}} ({@code PQ{m}x8} and Faiss's {@code np}
   * suffix are accepted too) or {@code IVF{n},PQ{m}x4fs}, the PQ forms optionally followed by {@code ,RFlat},
   * {@code ,Refine(Flat)} or {@code ,Refine(SQ8)}; {@code IVF{n}_HNSW{M},...} for the HNSW coarse
   * quantizer; {@code HNSW{M}} (or {@code HNSW{M},Flat}) for a graph over the items,
   * {@code HNSW{M},SQ8} with 8-bit vectors, optionally followed by {@code ,RFlat}.
   *
   * @param factory the factory string; spaces are ignored, case is not
   * @return the spec
   * @throws IllegalArgumentException naming the string and the accepted forms (null included)
   */
  public static IndexSpec parse(String factory) {
    return FactoryString.parse(factory);
  }

  /**
   * Checks that this spec fits vectors of the given dimension.
   *
   * @param dim the vector dimension d
   * @throws IllegalArgumentException when {@code dim} is below 1 or, for PQ, not a multiple of
   *     M
   */
  public void checkDimension(int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("dimension must be positive, got " + dim);
    }
    if (encoding == Encoding.PQ && dim % pqM != 0) {
      throw new IllegalArgumentException(
          "dimension " + dim + " is not divisible by PQ m=" + pqM + " (index " + this + ")");
    }
  }

  /**
   * Bytes stored per vector inside a list.
   *
   * @param dim the vector dimension d
   * @return {@code 4 * dim} for Flat, {@code dim} for SQ8, M for PQ, M/2 for fast-scan PQ
   */
  public int codeSize(int dim) {
    return switch (encoding) {
      case FLAT -> dim * Float.BYTES;
      case SQ8 -> dim;
      case PQ -> pqM * pqBits / 8;
    };
  }

  /**
   * Centroids per PQ sub-space (256 for 8 bits).
   *
   * @return {@code 2^pqBits}: 256, or 16 for fast-scan; 0 without PQ
   */
  public int pqCentroids() {
    return encoding == Encoding.PQ ? 1 << pqBits : 0;
  }

  /**
   * The factory string, e.g. {@code IVF1024,PQ16}, {@code IVF1024,PQ16,Refine(SQ8)} or
   * {@code IVF65536_HNSW32,PQ16}.
   */
  @Override
  public String toString() {
    return FactoryString.format(this);
  }
}
