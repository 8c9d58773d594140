package dev.kiln.serve;

import dev.kiln.search.KilnIndex;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One opened version and how many users it has: the handle holds one reference while the version
 * serves, each query one while it runs. Retiring drops the handle's; the index is closed when the
 * last query on it releases, never under a running query.
 */
final class LoadedVersion {
  private final KilnIndex index;
  private final Instant inputCutoff;
  private final AtomicInteger refs = new AtomicInteger(1);
  private final AtomicBoolean retired = new AtomicBoolean();
  private final Consumer<LoadedVersion> onClose;

  LoadedVersion(KilnIndex index, Instant inputCutoff, Consumer<LoadedVersion> onClose) {
    this.index = index;
    this.inputCutoff = inputCutoff;
    this.onClose = onClose;
  }

  KilnIndex index() {
    return index;
  }

  String id() {
    return index.version();
  }

  /** When this version's input was taken, or null when unknown. */
  Instant inputCutoff() {
    return inputCutoff;
  }

  /** Takes a reference unless the version has already closed (then the caller looks again). */
  boolean tryAcquire() {
    while (true) {
      int r = refs.get();
      if (r == 0) {
        return false;
      }
      if (refs.compareAndSet(r, r + 1)) {
        return true;
      }
    }
  }

  void release() {
    int r = refs.decrementAndGet();
    if (r == 0) {
      index.close();
      onClose.accept(this);
    } else if (r < 0) {
      throw new IllegalStateException("version " + id() + " released more often than acquired");
    }
  }

  /** Drops the handle's reference, once. */
  void retire() {
    if (retired.compareAndSet(false, true)) {
      release();
    }
  }
}
