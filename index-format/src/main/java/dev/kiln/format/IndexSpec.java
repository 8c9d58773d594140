package dev.kiln.format;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * @param nlist number of inverted lists (coarse centroids)
 * @param encoding how vectors are stored inside a list
 * @param pqM PQ sub-spaces (0 for {@link Encoding#FLAT})
 * @param pqBits bits per PQ sub-code: 8, or 4 for the fast-scan layout; 0 for flat
 * @param refine how vectors are stored for re-ranking ({@link Refine#NONE} for no refine stage)
 * @param hnswM neighbours per node of the HNSW graph over the centroids, or 0 for the flat coarse
 *     quantizer (every centroid scored)
 * @param graphM neighbours per node of the HNSW graph over each shard's items ({@code HNSW{M}}),
 *     or 0 for an IVF index
 */
public record IndexSpec(int nlist, Encoding encoding, int pqM, int pqBits, Refine refine, int hnswM,
    int graphM) implements java.io.Serializable {

  /** How the refine stage stores vectors; the code is what {@code refine-NNNNN.kiln} records. */
  public enum Refine {
    NONE(-1, ""),
    FLAT(0, "RFlat"),
    SQ8(1, "Refine(SQ8)");

    public final int code;
    private final String factory;

    Refine(int code, String factory) {
      this.code = code;
      this.factory = factory;
    }

    /** Bytes stored per vector of dimension {@code dim} (0 for none). */
    public int bytesPerVector(int dim) {
      return switch (this) {
        case NONE -> 0;
        case FLAT -> dim * Float.BYTES;
        case SQ8 -> dim;
      };
    }

    public static Refine fromCode(int code, String file) throws CorruptIndexException {
      for (Refine r : values()) {
        if (r != NONE && r.code == code) {
          return r;
        }
      }
      throw new CorruptIndexException(file, "unknown refine encoding code " + code);
    }
  }

  /** A spec without a refine stage, with the flat coarse quantizer. */
  public IndexSpec(int nlist, Encoding encoding, int pqM, int pqBits) {
    this(nlist, encoding, pqM, pqBits, Refine.NONE, 0, 0);
  }

  /** An IVF spec (no graph over the items). */
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
    FLAT(0),
    PQ(1),
    /**
     * 8-bit scalar quantization: d bytes per vector, one per component, decoded with the
     * model's per-component ranges. For now only the vectors of an {@code HNSW{M},SQ8} graph.
     */
    SQ8(2);

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

  private static final Pattern GRAPH = Pattern.compile(
      "HNSW(\\d+)(?:,(Flat|SQ8))?(?:,(RFlat|Refine\\(Flat\\)|Refine\\(SQ8\\)))?");

  private static final Pattern FACTORY =
      Pattern.compile("IVF(\\d+)(?:_HNSW(\\d+))?,(?:(Flat)|PQ(\\d+)(?:x(\\d+)(fs)?)?(?:np)?"
          + "(?:,(RFlat|Refine\\(Flat\\)"
          + "|Refine\\(SQ8\\)))?)");

  public IndexSpec {
    if (nlist < 1) {
      throw new IllegalArgumentException("nlist must be at least 1, got " + nlist);
    }
    if (encoding == Encoding.PQ) {
      if (pqM < 1) {
        throw new IllegalArgumentException("PQ needs at least one sub-space, got " + pqM);
      }
      if (pqBits == 4) {
        if (pqM % 2 != 0 || pqM > MAX_FAST_SCAN_M) {
          throw new IllegalArgumentException("4-bit fast-scan PQ needs an even number of"
              + " sub-spaces up to " + MAX_FAST_SCAN_M + ", got " + pqM);
        }
      } else if (pqBits != 8) {
        throw new IllegalArgumentException("PQ codes have 8 bits, or 4 in the fast-scan layout;"
            + " got " + pqBits);
      }
    } else if (pqM != 0 || pqBits != 0) {
      throw new IllegalArgumentException("a Flat or SQ8 index has no PQ parameters");
    }
    if (refine == null) {
      throw new IllegalArgumentException("refine must be given (Refine.NONE for none)");
    }
    if (refine != Refine.NONE && encoding == Encoding.FLAT) {
      // Re-ranking float32 lists by float32 copies of themselves would change nothing.
      throw new IllegalArgumentException("a refine stage needs compressed codes to refine");
    }
    if (refine == Refine.SQ8 && encoding == Encoding.SQ8) {
      throw new IllegalArgumentException("SQ8 vectors re-ranked by SQ8 copies of themselves"
          + " would change nothing: refine SQ8 with RFlat");
    }
    if (hnswM != 0 && (hnswM < 2 || hnswM > MAX_HNSW_M)) {
      throw new IllegalArgumentException(
          "HNSW M must be between 2 and " + MAX_HNSW_M + ", got " + hnswM);
    }
    if (graphM != 0) {
      if (graphM < 2 || graphM > MAX_HNSW_M) {
        throw new IllegalArgumentException(
            "HNSW M must be between 2 and " + MAX_HNSW_M + ", got " + graphM);
      }
      if (nlist != 1 || encoding == Encoding.PQ || hnswM != 0) {
        throw new IllegalArgumentException("an HNSW index is one Flat or SQ8 list per shard");
      }
    } else if (encoding == Encoding.SQ8 && (nlist != 1 || refine != Refine.NONE || hnswM != 0)) {
      // Only HNSW{M},SQ8 is built; its model records IVF1,SQ8.
      throw new IllegalArgumentException("SQ8 lists are stored only under an HNSW graph");
    }
  }

  public static IndexSpec flat(int nlist) {
    return new IndexSpec(nlist, Encoding.FLAT, 0, 0);
  }

  public static IndexSpec pq(int nlist, int m) {
    return new IndexSpec(nlist, Encoding.PQ, m, 8);
  }

  /** {@code HNSW{m}}: float32 vectors and a graph of {@code m} neighbours per shard. */
  public static IndexSpec graph(int m) {
    return graph(m, Encoding.FLAT);
  }

  /** {@code HNSW{m}} ({@code encoding} FLAT) or {@code HNSW{m},SQ8} (SQ8). */
  public static IndexSpec graph(int m, Encoding encoding) {
    return new IndexSpec(1, encoding, 0, 0, Refine.NONE, 0, m);
  }

  /** Whether search walks a graph over each shard's items ({@code HNSW{M}}), not lists. */
  public boolean isGraph() {
    return graphM > 0;
  }

  /** {@code IVF{nlist},PQ{m}x4fs}: 4-bit codes in the fast-scan layout. */
  public static IndexSpec fastScan(int nlist, int m) {
    return new IndexSpec(nlist, Encoding.PQ, m, 4);
  }

  /** Whether lists hold 4-bit PQ codes in blocks of 32 ({@link FastScanLayout}). */
  public boolean isFastScan() {
    return encoding == Encoding.PQ && pqBits == 4;
  }

  /** This spec with the given refine stage. */
  public IndexSpec withRefine(Refine r) {
    return new IndexSpec(nlist, encoding, pqM, pqBits, r, hnswM, graphM);
  }

  /** This spec with an HNSW graph of {@code m} neighbours over the centroids (0: none). */
  public IndexSpec withHnsw(int m) {
    return new IndexSpec(nlist, encoding, pqM, pqBits, refine, m, graphM);
  }

  /** Whether lists are picked through an HNSW graph over the centroids. */
  public boolean hasCoarseGraph() {
    return hnswM > 0;
  }

  /**
   * This spec without its refine stage: what the model file (centroids, codebooks, the graph
   * over the centroids) and the shards describe. For {@code HNSW{M}} that is {@code IVF1,Flat}
   * ({@code IVF1,SQ8} for {@code HNSW{M},SQ8}): its graphs are in their own files.
   */
  public IndexSpec base() {
    return graphM > 0 ? new IndexSpec(1, encoding, 0, 0) : withRefine(Refine.NONE);
  }

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
   * @throws IllegalArgumentException naming the string and the accepted forms
   */
  public static IndexSpec parse(String factory) {
    String s = factory == null ? "" : factory.replace(" ", "");
    Matcher g = GRAPH.matcher(s);
    if (g.matches()) {
      int gm = parsePositive(g.group(1), factory);
      if (gm < 2 || gm > MAX_HNSW_M) {
        throw new IllegalArgumentException("unsupported index type '" + factory + "': HNSW M"
            + " must be between 2 and " + MAX_HNSW_M + ", e.g. HNSW32");
      }
      boolean sq8 = "SQ8".equals(g.group(2));
      String r = g.group(3);
      if (r != null && (!sq8 || r.contains("SQ8"))) {
        throw new IllegalArgumentException("unsupported index type '" + factory + "': only"
            + " HNSW{M},SQ8 takes a refine stage, and it is RFlat, e.g. HNSW32,SQ8,RFlat");
      }
      return graph(gm, sq8 ? Encoding.SQ8 : Encoding.FLAT)
          .withRefine(r == null ? Refine.NONE : Refine.FLAT);
    }
    Matcher m = FACTORY.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "unknown index type '" + factory + "': expected IVF{nlist},Flat, IVF{nlist},PQ{m} or"
              + " IVF{nlist},PQ{m}x4fs, the PQ forms optionally followed by ,RFlat or"
              + " ,Refine(SQ8), IVF{nlist}_HNSW{M} for an HNSW coarse quantizer, or HNSW{M}"
              + " or HNSW{M},SQ8[,RFlat], e.g. IVF1024,PQ16, IVF1024,PQ32x4fs,RFlat,"
              + " IVF65536_HNSW32,PQ16 or HNSW32");
    }
    int nlist = parsePositive(m.group(1), factory);
    int hnsw = m.group(2) == null ? 0 : parsePositive(m.group(2), factory);
    if (hnsw != 0 && (hnsw < 2 || hnsw > MAX_HNSW_M)) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': HNSW M must be"
          + " between 2 and " + MAX_HNSW_M + ", e.g. IVF65536_HNSW32,PQ16");
    }
    if (m.group(3) != null) {
      return flat(nlist).withHnsw(hnsw);
    }
    int pqM = parsePositive(m.group(4), factory);
    int bits = m.group(5) == null ? 8 : parsePositive(m.group(5), factory);
    boolean fs = m.group(6) != null;
    if (bits == 8 && fs || bits != 8 && bits != 4) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': PQ codes of"
          + " 8 bits (PQ{m} or PQ{m}x8) or 4 bits in the fast-scan layout (PQ{m}x4fs)");
    }
    if (bits == 4 && !fs) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': 4-bit PQ"
          + " codes are stored in the fast-scan layout only; write PQ" + pqM + "x4fs");
    }
    if (bits == 4 && (pqM % 2 != 0 || pqM > MAX_FAST_SCAN_M)) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': PQ{m}x4fs"
          + " needs an even m up to " + MAX_FAST_SCAN_M + ", e.g. PQ32x4fs");
    }
    String r = m.group(7);
    Refine refine = r == null ? Refine.NONE : r.contains("SQ8") ? Refine.SQ8 : Refine.FLAT;
    IndexSpec base = bits == 4 ? fastScan(nlist, pqM) : pq(nlist, pqM);
    return base.withRefine(refine).withHnsw(hnsw);
  }

  private static int parsePositive(String digits, String factory) {
    try {
      int v = Integer.parseInt(digits);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException(
        "unknown index type '" + factory + "': " + digits + " is not a positive number");
  }

  /** Checks that this spec fits vectors of the given dimension. */
  public void checkDimension(int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("dimension must be positive, got " + dim);
    }
    if (encoding == Encoding.PQ && dim % pqM != 0) {
      throw new IllegalArgumentException(
          "dimension " + dim + " is not divisible by PQ m=" + pqM + " (index " + this + ")");
    }
  }

  /** Bytes stored per vector inside a list. */
  public int codeSize(int dim) {
    return switch (encoding) {
      case FLAT -> dim * Float.BYTES;
      case SQ8 -> dim;
      case PQ -> pqM * pqBits / 8;
    };
  }

  /** Centroids per PQ sub-space (256 for 8 bits). */
  public int pqCentroids() {
    return encoding == Encoding.PQ ? 1 << pqBits : 0;
  }

  /**
   * The factory string, e.g. {@code IVF1024,PQ16}, {@code IVF1024,PQ16,Refine(SQ8)} or
   * {@code IVF65536_HNSW32,PQ16}.
   */
  @Override
  public String toString() {
    String r = refine == Refine.NONE ? "" : "," + refine.factory;
    if (graphM > 0) {
      return "HNSW" + graphM + (encoding == Encoding.SQ8 ? ",SQ8" : "") + r;
    }
    return "IVF" + nlist + (hnswM > 0 ? "_HNSW" + hnswM : "") + ","
        + switch (encoding) {
          case FLAT -> "Flat";
          case SQ8 -> "SQ8";
          case PQ -> "PQ" + pqM + (pqBits == 4 ? "x4fs" : "");
        } + r;
  }
}
