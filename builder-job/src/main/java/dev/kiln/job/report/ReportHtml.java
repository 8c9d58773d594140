package dev.kiln.job.report;

import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * The report's page as it is written: a string builder that separates markup ({@code raw}) from
 * text, which it escapes, and the few pieces every section uses (an inline PNG, a key-value
 * table, number formats).
 */
final class ReportHtml {
  private final StringBuilder b = new StringBuilder(1 << 16);

  ReportHtml raw(String markup) {
    b.append(markup);
    return this;
  }

  ReportHtml text(String text) {
    b.append(escape(text));
    return this;
  }

  ReportHtml cell(String text) {
    return raw("<td>").text(text).raw("</td>");
  }

  /** A PNG inlined as a {@code data:} URI. */
  void image(String id, byte[] png, int width, int height, String alt) {
    raw("<figure><img id=\"").raw(id).raw("\" width=\"").raw(Integer.toString(width))
        .raw("\" height=\"").raw(Integer.toString(height)).raw("\" alt=\"").text(alt)
        .raw("\" src=\"data:image/png;base64,").raw(Base64.getEncoder().encodeToString(png))
        .raw("\"></figure>\n");
  }

  void keyValueTable(Map<String, String> rows) {
    raw("<table class=\"kv\">\n<tbody>\n");
    for (Map.Entry<String, String> e : rows.entrySet()) {
      raw("<tr><th>").text(e.getKey()).raw("</th>").cell(e.getValue()).raw("</tr>\n");
    }
    raw("</tbody>\n</table>\n");
  }

  @Override
  public String toString() {
    return b.toString();
  }

  /** Adds {@code key} to {@code rows} unless its value is null (absent from the manifest). */
  static void row(Map<String, String> rows, String key, Object v) {
    if (v != null) {
      rows.put(key, value(v));
    }
  }

  static String value(Object v) {
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : fmt("%.4g", d);
    }
    return String.valueOf(v);
  }

  static String fmt(String pattern, double v) {
    return String.format(Locale.ROOT, pattern, v);
  }

  static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** Escapes text for element content and quoted attribute values. */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
