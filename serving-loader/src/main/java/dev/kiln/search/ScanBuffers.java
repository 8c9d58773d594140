package dev.kiln.search;

import dev.kiln.format.FastScanLayout;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.vector.VectorKernels;

/**
 * One thread's working arrays for the list scanners and re-rankers, sized once per index:
 * buffers only; what a stage computes it returns or passes on.
 */
final class ScanBuffers {
  /** One list's distances, as many as the largest list holds (rounded up to whole blocks of 32). */
  final float[] block;
  /** PQ: the query's table {@code <q_j, pq[j][c]>}, signed by the metric. */
  final float[] queryTable;
  /** PQ with L2: the table of the list being scanned. */
  final float[] listTable;
  /** Fast-scan: the list's table quantized to bytes (M x 16, and 16 bytes of padding). */
  final byte[] lut;
  /** Fast-scan: the sum of the sub-spaces' minimums, each one, and 16 floats of scratch. */
  final float[] range;
  /** d floats: a residual, or a query shifted for SQ8. */
  final float[] residual;
  /** Four distances of a four-row kernel. */
  final float[] four = new float[4];
  /** Four rows of a panel kernel's output. */
  final float[] tile = new float[4 * VectorKernels.PANEL];
  /** Four lists' worth of distances for {@link FlatScanner}'s shared scans, made on first use. */
  float[][] shared;
  /** Distances of a run of items {@link FlatScanner} scores in full, made on first use. */
  private float[] run;
  /** A one-query scan's state when the query table is too short for it, made on first use. */
  private float[] state;
  /** {@link GraphScanner}'s walker (HNSW{M}), made on first use. */
  GraphScanner.Walker walker;

  ScanBuffers(IndexModel model, int maxListSize) {
    ProductQuantizer pq = model.pq();
    int tableSize = pq == null ? 0 : pq.tableLength();
    int blocks = (int) FastScanLayout.blocks(Math.max(1, maxListSize));
    block = new float[blocks * FastScanLayout.BLOCK];
    queryTable = new float[tableSize];
    listTable = new float[tableSize];
    boolean fastScan = model.spec().isFastScan();
    lut = new byte[fastScan ? 16 * pq.m() + 16 : 0];
    range = new float[fastScan ? 1 + pq.m() + 16 : 0];
    residual = new float[model.dim()];
  }

  /** Room for one list's distances, apart from {@link #block}. */
  float[] run() {
    if (run == null) {
      run = new float[block.length];
    }
    return run;
  }

  /** Room for a one-query scan's state of n floats: the query table when it is long enough. */
  float[] state(int n) {
    if (queryTable.length >= n) {
      return queryTable;
    }
    if (state == null || state.length < n) {
      state = new float[n];
    }
    return state;
  }
}
