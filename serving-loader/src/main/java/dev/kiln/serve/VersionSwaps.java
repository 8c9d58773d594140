package dev.kiln.serve;

import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Metric;
import dev.kiln.search.KilnIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The swap bookkeeping of a {@link ServingIndex}: which version {@code LATEST} names, opening and
 * checking a version off the query path, the order of racing swaps (tickets), the version last
 * refused, and the record of swaps and failures. Installing a version in the handle's state is
 * {@link PublishedState}'s ({@link Installer}).
 */
final class VersionSwaps {
  /** Installs a version under the handle's writer lock. */
  interface Installer {
    /**
     * Serves {@code next} (version {@code id}) unless it already serves or a swap with a later
     * {@code ticket} installed its version meanwhile (then closes it and returns null).
     *
     * @return the version it replaced, still to be retired
     */
    LoadedVersion install(LoadedVersion next, String id, long ticket);
  }

  private final Path root;
  private final ServingOptions options;
  private final int dim;
  private final Metric metric;
  private final IdType idType;
  private final Supplier<String> serving;
  private final Installer installer;
  private final Consumer<LoadedVersion> onClose;
  private final AtomicBoolean closed;
  private final SwapRecord record;
  /** Numbers swap attempts in the order they start: a later request wins (see swap). */
  private final AtomicLong swapTickets = new AtomicLong();
  private final AtomicLong swaps = new AtomicLong();
  private ScheduledExecutorService poller;
  /** The version LATEST named when it was last refused: not retried until LATEST moves. */
  private volatile String refusedLatest;

  VersionSwaps(Path root, ServingOptions options, KilnIndex first, Supplier<String> serving,
      Installer installer, Consumer<LoadedVersion> onClose, AtomicBoolean closed) {
    this.root = root;
    this.options = options;
    this.dim = first.dim();
    this.metric = first.metric();
    this.idType = first.idType();
    this.serving = serving;
    this.installer = installer;
    this.onClose = onClose;
    this.closed = closed;
    this.record = new SwapRecord(root, options.listener(), options.clock());
  }

  SwapRecord record() {
    return record;
  }

  /** Starts the daemon thread that polls LATEST every pollInterval (none when it is zero). */
  synchronized void startPolling() {
    long every = options.pollInterval().toMillis();
    if (every > 0 && poller == null) {
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-serving-poll " + root);
        t.setDaemon(true);
        return t;
      });
      poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** Stops polling (a poll under way is interrupted). */
  synchronized void stopPolling() {
    if (poller != null) {
      poller.shutdownNow();
      poller = null;
    }
  }

  long swapCount() {
    return swaps.get();
  }

  /** See {@link ServingIndex#refresh()}. */
  boolean refresh() {
    ensureOpen();
    String id;
    try {
      id = KilnIndex.resolveVersion(root).getFileName().toString();
    } catch (Throwable e) { // an Error too: the poller calls this and must live on
      refuse("LATEST", e);
      return false;
    }
    if (id.equals(serving.get()) || id.equals(refusedLatest)) {
      return false;
    }
    try {
      return swap(id);
    } catch (Throwable e) {
      refusedLatest = id;
      refuse(id, e);
      return false;
    }
  }

  /** See {@link ServingIndex#swapTo(String)}. */
  boolean swapTo(String versionId) throws IOException {
    ensureOpen();
    try {
      return swap(IndexLayout.checkVersionId(versionId));
    } catch (Throwable e) {
      refuse(versionId, e);
      throw e;
    }
  }

  /**
   * Opens version {@code id} with no lock held (verifying checksums can take seconds, and a
   * swap must never wait for another's open), then has the handle install it, if it is still
   * wanted: not when it already serves, nor when a swap that started later has installed its
   * own version meanwhile.
   */
  private boolean swap(String id) throws IOException {
    if (id.equals(serving.get())) {
      return false;
    }
    long ticket = swapTickets.incrementAndGet();
    LoadedVersion next = load(id);
    LoadedVersion old = installer.install(next, id, ticket);
    if (old == null) {
      return false;
    }
    old.retire();
    swaps.incrementAndGet();
    refusedLatest = null;
    String from = old.id();
    record.swapped(from, id);
    return true;
  }

  /** Opens and checks version {@code id}, ready to install; closed again if it does not fit. */
  private LoadedVersion load(String id) throws IOException {
    Path dir = root.resolve(IndexLayout.versionDir(id));
    KilnIndex index = KilnIndex.open(dir, options.openOptions());
    try {
      checkFits(index);
      return new LoadedVersion(index, options.inputCutoff().apply(index.manifest()), onClose);
    } catch (RuntimeException | Error e) {
      index.close();
      throw e;
    }
  }

  private void checkFits(KilnIndex index) {
    if (index.dim() != dim || index.metric() != metric || index.idType() != idType) {
      throw new IllegalArgumentException("version " + index.version() + " has d="
          + index.dim() + ", metric " + index.metric().cliName() + ", "
          + index.idType().name().toLowerCase(Locale.ROOT) + " ids; the serving one has d="
          + dim + ", metric " + metric.cliName() + ", "
          + idType.name().toLowerCase(Locale.ROOT)
          + " ids: a change of model needs a new ServingIndex");
    }
  }

  void refuse(String version, Throwable e) {
    record.refused(version, e);
  }

  /** The scheduled task: it must never throw, or the executor stops running it for good. */
  void poll() {
    if (closed.get()) {
      return;
    }
    try {
      refresh();
    } catch (Throwable e) {
      // refresh records its failures itself; this is the closed race or worse. Keep polling.
      if (!closed.get()) {
        try {
          refuse("LATEST", e);
        } catch (Throwable ignored) {
          // Nothing is left to report with (out of memory): the next poll tries again.
        }
      }
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("serving index " + root + " is closed");
    }
  }
}
