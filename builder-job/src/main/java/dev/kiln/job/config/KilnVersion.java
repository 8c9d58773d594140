package dev.kiln.job.config;

/** Kiln's own version, from the jar manifest when packaged. */
public final class KilnVersion {
  private KilnVersion() {}

  public static String get() {
    String v = KilnVersion.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
