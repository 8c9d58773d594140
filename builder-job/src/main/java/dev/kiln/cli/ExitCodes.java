package dev.kiln.cli;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.errors.QualityGateException;
import dev.kiln.errors.VersionConflictException;

/**
 * The process exit codes (README, "Exit codes"), and the one place a failure's kind becomes
 * one. 1 is left to unexpected failures, which a retry may fix; these four it cannot.
 */
public final class ExitCodes {
  /** A bad option or index description. */
  public static final int USAGE = 2;
  /** Input data (or an index file) that cannot be built from or served. */
  public static final int BAD_INPUT = 3;
  /** A conflict with what is already published. */
  public static final int CONFLICT = 4;
  /** Built, but the publish gate ({@code --min-recall}) was not met. */
  public static final int QUALITY = 5;

  private ExitCodes() {}

  static int of(KilnException e) {
    if (e instanceof InvalidOptionException) {
      return USAGE;
    } else if (e instanceof InvalidInputException) {
      return BAD_INPUT;
    } else if (e instanceof VersionConflictException) {
      return CONFLICT;
    } else if (e instanceof QualityGateException) {
      return QUALITY;
    }
    throw new IllegalStateException("no exit code for " + e.getClass().getName());
  }
}
