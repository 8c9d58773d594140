package dev.kiln.errors;

/** An index that was built but missed the publish gate ({@code --min-recall}); nothing published. */
public final class QualityGateException extends KilnException {
  private static final long serialVersionUID = 1L;

  public QualityGateException(String message) {
    super(message);
  }

  @Override
  public QualityGateException withMessage(String message) {
    return new QualityGateException(message);
  }
}
