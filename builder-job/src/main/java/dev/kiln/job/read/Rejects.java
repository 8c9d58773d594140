package dev.kiln.job.read;

import java.util.Map;
import java.util.TreeMap;

/** Invalid input rows, counted per reason; the rows themselves go to {@code _rejects/}. */
public record Rejects(long total, long rows, Map<String, Long> byReason, String firstExample) {

  public static Rejects none(long rows) {
    return new Rejects(0, rows, new TreeMap<>(), null);
  }

  /** These and {@code n} more rows set aside for {@code reason}. */
  public Rejects plus(String reason, long n) {
    Map<String, Long> m = new TreeMap<>(byReason);
    m.merge(reason, n, Long::sum);
    return new Rejects(total + n, rows, m, firstExample);
  }

  public double fraction() {
    return rows == 0 ? 0 : (double) total / rows;
  }

  /** "2 wrong dimension, 1 null id" */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    byReason.forEach((r, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(n).append(' ').append(r));
    return sb.toString();
  }
}
