package dev.kiln.job.plan;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.ProductQuantizer;
import java.util.Locale;

/**
 * {@code --index auto}: the index type for N vectors of dimension d under a serving memory
 * budget (the bytes a serving node maps: model plus shards).
 *
 * <ul>
 *   <li><b>nlist</b>: the power of two nearest 4·√N, the low end of Faiss's guideline (4·√N to
 *       16·√N) and autofaiss's rule below 1M vectors; at most N/39 (Faiss's minimum of 39
 *       training points per list) and {@value #MAX_NLIST}. The low end because the coarse
 *       search streams nlist·d floats per query, which dominates at small N.
 *   <li><b>encoding</b>: Flat (exact distances) when it fits the budget or there is no budget;
 *       otherwise fast-scan with an SQ8 refine stage, {@code IVF{n},PQ{m}x4fs,Refine(SQ8)} (m
 *       the largest even divisor of d up to 64 with at least four dimensions per sub-space:
 *       d/2 + d bytes an item, a quarter of Flat's), when that fits: measured on Fashion-MNIST,
 *       {@code PQ56x4fs,Refine(SQ8)} reached recall 0.906 at 13.7k batch QPS (refine factor 6,
 *       nprobe 7), where the largest 8-bit code in the same bytes looks up 392 table entries an
 *       item (README, "Choosing the index"); otherwise the largest PQ code that fits, m a divisor of d with at least two dimensions
 *       per sub-space, at that nlist or half of it, whichever allows the larger code (ties to
 *       the larger nlist). More code bytes per vector measured more recall than more lists did
 *       (see the README's study), so "largest code that fits" is "best recall for the bytes".
 *   <li><b>coarse quantizer</b>: an HNSW graph over the centroids ({@code IVF{n}_HNSW32}) from
 *       {@value #HNSW_FROM_NLIST} lists (about 10M vectors) up, where the flat coarse step
 *       dominates a query: measured on synth-1m-128 at 16,384 lists, 3.4x the single-query QPS
 *       and 1.7x batch at nprobe 16 for 0.0004 of recall; at 4,096 lists the walk scores about
 *       as many centroids as the scan and loses in batch (README, "Coarse graph").
 * </ul>
 *
 * The estimate counts what the files hold: per item its code, an 8-byte id, for PQ under L2 its
 * 4-byte L2 term, and any refine vector; the centroids and, for PQ, the codebooks. (Until format
 * version 3 the model also held the precomputed L2 table, nlist·m·256 floats, which for small
 * N outweighed the codes; hence the search over half of nlist below.)
 */
public final class AutoIndex {
  public static final int MAX_NLIST = 65_536;
  /** The smallest nlist that gets the HNSW coarse quantizer. */
  public static final int HNSW_FROM_NLIST = 16_384;
  /** M of that graph, Faiss's and autofaiss's usual {@code _HNSW32}. */
  public static final int HNSW_M = 32;
  /** Faiss warns when k-means has fewer training points per centroid than this. */
  static final int MIN_POINTS_PER_LIST = 39;

  private AutoIndex() {}

  /** The index type for {@code n} vectors; {@code budgetBytes} 0 means no budget. */
  public static IndexSpec choose(long n, int dim, Metric metric, long budgetBytes) {
    IndexSpec spec = chooseFlatCoarse(n, dim, metric, budgetBytes);
    if (spec.nlist() < HNSW_FROM_NLIST) {
      return spec;
    }
    IndexSpec graph = spec.withHnsw(HNSW_M);
    return budgetBytes <= 0 || bytes(graph, n, dim, metric) <= budgetBytes ? graph : spec;
  }

  /** {@link #choose} before the coarse quantizer: nlist and the encoding. */
  private static IndexSpec chooseFlatCoarse(long n, int dim, Metric metric, long budgetBytes) {
    int nlist = nlist(n);
    IndexSpec flat = IndexSpec.flat(nlist);
    if (budgetBytes <= 0 || bytes(flat, n, dim, metric) <= budgetBytes) {
      return flat;
    }
    int fsM = fastScanM(dim);
    if (fsM > 0 && n >= 16) {
      IndexSpec fs = IndexSpec.fastScan(nlist, fsM).withRefine(IndexSpec.Refine.SQ8);
      if (bytes(fs, n, dim, metric) <= budgetBytes) {
        return fs;
      }
    }
    // The largest code that fits, at nlist or at half of it: halving nlist frees the
    // centroids' bytes, which can buy a larger code, and a larger code measured more recall for
    // the bytes than more lists did (README).
    IndexSpec best = null;
    for (int lists : nlist > 1 ? new int[] {nlist, nlist / 2} : new int[] {nlist}) {
      IndexSpec pq = largestPq(n, dim, metric, budgetBytes, lists);
      if (pq != null && (best == null || pq.pqM() > best.pqM())) {
        best = pq;
      }
    }
    if (best != null) {
      return best;
    }
    IndexSpec cheapest = n >= ProductQuantizer.KSUB ? IndexSpec.pq(nlist, 1) : flat;
    throw new IllegalArgumentException(String.format(Locale.ROOT,
        "--memory-budget %s is too small for %d vectors of dimension %d: the smallest option, %s,"
            + " needs %s", human(budgetBytes), n, dim, cheapest, human(bytes(cheapest, n, dim, metric))));
  }

