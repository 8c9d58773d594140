package dev.kiln.job.read;

import java.io.Serializable;
import java.util.Comparator;

/**
 * An input row set aside, on its way through the canonical shuffle so that it is counted in the
 * same pass as the valid rows: its reason, its id as text (null when the id is null) and its file.
 * No vector: the {@code _rejects/} output reads those from the input again. Ordered by reason, id
 * (null first) and file, so the example a message names is the same however the input is split.
 */
record RejectedRow(String reason, String id, String file)
    implements Comparable<RejectedRow>, Serializable {

  private static final Comparator<RejectedRow> ORDER = Comparator
      .comparing(RejectedRow::reason)
      .thenComparing(RejectedRow::id, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(RejectedRow::file, Comparator.nullsFirst(Comparator.naturalOrder()));

  @Override
  public int compareTo(RejectedRow o) {
    return ORDER.compare(this, o);
  }

  /** "id 7 in FILE: wrong dimension (expected 3)", for messages. */
  String example(int dim) {
    return "id " + id + " in " + file + ": " + ReadCounts.reasonText(reason, dim);
  }
}
