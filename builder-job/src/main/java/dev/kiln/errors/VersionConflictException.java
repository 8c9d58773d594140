package dev.kiln.errors;

/** A version id that is already published (or half-present) with other contents. */
public final class VersionConflictException extends KilnException {
  private static final long serialVersionUID = 1L;

  public VersionConflictException(String message) {
    super(message);
  }

  @Override
  public VersionConflictException withMessage(String message) {
    return new VersionConflictException(message);
  }
}
