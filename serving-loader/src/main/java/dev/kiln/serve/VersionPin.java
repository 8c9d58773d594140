package dev.kiln.serve;

import dev.kiln.search.KilnIndex;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A version held open ({@link ServingIndex#pin()}), whatever swaps happen meanwhile; close it to
 * let a retired version drain. Closing again does nothing.
 */
public final class VersionPin implements AutoCloseable {
  private final LoadedVersion version;
  private final AtomicBoolean released = new AtomicBoolean();

  VersionPin(LoadedVersion version) {
    this.version = version;
  }

  /**
   * The pinned version, which stays open at least until this pin is closed.
   *
   * @return the pinned version's index
   */
  public KilnIndex index() {
    return version.index();
  }

  /**
   * The pinned version's id.
   *
   * @return the version id
   */
  public String version() {
    return version.id();
  }

  @Override
  public void close() {
    if (released.compareAndSet(false, true)) {
      version.release();
    }
  }
}
