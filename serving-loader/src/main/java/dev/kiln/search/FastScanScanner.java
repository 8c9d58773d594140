package dev.kiln.search;

import dev.kiln.format.FastScanLayout;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * Lists of 4-bit PQ codes in fast-scan blocks ({@code IVF{n},PQ{m}x4fs}, {@link FastScanLayout}).
 * Per probed list, the float table of the list (M x 16: {@code <q_j, pq[j][c]>} signed by the
 * metric; under L2 the model's precomputed row minus twice that) is quantized to unsigned bytes,
 * one scale for the list and each sub-space's minimum folded into a bias (as Faiss quantizes its
 * fast-scan tables); then {@link VectorKernels#fastScan} sums the codes' bytes 32 items at a time
 * in registers and skips every block with nothing below the heap's current threshold. A
 * distance is {@code base + bias + scale x sum}: the table's value up to the byte rounding (at
 * most M/2 steps of the scale), which a refine stage then replaces with the exact one.
 */
final class FastScanScanner implements ListScanner {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final ShardFile[] shards;
  private final ProductQuantizer pq;
  private final int m;
  private final int entries;
  private final MetricStrategy metric;
  /** L2: each probed list's table. */
  private final L2ListTables tables;
  private final boolean perList;

  FastScanScanner(ShardFile[] shards, IndexModel model, ByteBuffer l2Table,
      MetricStrategy metric) {
    this.shards = shards;
    this.pq = model.pq();
    this.m = pq.m();
    this.entries = m * pq.ksub();
    this.metric = metric;
    this.tables = new L2ListTables(model, l2Table);
    this.perList = metric.tablesPerList();
  }

  /**
   * 256 queries a block: a query's state is its M x 16 table (3.5 KiB at M = 56), so a large
   * block costs little and lets the coarse step reuse each panel of centroids for more queries.
   */
  @Override
  public int maxBlock() {
    return 256;
  }

  /**
   * A list's codes are 16 x M bytes per 32 items, read again cheaply; what costs is the heap of
   * the refine shortlist, which list-by-list order (far lists as often first as near ones) fed
   * about twice the insertions: synth-1m IVF1024,PQ32x4fs,RFlat, refine factor 8, nprobe 4, the
   * heap was 42% of a batch search.
   */
  @Override
  public boolean scansInProbeOrder() {
    return true;
  }

  @Override
  public int stateLength() {
    return pq.tableLength();
  }

  /** {@code <q_j, pq[j][c]>}, signed by the metric. */
  @Override
  public void prepare(float[] query, float[] state) {
    pq.innerProductTable(query, state);
    metric.signQueryTable(state, entries);
  }

  @Override
  public void prepareBlock(float[][] queries, float[] packed, int n, float[][] states,
      ScanBuffers buffers) {
    pq.innerProductTables(packed, n, states, buffers.tile);
    for (int i = 0; i < n; i++) {
      metric.signQueryTable(states[i], entries);
    }
  }

  @Override
  public void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out) {
    float[] table = perList ? tables.of(query, state, list, buffers) : state;
    // With the precomputed table the base is ||q - c||^2; without it the table holds it all.
    float base = perList && !tables.precomputed() ? 0 : coarseDistance;
    byte[] lut = buffers.lut;
    float scale = K.quantizeTables(table, m, lut, buffers.range);
    float bias = base + buffers.range[0];
    float[] block = buffers.block;
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      int n = shard.listSize(list);
      if (n > 0) {
        float threshold = out.top().threshold();
        // Sums above this cannot reach the heap: (threshold - bias) / scale, rounded up.
        double room = Math.ceil((threshold - (double) bias) / scale);
        int limit = room >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) Math.max(-1, room);
        K.fastScan(shard.buffer(), shard.codesOffset(list), (int) FastScanLayout.blocks(n),
            m / 2, lut, limit, bias, scale, block);
        out.collect(si, shard, list, n, block);
      }
    }
  }
}
