package dev.kiln.job.read;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the read pass saw in one canonical partition, or in several merged: rows, rejects per
 * reason with the first rejected row, and ids on more than one valid row (how many, the rows
 * beyond the first of each, and the smallest such id with its row count and files). Merging is
 * commutative, so the totals do not depend on the order partitions finish in.
 */
record ReadCounts(long rows, Map<String, Long> byReason, RejectedRow firstReject, long dupIds,
    long dupRows, Comparable<?> firstDupId, long firstDupRows, List<String> firstDupFiles)
    implements Serializable {
  /** Files of the first duplicated id kept for its message: one more than it names. */
  static final int MAX_FILES = 4;

  static final ReadCounts EMPTY =
      new ReadCounts(0, new TreeMap<>(), null, 0, 0, null, 0, List.of());

  ReadCounts merge(ReadCounts o) {
    Map<String, Long> m = new TreeMap<>(byReason);
    o.byReason.forEach((r, n) -> m.merge(r, n, Long::sum));
    RejectedRow first = firstReject == null ? o.firstReject
        : o.firstReject == null || firstReject.compareTo(o.firstReject) <= 0 ? firstReject
        : o.firstReject;
    boolean mine = o.firstDupId == null || (firstDupId != null && compareIds(firstDupId, o.firstDupId) <= 0);
    ReadCounts d = mine ? this : o;
    return new ReadCounts(rows + o.rows, m, first, dupIds + o.dupIds, dupRows + o.dupRows,
        d.firstDupId, d.firstDupRows, d.firstDupFiles);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareIds(Comparable a, Comparable b) {
    return a.compareTo(b);
  }

  /** The rejected rows, per reason as messages print them. */
  Rejects rejects(int dim) {
    Map<String, Long> m = new TreeMap<>();
    long total = 0;
    for (Map.Entry<String, Long> e : byReason.entrySet()) {
      m.put(reasonText(e.getKey(), dim), e.getValue());
      total += e.getValue();
    }
    return new Rejects(total, rows, m, firstReject == null ? null : firstReject.example(dim));
  }

  InputReader.Duplicates duplicates() {
    return dupIds == 0 ? InputReader.Duplicates.NONE
        : new InputReader.Duplicates(dupIds, dupRows, String.valueOf(firstDupId), firstDupRows);
  }

  static String reasonText(String reason, int dim) {
    return reason.equals(RejectReasons.WRONG_DIMENSION)
        ? RejectReasons.WRONG_DIMENSION + " (expected " + dim + ")" : reason;
  }

  /** Counts one partition's sorted rows as {@link CanonicalOrder} walks them. */
  static final class Tally {
    private long rows;
    private final Map<String, Long> byReason = new TreeMap<>();
    private RejectedRow firstReject;
    private long dupIds;
    private long dupRows;
    private Comparable<?> firstDupId;
    private long firstDupRows;
    private final TreeSet<String> firstDupFiles = new TreeSet<>();

    void rejected(RejectedRow r) {
      rows++;
      byReason.merge(r.reason(), 1L, Long::sum);
      if (firstReject == null) {
        firstReject = r; // the partition's rows come sorted: its first is its smallest
      }
    }

    void valid() {
      rows++;
    }

    /**
     * One id's run of {@code n > 1} valid rows, from {@code files}. Runs come in id order, so the
     * first is the partition's smallest duplicated id.
     */
    void duplicated(Comparable<?> id, long n, List<String> files) {
      dupIds++;
      dupRows += n - 1;
      if (firstDupId == null) {
        firstDupId = id;
        firstDupRows = n;
        for (String f : files) {
          if (f != null) {
            firstDupFiles.add(f);
          }
        }
      }
    }

    ReadCounts counts() {
      List<String> files = new ArrayList<>(firstDupFiles);
      return new ReadCounts(rows, byReason, firstReject, dupIds, dupRows, firstDupId,
          firstDupRows, List.copyOf(files.subList(0, Math.min(MAX_FILES, files.size()))));
    }
  }
}
