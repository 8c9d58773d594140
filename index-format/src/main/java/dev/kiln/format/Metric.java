package dev.kiln.format;

import java.util.Locale;

/**
 * How two vectors are compared. Scores follow Faiss: {@link #L2} reports squared euclidean
 * distance (smaller is nearer); {@link #IP} and {@link #COSINE} report inner product (larger is
 * nearer). Cosine is inner product over vectors normalized once at build time and per query.
 */
public enum Metric {
  L2(0),
  IP(1),
  COSINE(2);

  /** The value stored in the model file header. */
  public final int code;

  Metric(int code) {
    this.code = code;
  }

  /** True when larger scores are nearer. */
  public boolean higherIsBetter() {
    return this != L2;
  }

  /** The name users type: {@code l2}, {@code ip} or {@code cosine}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Metric parse(String name) {
    if (name != null) {
      for (Metric m : values()) {
        if (m.cliName().equalsIgnoreCase(name.trim())) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown metric '" + name + "': expected one of l2, ip, cosine");
  }

  static Metric fromCode(int code, String file) throws CorruptIndexException {
    for (Metric m : values()) {
      if (m.code == code) {
        return m;
      }
    }
    throw new CorruptIndexException(file, "unknown metric code " + code);
  }
}
