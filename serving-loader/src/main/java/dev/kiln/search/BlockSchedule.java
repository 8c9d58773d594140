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

  /** Queries in a block at most (the query takes 8 bits of a key). */
  static final int MAX_BLOCK = 256;

  /** Lays out the pairs of {@code probes[0 .. n)}, grouped by list, then by query. */
  void build(Probe[] probes, int n) {
    if (n > MAX_BLOCK) {
      throw new IllegalArgumentException("a block holds at most " + MAX_BLOCK + " queries");
    }
    int total = 0;
    for (int q = 0; q < n; q++) {
      total += probes[q].size();
    }
    if (keys.length < total) {
      keys = new long[total];
    }
    int at = 0;
    for (int q = 0; q < n; q++) {
      Probe p = probes[q];
      for (int r = 0; r < p.size(); r++) {
        // nprobe <= nlist < 2^24 fits the rank's 24 bits.
        keys[at++] = (long) p.list(r) << 32 | (long) q << 24 | r;
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
    return (int) (keys[i] >>> 24) & 0xff;
  }

  int rank(int i) {
    return (int) keys[i] & 0xffffff;
  }
}
