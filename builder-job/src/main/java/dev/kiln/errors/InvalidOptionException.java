package dev.kiln.errors;

/** An option, index description or argument that cannot be used, whatever the data. */
public final class InvalidOptionException extends KilnException {
  private static final long serialVersionUID = 1L;

  public InvalidOptionException(String message) {
    super(message);
  }

  @Override
  public InvalidOptionException withMessage(String message) {
    return new InvalidOptionException(message);
  }
}
