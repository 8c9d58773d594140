package dev.kiln.format;

import dev.kiln.format.IndexSpec.Encoding;
import dev.kiln.format.IndexSpec.Refine;

/**
 * The rules an {@link IndexSpec} obeys, checked by its constructor: which encodings take PQ
 * parameters, which refine stages and graphs combine with which lists. The first rule broken is
 * named in the exception.
 */
final class SpecRules {
  private SpecRules() {}

  /** See {@link IndexSpec}'s canonical constructor. */
  static void check(int nlist, Encoding encoding, int pqM, int pqBits, Refine refine, int hnswM,
      int graphM) {
    if (nlist < 1) {
      throw new IllegalArgumentException("nlist must be at least 1, got " + nlist);
    }
    if (encoding == Encoding.PQ) {
      if (pqM < 1) {
        throw new IllegalArgumentException("PQ needs at least one sub-space, got " + pqM);
      }
      if (pqBits == 4) {
        if (pqM % 2 != 0 || pqM > IndexSpec.MAX_FAST_SCAN_M) {
          throw new IllegalArgumentException("4-bit fast-scan PQ needs an even number of"
              + " sub-spaces up to " + IndexSpec.MAX_FAST_SCAN_M + ", got " + pqM);
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
    if (hnswM != 0) {
      checkHnswM(hnswM);
    }
    if (graphM != 0) {
      checkHnswM(graphM);
      if (nlist != 1 || encoding == Encoding.PQ || hnswM != 0) {
        throw new IllegalArgumentException("an HNSW index is one Flat or SQ8 list per shard");
      }
    } else if (encoding == Encoding.SQ8 && (nlist != 1 || refine != Refine.NONE || hnswM != 0)) {
      // Only HNSW{M},SQ8 is built; its model records IVF1,SQ8.
      throw new IllegalArgumentException("SQ8 lists are stored only under an HNSW graph");
    }
  }

  /** A graph's neighbours per node: 2 to {@link IndexSpec#MAX_HNSW_M}. */
  private static void checkHnswM(int m) {
    if (m < 2 || m > IndexSpec.MAX_HNSW_M) {
      throw new IllegalArgumentException(
          "HNSW M must be between 2 and " + IndexSpec.MAX_HNSW_M + ", got " + m);
    }
  }
}
