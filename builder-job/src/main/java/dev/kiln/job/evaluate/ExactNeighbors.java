package dev.kiln.job.evaluate;

import dev.kiln.job.read.Item;
import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The exact k nearest items of every query, by brute force on the executors: the queries are
 * broadcast, each partition scans its items against all of them and keeps a top-k per query,
 * and the partial answers are merged in a tree. Ties are broken by id (or key), so the answer
 * does not depend on how the items are partitioned.
 *
 * <p>The scan is the k-means assignment kernel turned around: queries transposed in panels of
 * {@link VectorKernels#PANEL}, four items at a time, squared L2 as ||x||² − 2x·q + ||q||² (minus
 * the inner product for ip and cosine).
 */
public final class ExactNeighbors {
  private ExactNeighbors() {}

  /**
   * The top-k of each query: {@code ids[q]} (long ids) or {@code keys[q]} (string ids), nearest
   * first; fewer than k when the index holds fewer items.
   */
  public record Result(long[][] ids, String[][] keys) {}

  public static Result compute(JavaSparkContext jsc, JavaRDD<Item> items, QuerySet queries,
      int k, Metric metric, boolean stringIds) {
    Broadcast<QuerySet> bq = jsc.broadcast(queries);
    boolean l2 = metric == Metric.L2;
    try {
      TopLists merged = items
          .mapPartitions((Iterator<Item> it) -> List.of(scan(it, bq.value(), k, l2)).iterator())
          .treeReduce(TopLists::merge, 2);
      return merged.result(stringIds);
    } finally {
      bq.destroy();
    }
  }

  /** Items per block: the block stays in cache while every query tile passes over it. */
  private static final int BLOCK = 128;

  static TopLists scan(Iterator<Item> items, QuerySet queries, int k, boolean l2) {
    VectorKernels kern = VectorizationProvider.kernels();
    int nq = queries.size();
    int d = queries.vectors()[0].length;
    int tile = VectorKernels.PANEL;
    int tileCount = (nq + tile - 1) / tile;
    float[] tiles = new float[tileCount * tile * d];
    float[] qNorms = new float[nq];
    for (int q = 0; q < nq; q++) {
      float[] v = queries.vectors()[q];
      qNorms[q] = kern.dot(v, 0, v, 0, d);
      int t = q / tile;
      int c = q % tile;
      for (int j = 0; j < d; j++) {
        tiles[(t * d + j) * tile + c] = v[j];
      }
    }
    TopLists top = new TopLists(nq, k);
    float[] block = new float[BLOCK * d];
    float[] norms = new float[BLOCK];
    long[] ids = new long[BLOCK];
    String[] keys = new String[BLOCK];
    float[] dots = new float[4 * tile];
    int n = 0;
    while (true) {
      boolean more = items.hasNext();
      if (more) {
        Item it = items.next();
        System.arraycopy(it.vector(), 0, block, n * d, d);
        norms[n] = kern.dot(block, n * d, block, n * d, d);
        ids[n] = it.id();
        keys[n] = it.key();
        n++;
      }
      if (n == BLOCK || (!more && n > 0)) {
        int last = n - 1;
        for (int t = 0; t < tileCount; t++) {
          for (int i = 0; i < n; i += 4) {
            kern.dots4x64(block, i * d, Math.min(i + 1, last) * d, Math.min(i + 2, last) * d,
                Math.min(i + 3, last) * d, tiles, t * d * tile, d, dots);
            int rows = Math.min(4, n - i);
            for (int r = 0; r < rows; r++) {
              int item = i + r;
              for (int c = 0; c < tile; c++) {
                int q = t * tile + c;
                if (q >= nq) {
                  break;
                }
                float dot = dots[r * tile + c];
                float dist = l2 ? norms[item] - 2 * dot + qNorms[q] : -dot;
                if (top.accepts(q, dist, ids[item], keys[item])
                    && !queries.isSelf(q, ids[item], keys[item])) {
                  top.insert(q, dist, ids[item], keys[item]);
                }
              }
            }
          }
        }
        n = 0;
      }
      if (!more) {
        return top;
      }
    }
  }

  /** Per query, the best k (distance, id, key) seen so far, sorted ascending. */
  static final class TopLists implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int k;
    private final int[] count;
    private final float[] dist;
    private final long[] id;
    private final String[] key;

    TopLists(int queries, int k) {
      this.k = k;
      this.count = new int[queries];
      this.dist = new float[queries * k];
      this.id = new long[queries * k];
      this.key = new String[queries * k];
    }

    /** (d, i, s) orders before slot j: by distance, then id, then key. */
    private boolean before(float d, long i, String s, int j) {
      if (d != dist[j]) {
        return d < dist[j];
      }
      if (i != id[j]) {
        return i < id[j];
      }
      return s != null && key[j] != null && s.compareTo(key[j]) < 0;
    }

    boolean accepts(int q, float d, long i, String s) {
      return count[q] < k || before(d, i, s, q * k + k - 1);
    }

    void insert(int q, float d, long i, String s) {
      int base = q * k;
      int pos = Math.min(count[q], k - 1);
      while (pos > 0 && before(d, i, s, base + pos - 1)) {
        dist[base + pos] = dist[base + pos - 1];
        id[base + pos] = id[base + pos - 1];
        key[base + pos] = key[base + pos - 1];
        pos--;
      }
      dist[base + pos] = d;
      id[base + pos] = i;
      key[base + pos] = s;
      count[q] = Math.min(count[q] + 1, k);
    }

    TopLists merge(TopLists o) {
      for (int q = 0; q < count.length; q++) {
        for (int r = 0; r < o.count[q]; r++) {
          int j = q * k + r;
          if (accepts(q, o.dist[j], o.id[j], o.key[j])) {
            insert(q, o.dist[j], o.id[j], o.key[j]);
          }
        }
      }
      return this;
    }

    Result result(boolean strings) {
      int nq = count.length;
      long[][] ids = new long[nq][];
      String[][] keys = strings ? new String[nq][] : null;
      for (int q = 0; q < nq; q++) {
        ids[q] = Arrays.copyOfRange(id, q * k, q * k + count[q]);
        if (strings) {
          keys[q] = Arrays.copyOfRange(key, q * k, q * k + count[q]);
        }
      }
      return new Result(ids, keys);
    }
  }
}
