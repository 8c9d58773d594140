package dev.kiln.search;

import dev.kiln.format.ShardFile;
import dev.kiln.quantize.MetricStrategy;

/** Lists of float32 vectors ({@code IVF{n},Flat}): exact distances, the metric's kernel. */
final class FlatScanner implements ListScanner {
  private final ShardFile[] shards;
  private final int dim;
  private final MetricStrategy metric;

  FlatScanner(ShardFile[] shards, int dim, MetricStrategy metric) {
    this.shards = shards;
    this.dim = dim;
    this.metric = metric;
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
      metric.distances(query, shard.buffer(), shard.codesOffset(list), n, dim, block);
      out.collect(si, shard, list, n, block);
    }
  }
}
