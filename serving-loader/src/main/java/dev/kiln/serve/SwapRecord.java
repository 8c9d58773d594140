package dev.kiln.serve;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What a {@link ServingIndex} tells about its swaps: the refused ones are counted, kept as the
 * last failure, logged and passed to the {@link SwapListener}; completed ones go to the listener.
 * Nothing here throws: a listener that fails is logged, so it can neither fail a swap nor stop
 * the poller.
 */
final class SwapRecord {
  private static final System.Logger LOG = System.getLogger(ServingIndex.class.getName());

  private final Path root;
  private final SwapListener listener;
  private final InstantSource clock;
  private final AtomicLong failed = new AtomicLong();
  private volatile SwapFailure last;

  SwapRecord(Path root, SwapListener listener, InstantSource clock) {
    this.root = root;
    this.listener = listener;
    this.clock = clock;
  }

  /** Records that {@code version} ("LATEST" when it could not be read) was refused for {@code e}. */
  void refused(String version, Throwable e) {
    // Exceptions carry a one-line message naming the file; an Error is named by its class.
    String message = e instanceof Exception && e.getMessage() != null ? e.getMessage()
        : e.toString();
    SwapFailure failure = new SwapFailure(version, message.replace('\n', ' '), clock.instant());
    last = failure;
    failed.incrementAndGet();
    try {
      LOG.log(System.Logger.Level.WARNING, "serving index " + root + ": " + failure);
    } catch (RuntimeException ignored) {
      // A broken logging configuration must not turn a refusal into a dead poller.
    }
    tell(l -> l.refused(failure));
  }

  void swapped(String from, String to) {
    tell(l -> l.swapped(from, to));
  }

  long failedSwaps() {
    return failed.get();
  }

  SwapFailure lastFailure() {
    return last;
  }

  private void tell(Consumer<SwapListener> call) {
    try {
      call.accept(listener);
    } catch (Throwable e) {
      try {
        LOG.log(System.Logger.Level.WARNING, "serving index " + root + ": SwapListener threw", e);
      } catch (RuntimeException ignored) {
        // as above
      }
    }
  }
}
