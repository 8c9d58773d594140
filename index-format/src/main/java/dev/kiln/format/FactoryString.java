package dev.kiln.format;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Faiss-style factory strings read into an {@link IndexSpec} ({@link IndexSpec#parse}); the
 * spec writes them back ({@link IndexSpec#toString}). A new form is a pattern group here and a
 * spec factory method there.
 */
final class FactoryString {
  private FactoryString() {}

  private static final Pattern GRAPH = Pattern.compile(
      "HNSW(\\d+)(?:,(Flat|SQ8))?(?:,(RFlat|Refine\\(Flat\\)|Refine\\(SQ8\\)))?");

  private static final Pattern FACTORY =
      Pattern.compile("IVF(\\d+)(?:_HNSW(\\d+))?,(?:(Flat)|PQ(\\d+)(?:x(\\d+)(fs)?)?(?:np)?"
          + "(?:,(RFlat|Refine\\(Flat\\)"
          + "|Refine\\(SQ8\\)))?)");

  static IndexSpec parse(String factory) {
    String s = factory == null ? "" : factory.replace(" ", "");
    Matcher g = GRAPH.matcher(s);
    if (g.matches()) {
      int gm = parsePositive(g.group(1), factory);
      if (gm < 2 || gm > IndexSpec.MAX_HNSW_M) {
        throw new IllegalArgumentException("unsupported index type '" + factory + "': HNSW M"
            + " must be between 2 and " + IndexSpec.MAX_HNSW_M + ", e.g. HNSW32");
      }
      boolean sq8 = "SQ8".equals(g.group(2));
      String r = g.group(3);
      if (r != null && (!sq8 || r.contains("SQ8"))) {
        throw new IllegalArgumentException("unsupported index type '" + factory + "': only"
            + " HNSW{M},SQ8 takes a refine stage, and it is RFlat, e.g. HNSW32,SQ8,RFlat");
      }
      return IndexSpec.graph(gm, sq8 ? IndexSpec.Encoding.SQ8 : IndexSpec.Encoding.FLAT)
          .withRefine(r == null ? IndexSpec.Refine.NONE : IndexSpec.Refine.FLAT);
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
    if (hnsw != 0 && (hnsw < 2 || hnsw > IndexSpec.MAX_HNSW_M)) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': HNSW M must be"
          + " between 2 and " + IndexSpec.MAX_HNSW_M + ", e.g. IVF65536_HNSW32,PQ16");
    }
    if (m.group(3) != null) {
      return IndexSpec.flat(nlist).withHnsw(hnsw);
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
    if (bits == 4 && (pqM % 2 != 0 || pqM > IndexSpec.MAX_FAST_SCAN_M)) {
      throw new IllegalArgumentException("unsupported index type '" + factory + "': PQ{m}x4fs"
          + " needs an even m up to " + IndexSpec.MAX_FAST_SCAN_M + ", e.g. PQ32x4fs");
    }
    String r = m.group(7);
    IndexSpec.Refine refine = r == null ? IndexSpec.Refine.NONE
        : r.contains("SQ8") ? IndexSpec.Refine.SQ8 : IndexSpec.Refine.FLAT;
    IndexSpec base = bits == 4 ? IndexSpec.fastScan(nlist, pqM)
        : IndexSpec.pq(nlist, pqM);
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

  /** The factory string of {@code spec}, the form {@link #parse} reads. */
  static String format(IndexSpec spec) {
    String r = spec.refine() == IndexSpec.Refine.NONE ? "" : "," + spec.refine().factory;
    if (spec.graphM() > 0) {
      return "HNSW" + spec.graphM() + (spec.encoding() == IndexSpec.Encoding.SQ8 ? ",SQ8" : "")
          + r;
    }
    return "IVF" + spec.nlist() + (spec.hnswM() > 0 ? "_HNSW" + spec.hnswM() : "") + ","
        + switch (spec.encoding()) {
          case FLAT -> "Flat";
          case SQ8 -> "SQ8";
          case PQ -> "PQ" + spec.pqM() + (spec.pqBits() == 4 ? "x4fs" : "");
        } + r;
  }
}
