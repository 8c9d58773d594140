package dev.kiln.search;

import dev.kiln.format.ShardFile;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Lists of float32 vectors ({@code IVF{n},Flat}): exact distances, the metric's kernel. A shard
 * read into the heap ({@link OpenOptions#inHeap()}) is also copied into a {@code float[]} at
 * open, which one-query scans read: JDK 17 loads SIMD lanes from an array with fewer
 * instructions than from a buffer (dev.kiln.vector.PanamaArrayRows has the figures). Batch
 * scans keep the buffer, whose cost four queries share.
 */
final class FlatScanner implements ListScanner {
  /** Floats of one copy of a block's queries at most: 16 MiB (the block holds two copies). */
  private static final int MAX_BLOCK_FLOATS = 4 << 20;
  private final ShardFile[] shards;
  private final int dim;
  private final MetricStrategy metric;
  /** Per shard, its file as floats when it was read into the heap; null entries otherwise. */
  private final float[][] heapRows;

  FlatScanner(ShardFile[] shards, int dim, MetricStrategy metric) {
    this.shards = shards;
    this.dim = dim;
    this.metric = metric;
    this.heapRows = new float[shards.length][];
    for (int si = 0; si < shards.length; si++) {
      heapRows[si] = asFloats(shards[si]);
    }
  }

  /** Whether one-query scans read float arrays (every shard in the heap), for tests. */
  boolean readsArrays() {
    for (float[] rows : heapRows) {
      if (rows == null) {
        return false;
      }
    }
    return true;
  }

  /** The shard's file as floats if it is in the heap and its lists lie at float boundaries. */
  private static float[] asFloats(ShardFile shard) {
    ByteBuffer b = shard.buffer();
    if (!b.hasArray()) {
      return null; // mapped: the buffer is the only copy
    }
    for (int list = 0; list < shard.nlist(); list++) {
      if (shard.listSize(list) > 0 && shard.codesOffset(list) % Float.BYTES != 0) {
        return null;
      }
    }
    float[] rows = new float[b.capacity() / Float.BYTES];
    b.duplicate().clear().limit(rows.length * Float.BYTES).slice()
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(rows);
    return rows;
  }

  /**
   * A Flat list is 4 x d bytes per item and mostly comes from memory, so sharing its read
   * matters most: up to 4,096 queries a block, as many as keep the block's query copies (two of
   * each) within 32 MiB. Fashion-MNIST IVF1024,Flat batch search, the four-query kernel, two
   * rounds each: 4,096 against 1,024 gave 57.1k / 57.5k against 47.1k / 52.9k QPS at nprobe 1,
   * 31.4k / 35.0k against 23.4k / 28.3k at nprobe 4, 1.1x at 16, 1.0x at 64 (at nprobe 1 a
   * block of 1,024 probes each of the 1,024 lists about once: nothing to share).
   */
  @Override
  public int maxBlock() {
    return Math.max(64, Math.min(4096, MAX_BLOCK_FLOATS / dim));
  }

  @Override
  public int stateLength() {
    return 0;
  }

  @Override
  public void prepare(float[] query, float[] state) {}

  @Override
  public void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out) {
    float[] block = buffers.block;
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      int n = shard.listSize(list);
      float[] rows = heapRows[si];
      if (rows != null) {
        metric.distances(query, rows, shard.codesOffset(list) / Float.BYTES, n, dim, block);
      } else {
        metric.distances(query, shard.buffer(), shard.codesOffset(list), n, dim, block);
      }
      out.collect(si, shard, list, n, block);
    }
  }

  /**
   * Four queries at a time against each of the list's vectors ({@link
   * MetricStrategy#distances(float[], float[], float[], float[], java.nio.ByteBuffer, int, int,
   * int, float[], float[], float[], float[])}: one read of the list for the four, the distances
   * bit for bit the one-query kernel's); the last one to three queries one at a time.
   */
  @Override
  public void scanShared(BlockSchedule plan, int from, int to, Probe[] probes,
      float[][] queries, float[][] states, ScanBuffers buffers, Candidates[] out) {
    if (to - from < 4) {
      ListScanner.super.scanShared(plan, from, to, probes, queries, states, buffers, out);
      return;
    }
    if (buffers.shared == null) {
      buffers.shared = new float[4][buffers.block.length];
    }
    float[][] d = buffers.shared;
    int list = plan.list(from);
    int i = from;
    for (; i + 4 <= to; i += 4) {
      int q0 = plan.query(i);
      int q1 = plan.query(i + 1);
      int q2 = plan.query(i + 2);
      int q3 = plan.query(i + 3);
      for (int si = 0; si < shards.length; si++) {
        ShardFile shard = shards[si];
        int n = shard.listSize(list);
        float[] rows = heapRows[si];
        if (rows != null && !metric.sharesListReads()) {
          // In the heap, kernels that would make four buffer calls anyway (JDK 20+): four
          // array scans, the list in cache after the first.
          int at = shard.codesOffset(list) / Float.BYTES;
          metric.distances(queries[q0], rows, at, n, dim, d[0]);
          metric.distances(queries[q1], rows, at, n, dim, d[1]);
          metric.distances(queries[q2], rows, at, n, dim, d[2]);
          metric.distances(queries[q3], rows, at, n, dim, d[3]);
        } else {
          metric.distances(queries[q0], queries[q1], queries[q2], queries[q3], shard.buffer(),
              shard.codesOffset(list), n, dim, d[0], d[1], d[2], d[3]);
        }
        out[q0].collect(si, shard, list, n, d[0]);
        out[q1].collect(si, shard, list, n, d[1]);
        out[q2].collect(si, shard, list, n, d[2]);
        out[q3].collect(si, shard, list, n, d[3]);
      }
    }
    ListScanner.super.scanShared(plan, i, to, probes, queries, states, buffers, out);
  }
}
