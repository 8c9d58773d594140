package dev.kiln.errors;

/**
 * A failure the user can act on and a retry cannot fix: a bad option, bad input data, a conflict
 * with what is already published, or a failed publish gate. Each kind is its own class; what the
 * process exits with is decided in {@code dev.kiln.cli.ExitCodes} alone. Messages are one line
 * naming the file, column, row or option, and nothing is published when one is thrown.
 */
public abstract sealed class KilnException extends RuntimeException
    permits InvalidOptionException, InvalidInputException, VersionConflictException,
        QualityGateException {
  private static final long serialVersionUID = 1L;

  KilnException(String message) {
    super(message);
  }

  /** The same kind of failure with another message (to add what was undone, for example). */
  public abstract KilnException withMessage(String message);
}
