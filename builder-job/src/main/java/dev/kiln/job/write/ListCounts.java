package dev.kiln.job.write;

import dev.kiln.format.ListStats;
import dev.kiln.job.encode.EncodedItem;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * Items per (shard, list), and key bytes per shard: a shard file's header and directory come
 * before its items, so these are counted in one pass before the files are written.
 */
public final class ListCounts implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int shards;
  private final int nlist;
  private final long[] counts;
  private final long[] keyBytes;

  ListCounts(int shards, int nlist) {
    this.shards = shards;
    this.nlist = nlist;
    this.counts = new long[shards * nlist];
    this.keyBytes = new long[shards];
  }

  public static ListCounts of(JavaRDD<EncodedItem> items, int shards, int nlist) {
    return items
        .mapPartitions(
            it -> {
              ListCounts c = new ListCounts(shards, nlist);
              while (it.hasNext()) {
                EncodedItem e = it.next();
                c.counts[e.shard() * nlist + e.list()]++;
                if (e.key() != null) {
                  c.keyBytes[e.shard()] += e.key().getBytes(StandardCharsets.UTF_8).length;
                }
              }
              return List.of(c).iterator();
            })
        .treeReduce(ListCounts::merge, 2);
  }

  /** Adds {@code count} items of {@code list} in {@code shard}, and their key bytes. */
  void add(int shard, int list, long count, long keys) {
    counts[shard * nlist + list] += count;
    keyBytes[shard] += keys;
  }

  private ListCounts merge(ListCounts o) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += o.counts[i];
    }
    for (int i = 0; i < shards; i++) {
      keyBytes[i] += o.keyBytes[i];
    }
    return this;
  }

  /** Items of each list in one shard. */
  public long[] listSizes(int shard) {
    long[] out = new long[nlist];
    System.arraycopy(counts, shard * nlist, out, 0, nlist);
    return out;
  }

  public long shardCount(int shard) {
    long n = 0;
    for (int l = 0; l < nlist; l++) {
      n += counts[shard * nlist + l];
    }
    return n;
  }

  public long keyBytes(int shard) {
    return keyBytes[shard];
  }

  public long total() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  /** Items per list, summed over shards (for the report's histogram). */
  public int[] totalListSizes() {
    int[] out = new int[nlist];
    for (int l = 0; l < nlist; l++) {
      long n = 0;
      for (int s = 0; s < shards; s++) {
        n += counts[s * nlist + l];
      }
      out[l] = (int) Math.min(Integer.MAX_VALUE, n);
    }
    return out;
  }

  /** List sizes over all shards, for the manifest: see {@link #statistics(long[])}. */
  public ListStats listStatistics() {
    long[] sizes = new long[nlist];
    for (int l = 0; l < nlist; l++) {
      for (int s = 0; s < shards; s++) {
        sizes[l] += counts[s * nlist + l];
      }
    }
    return statistics(sizes);
  }

  /**
   * The manifest's {@code lists} object: nlist, min, max, mean, p99 (nearest rank: 99% of the
   * lists hold at most this many items) and how many lists are empty.
   */
  public static ListStats statistics(long[] listSizes) {
    long[] sizes = listSizes.clone();
    Arrays.sort(sizes);
    long total = 0;
    int empty = 0;
    for (long n : sizes) {
      total += n;
      if (n == 0) {
        empty++;
      }
    }
    int nlist = sizes.length;
    return new ListStats(empty, sizes[nlist - 1], (double) total / nlist, sizes[0], nlist,
        sizes[(int) Math.ceil(0.99 * nlist) - 1]);
  }
}
