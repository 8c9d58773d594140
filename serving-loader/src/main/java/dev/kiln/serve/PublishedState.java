package dev.kiln.serve;

import dev.kiln.format.IdType;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.QueryCheck;
import dev.kiln.search.SearchParams;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a {@link ServingIndex}'s queries read, and its publication: the serving version and the
 * fresh set that goes with it, replaced in one volatile write by fresh-set changes and by the
 * installation of a new version, both serialized by one writer lock. Queries take no lock; they
 * acquire the version they read. Also the retired versions still draining.
 */
final class PublishedState {
  /** What a query reads, in one volatile read: the version and the fresh set that go together. */
  record State(LoadedVersion version, FreshItems.View fresh) {}

  private final Path root;
  private final ServingOptions options;
  private volatile State state;
  private final FreshItems fresh;
  /** Serializes fresh-set changes and the publication of a new state. */
  private final ReentrantLock writer = new ReentrantLock();
  /** The ticket of the attempt whose version was installed last; guarded by writer. */
  private long installedTicket;
  private final AtomicBoolean closed;
  private final Set<LoadedVersion> draining = ConcurrentHashMap.newKeySet();

  /** Publishes {@code first} (input taken at {@code cutoff}) with an empty fresh set. */
  PublishedState(Path root, ServingOptions options, KilnIndex first, Instant cutoff,
      AtomicBoolean closed) {
    this.root = root;
    this.options = options;
    this.closed = closed;
    this.fresh = new FreshItems(first.model(), first.idType() == IdType.STRING,
        options.keepsFreshGraph());
    this.state = new State(new LoadedVersion(first, cutoff, draining::remove), fresh.view());
  }

  /** The current state, for a reader that acquires nothing (one volatile read). */
  State current() {
    return state;
  }

  /**
   * {@link FreshMerge#search} of one query on the state published now, its version pinned for
   * the call; a filter on the other kind of id is refused.
   */
  Neighbors search(FreshMerge merge, float[] query, int k, SearchParams params,
      boolean stringIds) {
    State s = acquire();
    try {
      QueryCheck.checkFilter(params.filter(), stringIds, root);
      return merge.search(s.version().index(), s.fresh(), query, k, params);
    } finally {
      s.version().release();
    }
  }

  /** {@link #search(FreshMerge, float[], int, SearchParams, boolean)} of a batch, one version. */
  Neighbors[] search(FreshMerge merge, float[][] batch, int k, SearchParams params,
      boolean stringIds) {
    State s = acquire();
    try {
      QueryCheck.checkFilter(params.filter(), stringIds, root);
      return merge.search(s.version().index(), s.fresh(), batch, k, params);
    } finally {
      s.version().release();
    }
  }

  /** The current state with its version acquired; retried if a swap closed it meanwhile. */
  State acquire() {
    while (true) {
      State s = state;
      if (s.version().tryAcquire()) {
        return s;
      }
      ensureOpen();
    }
  }

  /** The id of the version serving now. */
  String version() {
    return state.version().id();
  }

  /** How many retired versions still wait for their last query. */
  int drainingCount() {
    return draining.size();
  }

  /** What a version opened by a swap calls when it closes: it no longer drains. */
  void drained(LoadedVersion version) {
    draining.remove(version);
  }

  /**
   * Upserts {@code id} (a Long or a String) and publishes the new fresh set; the vector is
   * already checked. See {@link ServingIndex#upsert(long, float[])}.
   */
  void upsert(Object id, float[] vector) {
    long now = options.clock().millis();
    writer.lock();
    try {
      ensureOpen();
      if (fresh.liveCount() >= options.maxFreshItems() && !fresh.isLive(id)) {
        throw new IllegalStateException("serving index " + root + " holds "
            + fresh.liveCount() + " fresh items, its limit (ServingOptions.maxFreshItems):"
            + " publish a build that includes them, or raise the limit");
      }
      publishFresh(fresh.upsert(id, vector, now));
    } finally {
      writer.unlock();
    }
  }

  /** Deletes {@code id} (a Long or a String) and publishes the new fresh set. */
  void delete(Object id) {
    long now = options.clock().millis();
    writer.lock();
    try {
      ensureOpen();
      publishFresh(fresh.delete(id, now));
    } finally {
      writer.unlock();
    }
  }

  private void publishFresh(FreshItems.View view) {
    state = new State(state.version(), view);
  }

  /** Installs {@code next} for {@link VersionSwaps}: see {@link VersionSwaps.Installer}. */
  LoadedVersion install(LoadedVersion next, String id, long ticket) {
    LoadedVersion old;
    writer.lock();
    try {
      if (closed.get()) {
        next.index().close();
        throw new IllegalStateException("serving index " + root + " is closed");
      }
      if (id.equals(version()) || ticket < installedTicket) {
        next.index().close();
        return null;
      }
      installedTicket = ticket;
      Instant cutoff = next.inputCutoff();
      FreshItems.View view = fresh.dropCovered(cutoff == null ? null : cutoff.toEpochMilli(),
          next.index().model());
      old = state.version();
      draining.add(old);
      state = new State(next, view);
    } finally {
      writer.unlock();
    }
    return old;
  }

  /**
   * Retires the serving version, once the handle is marked closed: read under the writer lock,
   * so an install either finished before (its version is the one retired) or sees the mark.
   */
  void retireServing() {
    LoadedVersion last;
    writer.lock();
    try {
      last = state.version();
    } finally {
      writer.unlock();
    }
    last.retire();
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("serving index " + root + " is closed");
    }
  }
}
