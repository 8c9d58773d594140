package dev.kiln.serve;

/**
 * Told about every swap and every refused version, on the thread that attempted it (the poller,
 * or the caller of refresh/swapTo). Keep it short: swaps wait for it. What it throws is logged
 * and otherwise ignored: it never fails a swap or stops the poller.
 */
public interface SwapListener {
  /** Ignores everything: the default options' listener. */
  SwapListener NONE = new SwapListener() {};

  /**
   * {@code to} now serves; {@code from} is retired and closes once its queries drain.
   *
   * @param from the id of the version retired
   * @param to the id of the version now serving
   */
  default void swapped(String from, String to) {}

  /**
   * A version was refused; the previous one still serves.
   *
   * @param failure which version ("LATEST" when it could not be read or the poll failed), why,
   *     and when
   */
  default void refused(SwapFailure failure) {}
}
