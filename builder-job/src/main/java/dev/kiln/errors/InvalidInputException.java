package dev.kiln.errors;

/** Input that cannot be built from or served: a Parquet file, a row, a query or index file. */
public final class InvalidInputException extends KilnException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  @Override
  public InvalidInputException withMessage(String message) {
    return new InvalidInputException(message);
  }
}
