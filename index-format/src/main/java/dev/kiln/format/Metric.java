package dev.kiln.format;

import java.util.Locale;

/**
 * How two vectors are compared. Scores follow Faiss: {@link #L2} reports squared euclidean
 * distance (smaller is nearer); {@link #IP} and {@link #COSINE} report inner product (larger is
 * nearer). Cosine is inner product over vectors normalized once at build time and per query.
 */
public enum Metric {
  /** Squared euclidean distance (no square root): smaller is nearer. */
  L2(0),
  /** Inner product: larger is nearer. */
  IP(1),
  /** Inner product of vectors normalized to unit length: larger is nearer. */
  COSINE(2);

  /** The value stored in the model file header. */
  public final int code;

  Metric(int code) {
    this.code = code;
  }

  /**
   * True when larger scores are nearer.
   *
   * @return true for {@link #IP} and {@link #COSINE}
   */
  public boolean higherIsBetter() {
    return this != L2;
  }

  /**
   * The name users type: {@code l2}, {@code ip} or {@code cosine}.
   *
   * @return the lower-case name, as manifests record it
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The metric of a name, ignoring case and surrounding whitespace.
   *
   * @param name {@code l2}, {@code ip} or {@code cosine}
   * @return the metric
   * @throws IllegalArgumentException when {@code name} is null or names no metric
   */
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
