package dev.kiln.search;

import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.vector.VectorKernels;

/**
 * One thread's working arrays for the list scanners and re-rankers, sized once per index:
 * buffers only; what a stage computes it returns or passes on.
 */
final class ScanBuffers {
  /** One list's distances, as many as the largest list holds. */
  final float[] block;
  /** PQ: the query's table {@code <q_j, pq[j][c]>}, signed by the metric. */
  final float[] queryTable;
  /** PQ with L2: the table of the list being scanned. */
  final float[] listTable;
  /** d floats: a residual, or a query shifted for SQ8. */
  final float[] residual;
  /** Four rows of a panel kernel's output. */
  final float[] tile = new float[4 * VectorKernels.PANEL];

  ScanBuffers(IndexModel model, int maxListSize) {
    int tableSize = model.spec().pqM() * ProductQuantizer.KSUB;
    block = new float[Math.max(1, maxListSize)];
    queryTable = new float[tableSize];
    listTable = new float[tableSize];
    residual = new float[model.dim()];
  }
}
