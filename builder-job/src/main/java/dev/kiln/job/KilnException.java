package dev.kiln.job;

/**
 * A failure the user can act on (bad input, bad configuration, a version that already exists).
 * The CLI prints its message as one line and exits with {@link #exitCode()}; nothing is published.
 */
public class KilnException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit code for a bad option or index description. */
  public static final int USAGE = 2;
  /** Exit code for input data that cannot be built from. */
  public static final int BAD_INPUT = 3;
  /** Exit code for a conflict with what is already published. */
  public static final int CONFLICT = 4;
  /** Exit code for an index that was built but failed the publish gate ({@code --min-recall}). */
  public static final int QUALITY = 5;

  private final int exitCode;

  public KilnException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public static KilnException badInput(String message) {
    return new KilnException(BAD_INPUT, message);
  }

  public static KilnException usage(String message) {
    return new KilnException(USAGE, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