  /** The largest PQ code (m dividing d, at least 2 dimensions per sub-space) that fits, or null. */
  private static IndexSpec largestPq(long n, int dim, Metric metric, long budget, int nlist) {
    if (n < ProductQuantizer.KSUB) {
      return null; // too few vectors to train 256 codewords
    }
    for (int m = Math.max(1, dim / 2); m >= 1; m--) {
      if (dim % m == 0 && bytes(IndexSpec.pq(nlist, m), n, dim, metric) <= budget) {
        return IndexSpec.pq(nlist, m);
      }
    }
    return null;
  }

  /**
   * M of the fast-scan form for dimension d: the largest even divisor of d up to 64 with at
   * least four dimensions per sub-space (56 for 784, 32 for 128), or 0 when there is none.
   */
  static int fastScanM(int dim) {
    for (int m = Math.min(64, dim / 4); m >= 2; m--) {
      if (m % 2 == 0 && dim % m == 0) {
        return m;
      }
    }
    return 0;
  }

  /** The power of two nearest 4·√n, within [1, min(n / 39, 65536)]. */
  public static int nlist(long n) {
    double target = 4 * Math.sqrt(n);
    int p = Integer.highestOneBit((int) Math.max(1, Math.min(MAX_NLIST, Math.round(target))));
    if (p < MAX_NLIST && target / p > 2 * p / target) {
      p *= 2; // nearer the next power of two, on a log scale
    }
    while (p > 1 && (long) p * MIN_POINTS_PER_LIST > n) {
      p /= 2;
    }
    return Math.min(p, MAX_NLIST);
  }

  /**
   * Bytes a serving node maps for this index: codes, ids and terms, centroids, codebooks, the
   * L2 table of fast-scan (nlist x M x 16 floats) and the HNSW graph's level 0 (nlist x 2M
   * int32; the levels above add about 1/M of that); for {@code HNSW{M}} the graph over the items,
   * 2M int32 per item on level 0.
   */
  public static long bytes(IndexSpec spec, long n, int dim, Metric metric) {
    boolean pq = spec.encoding() == IndexSpec.Encoding.PQ;
    boolean l2 = metric == Metric.L2;
    long perItem = spec.codeSize(dim) + Long.BYTES + spec.refine().bytesPerVector(dim)
        + (pq && l2 && !spec.isFastScan() ? Float.BYTES : 0)
        + (spec.isGraph() ? 2L * spec.graphM() * Integer.BYTES : 0);
    long model = (long) spec.nlist() * dim * Float.BYTES;
    if (pq) {
      model += (long) spec.pqCentroids() * dim * Float.BYTES;
    }
    if (spec.isFastScan() && l2) {
      model += (long) spec.nlist() * spec.pqM() * spec.pqCentroids() * Float.BYTES;
    }
    if (spec.hasCoarseGraph()) {
      model += (long) spec.nlist() * 2 * spec.hnswM() * Integer.BYTES;
    }
    return n * perItem + model;
  }

  /** Parses 512m, 2g, 1.5g, 800k or a byte count. */
  public static long parseBytes(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    char last = v.isEmpty() ? ' ' : v.charAt(v.length() - 1);
    if (last == 'b') {
      v = v.substring(0, v.length() - 1);
      last = v.isEmpty() ? ' ' : v.charAt(v.length() - 1);
    }
    switch (last) {
      case 'k' -> unit = 1L << 10;
      case 'm' -> unit = 1L << 20;
      case 'g' -> unit = 1L << 30;
      case 't' -> unit = 1L << 40;
      default -> unit = 1;
    }
    if (unit > 1) {
      v = v.substring(0, v.length() - 1);
    }
    try {
      double x = Double.parseDouble(v);
      if (!(x > 0) || Double.isInfinite(x)) {
        throw new NumberFormatException();
      }
      return (long) Math.ceil(x * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a memory size: use a number and a unit, like 512m or 2g");
    }
  }

  /** Bytes for messages: MiB or GiB. */
  public static String human(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
  }
}
