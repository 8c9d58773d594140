package dev.kiln.job.read;

import dev.kiln.format.Metric;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Turns Spark's internal rows {@code (id, embedding as array<float>, file)} into what the
 * canonical shuffle carries: an {@link InputRow} for a valid row, a {@link RejectedRow} for an
 * invalid one. It reads the internal rows directly: a {@code Row} would box every float
 * ({@code getList}), and the checks run here in one loop ({@link RejectReasons#of}) instead of
 * as SQL expressions; together those were most of a 1M-row build's reading.
 */
final class RowDecoder implements Iterator<Object> {
  private final Iterator<InternalRow> in;
  private final boolean longIds;
  private final int dim;
  private final Metric metric;
  // One String per file, shared by its rows: Java serialization then writes it once per batch
  // of records, not once per row.
  private UTF8String lastFile;
  private String lastFileText;

  RowDecoder(Iterator<InternalRow> in, boolean longIds, int dim, Metric metric) {
    this.in = in;
    this.longIds = longIds;
    this.dim = dim;
    this.metric = metric;
  }

  @Override
  public boolean hasNext() {
    return in.hasNext();
  }

  @Override
  public Object next() {
    InternalRow row = in.next();
    boolean idNull = row.isNullAt(0);
    ArrayData v = row.isNullAt(1) ? null : row.getArray(1);
    String file = file(row.isNullAt(2) ? null : row.getUTF8String(2));
    String reason = RejectReasons.of(idNull, v, dim, metric);
    if (reason != null) {
      String id = idNull ? null : longIds ? Long.toString(row.getLong(0))
          : row.getUTF8String(0).toString();
      return new RejectedRow(reason, id, file);
    }
    float[] x = v.toFloatArray();
    Item item = longIds ? new Item(row.getLong(0), null, x)
        : new Item(0, row.getUTF8String(0).toString(), x);
    return new InputRow(item, file);
  }

  private String file(UTF8String f) {
    if (f == null) {
      return null;
    }
    if (!f.equals(lastFile)) {
      lastFile = f.clone();
      lastFileText = f.toString();
    }
    return lastFileText;
  }
}
