package dev.kiln.search;

import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.SubspaceProber;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Lists of float32 vectors ({@code IVF{n},Flat}): exact distances, the metric's kernel. A shard
 * read into the heap ({@link OpenOptions#inHeap()}) is also copied into a {@code float[]} at
 * open, which one-query scans read: JDK 17 loads SIMD lanes from an array with fewer
 * instructions than from a buffer (dev.kiln.vector.PanamaArrayRows has the figures). Batch
 * scans keep the buffer, whose cost four queries share.
 *
 * <p>Under L2, one-query scans skip the items that cannot enter the top k ({@link FlatBounds}):
 * a list whose centroid is farther than the k-th best distance so far, in full and lifted, is
 * first bounded, then scored in full if more than {@link #DENSE_SHARE} of it survives, else
 * survivor by survivor. Fashion-MNIST IVF1024,Flat one query a call, mapped (QPS, on against
 * off, two rounds, session 38, bounds of rank 64): nprobe 64 2,414 / 2,174 against 1,323 /
 * 1,186; nprobe 16 4,776 / 5,249 against 4,896 / 4,228. Batch scans
 * score every item: the four-query kernel shares each read among queries whose top k differ.
 */
final class FlatScanner implements ListScanner {
  /** Floats of one copy of a block's queries at most: 16 MiB (the block holds two copies). */
  private static final int MAX_BLOCK_FLOATS = 4 << 20;
  private final ShardFile[] shards;
  private final int dim;
  private final MetricStrategy metric;
  /** Per shard, its file as floats when it was read into the heap; null entries otherwise. */
  private final float[][] heapRows;
  /** Lower bounds that rule items out of one-query scans, or null (score every item). */
  private final FlatBounds bounds;

  /**
   * @param prober the coarse step's prober, whose subspace and lifted centroids bound L2
   *     distances ({@link FlatBounds}), or null to score every item
   */
  FlatScanner(ShardFile[] shards, int dim, MetricStrategy metric, SubspaceProber prober) {
    this.shards = shards;
    this.dim = dim;
    this.metric = metric;
    this.heapRows = new float[shards.length][];
    for (int si = 0; si < shards.length; si++) {
      heapRows[si] = asFloats(shards[si]);
    }
    this.bounds = prober != null && metric.metric() == Metric.L2
        ? FlatBounds.of(shards, heapRows, dim, prober) : null;
  }

  /**
   * A list of which more than this share survives its bounds is scored in one pass: each run
   * of survivors restarts the hardware prefetcher, so scattered survivors cost more than the
   * items skipped save (Fashion-MNIST nprobe 64: 2.3k QPS at 0.25, 2.0k at 0.5, 1.7k scoring
   * runs whatever their share).
   */
  static final float DENSE_SHARE = 0.25f;

  /** Whether one-query scans rule items out by a lower bound, for tests. */
  boolean prunes() {
    return bounds != null;
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
   * The distances of the list's items {@code from .. from + n - 1} of a shard into {@code out}
   * from index 0: from the array when the shard has one.
   */
  private void score(float[] query, float[] rows, ShardFile shard, int list, int from, int n,
      float[] out) {
    int at = shard.codesOffset(list) + from * Float.BYTES * dim;
    if (rows != null) {
      metric.distances(query, rows, at / Float.BYTES, n, dim, out);
    } else {
      metric.distances(query, shard.buffer(), at, n, dim, out);
    }
  }

  /**
   * Scores in full the items whose lifted distance in {@code block} is at most {@code cut},
   * a run of them a kernel call, and sets the others to +Inf, which no top k takes; the whole
   * list when more than {@link #DENSE_SHARE} of it survives.
   */
  private void scoreSurvivors(float[] query, float[] rows, ShardFile shard, int list, int n,
      float cut, float[] block, float[] run) {
    int keep = 0;
    for (int j = 0; j < n; j++) {
      keep += block[j] <= cut ? 1 : 0;
    }
    if (keep > n * DENSE_SHARE) {
      score(query, rows, shard, list, 0, n, block);
      return;
    }
    int i = 0;
    while (i < n) {
      if (!(block[i] <= cut)) {
        block[i++] = Float.POSITIVE_INFINITY;
        continue;
      }
      int end = i + 1;
      while (end < n && block[end] <= cut) {
        end++;
      }
      score(query, rows, shard, list, i, end - i, run);
      System.arraycopy(run, 0, block, i, end - i);
      i = end;
    }
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
    return bounds == null ? 0 : bounds.stateLength();
  }

  @Override
  public void prepare(float[] query, float[] state) {
    if (bounds != null) {
      bounds.prepare(state);
    }
  }

  @Override
  public void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out) {
    float[] block = buffers.block;
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      int n = shard.listSize(list);
      float[] rows = heapRows[si];
      float kth = out.top().threshold();
      // A centroid nearer than the k-th distance is nearer lifted too: no bound pays there.
      float cut = bounds == null || coarseDistance <= kth ? Float.POSITIVE_INFINITY
          : bounds.cut(query, state, kth);
      if (cut < Float.POSITIVE_INFINITY && bounds.paysToBound(state, list, kth)) {
        bounds.lower(state, si, shard, list, n, block);
        scoreSurvivors(query, rows, shard, list, n, cut, block, buffers.run());
      } else {
        score(query, rows, shard, list, 0, n, block);
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
