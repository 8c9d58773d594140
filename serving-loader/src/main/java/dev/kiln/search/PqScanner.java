package dev.kiln.search;

import dev.kiln.format.ShardFile;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * Lists of 8-bit PQ codes of residuals ({@code IVF{n},PQ{m}}): asymmetric distances from one
 * query table {@code <q_j, pq[j][c]>}, signed by the metric. Inner product uses it as is (the
 * list's coarse distance is the base). L2 adds each item's stored term ({@code ||r||^2 + 2 <c_l,
 * r>}, shard format version 2) to {@code -2 <q_j, pq[j][c]>}: one table per query, read from L1
 * for every list. Version-1 shards have no terms: their lists combine the table with the model's
 * precomputed one (Faiss's), 16 KiB read per probed list at PQ16, or without one build the list's
 * residual table.
 */
final class PqScanner implements ListScanner {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final ShardFile[] shards;
  private final ProductQuantizer pq;
  private final int m;
  private final int tableSize;
  private final MetricStrategy metric;
  /** L2: each probed list's table. */
  private final L2ListTables tables;
  private final boolean perList;
  /** L2 over shards that store each item's term: no per-list table. */
  private final boolean withTerms;

  PqScanner(ShardFile[] shards, IndexModel model, ByteBuffer l2Table, MetricStrategy metric) {
    this.shards = shards;
    this.pq = model.pq();
    this.m = pq.m();
    this.tableSize = m * ProductQuantizer.KSUB;
    this.metric = metric;
    this.tables = new L2ListTables(model, l2Table);
    boolean terms = metric.tablesPerList();
    for (ShardFile shard : shards) {
      terms &= shard.hasTerms();
    }
    this.withTerms = terms;
    this.perList = metric.tablesPerList() && !terms;
  }

  @Override
  public int stateLength() {
    return tableSize;
  }

  /**
   * The query-only part of every list's table: {@code <q_j, pq[j][c]>}, signed by the metric;
   * with terms, {@code -2 <q_j, pq[j][c]>}, the whole table.
   */
  @Override
  public void prepare(float[] query, float[] state) {
    pq.innerProductTable(query, state);
    sign(state);
  }

  private void sign(float[] table) {
    metric.signQueryTable(table, tableSize);
    if (withTerms) {
      for (int i = 0; i < tableSize; i++) {
        table[i] *= -2f;
      }
    }
  }

  @Override
  public void prepareBlock(float[][] queries, float[] packed, int n, float[][] states,
      ScanBuffers buffers) {
    pq.innerProductTables(packed, n, states, buffers.tile);
    for (int i = 0; i < n; i++) {
      sign(states[i]);
    }
  }

  @Override
  public void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out) {
    float[] block = buffers.block;
    float[] table = perList ? tables.of(query, state, list, buffers) : state;
    // With the precomputed table the base is ||q - c||^2; without it the table holds it all.
    float base = perList && !tables.precomputed() ? 0 : coarseDistance;
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      int n = shard.listSize(list);
      if (n > 0) {
        K.pqDistances(shard.buffer(), shard.codesOffset(list), n, m, table, base, block);
        if (withTerms) {
          // block[i] = term[i] + 1 x block[i], exactly term + block.
          K.addScaled(shard.buffer(), shard.termsOffset(list), 1f, block, block, n);
        }
        out.collect(si, shard, list, n, block);
      }
    }
  }
}
