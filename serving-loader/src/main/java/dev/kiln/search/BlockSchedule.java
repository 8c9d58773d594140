package dev.kiln.search;

import dev.kiln.quantize.Probe;
import java.util.Arrays;

/**
 * The order batch search scans a block's lists in: every (query, probed list) pair of the block,
 * grouped by list. Scanning in this order reads each list's data (codes or vectors, and the
 * list's part of the precomputed L2 table, 16 KiB at PQ16) from memory once for all the block's
 * queries that probe it, rather than once per query: at nprobe 16 a block of 64 Fashion-MNIST
 * queries probes each of its lists about twice, at nprobe 64 about four times. Reusable: one
 * per thread.
 */
final class BlockSchedule {
  /** Pairs per block at most: queries x nprobe; a key packs (list, query, probe rank). */
  private long[] keys = new long[0];
  private int size;

  /** Queries in a block at most. */
  static final int MAX_BLOCK = 4096;
  /** Bits of a key's low half that hold the probe rank; the query takes the rest. */
  private int rankBits;

  /**
   * The most queries a block may hold when each probes up to {@code nprobe} lists: a key's low
   * 32 bits hold the query and the rank, so a large nprobe leaves fewer bits for queries.
   */
  static int maxBlock(int nprobe) {
    int rankBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, nprobe - 1)));
    int queryBits = 32 - rankBits;
    return queryBits >= 12 ? MAX_BLOCK : 1 << queryBits;
  }

  /** Lays out the pairs of {@code probes[0 .. n)}, grouped by list, then by query. */
  void build(Probe[] probes, int n) {
    int total = 0;
    int widest = 1;
    for (int q = 0; q < n; q++) {
      total += probes[q].size();
      widest = Math.max(widest, probes[q].size());
    }
    if (n > maxBlock(widest)) {
      throw new IllegalArgumentException("a block of " + n + " queries probing up to " + widest
          + " lists each holds at most " + maxBlock(widest));
    }
    rankBits = 32 - Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1)));
    if (keys.length < total) {
      keys = new long[total];
    }
    int at = 0;
    for (int q = 0; q < n; q++) {
      Probe p = probes[q];
      for (int r = 0; r < p.size(); r++) {
        keys[at++] = (long) p.list(r) << 32 | (long) q << rankBits | r;
      }
    }
    Arrays.sort(keys, 0, total);
    size = total;
  }

  int size() {
    return size;
  }

  int list(int i) {
    return (int) (keys[i] >>> 32);
  }

  int query(int i) {
    return (int) ((keys[i] & 0xffffffffL) >>> rankBits);
  }

  int rank(int i) {
    return (int) (keys[i] & ((1L << rankBits) - 1));
  }
}
