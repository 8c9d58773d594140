package dev.kiln.search;

import dev.kiln.quantize.IndexModel;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * Under L2, PQ codes of residuals are scored against a table per probed list: the model's
 * precomputed row minus twice the query's {@code <q_j, pq[j][c]>} table (Faiss's precomputed
 * table), or, for a model without that table, the squared distances of the list's residual
 * {@code q - c_l} to the codewords. Shared by the 8-bit and the fast-scan scanners.
 */
final class L2ListTables {
  private static final VectorKernels K = VectorizationProvider.kernels();

  private final IndexModel model;
  /** The model's precomputed L2 table, mapped (null when the model has none). */
  private final ByteBuffer l2Table;
  /** Entries of one list's table: M x ksub. */
  private final int entries;

  L2ListTables(IndexModel model, ByteBuffer l2Table) {
    this.model = model;
    this.l2Table = l2Table;
    this.entries = model.pq().m() * model.pq().ksub();
  }

  /** Whether the tables come from the model's precomputed one (the base is then ||q - c||^2). */
  boolean precomputed() {
    return l2Table != null;
  }

  /** The table of {@code list} for the query and its {@code queryTable}, in buffers.listTable. */
  float[] of(float[] query, float[] queryTable, int list, ScanBuffers buffers) {
    float[] listTable = buffers.listTable;
    if (l2Table != null) {
      K.addScaled(l2Table, 4 * list * entries, -2f, queryTable, listTable, entries);
    } else {
      int dim = model.dim();
      float[] centroids = model.coarse().centroids();
      float[] r = buffers.residual;
      for (int i = 0; i < dim; i++) {
        r[i] = query[i] - centroids[list * dim + i];
      }
      model.pq().l2Table(r, listTable);
    }
    return listTable;
  }
}
