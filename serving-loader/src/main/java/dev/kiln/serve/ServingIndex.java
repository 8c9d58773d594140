package dev.kiln.serve;

import dev.kiln.format.IdType;
import dev.kiln.format.Metric;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.QueryCheck;
import dev.kiln.search.SearchParams;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves an index root for as long as the process runs: follows {@code LATEST} to new versions,
 * takes upserts and deletes between builds, and counts what it does.
 *
 * <ul>
 *   <li><b>Swaps.</b> A daemon thread reads {@code LATEST} every {@link
 *       ServingOptions#pollInterval}; {@link #refresh()} does the same at once and {@link
 *       #swapTo} opens a named version. The new version is opened (and checksummed, by default)
 *       off the query path, then replaces the old one in one volatile write. A query runs wholly
 *       on the version it started on; a retired version closes when its last query ends. A
 *       version that fails to open, or has another dimension, metric or id type, is refused:
 *       the old one goes on serving and the failure is in {@link #lastSwapFailure()} and the
 *       metrics.
 *   <li><b>Fresh items.</b> {@link #upsert} and {@link #delete} take effect for the next query:
 *       the id is masked in the static index (during the scan), and an upserted vector is
 *       assigned to the version's nearest list, scanned (exact distance) when a query probes
 *       that list, and merged into the same top-k with scores of the same kind. From {@link
 *       ServingOptions#freshGraphFrom} fresh items on, a query finds them by walking their HNSW
 *       graph instead (exact distances too), so the fresh set scales to a million items.
 *       When a version starts serving, the changes older than its input ({@link
 *       ServingOptions#inputCutoff}) are dropped: that version holds them.
 *   <li><b>Metrics.</b> {@link #metrics()}: queries, a latency histogram, swaps, the version,
 *       fresh and deleted counts.
 * </ul>
 *
 * <p>Thread-safe. Searches take no lock; upserts, deletes and the installation of a new
 * version are serialized. A version is opened (and verified) with no lock held, so a slow or
 * failing open never holds up another swap; when two swaps race, the one that started last
 * wins. The poller survives whatever a poll throws: it is counted as a failed swap, logged
 * ({@link System.Logger}) and told to the {@link SwapListener}, and polling goes on.
 */
public final class ServingIndex implements AutoCloseable {
  private final Path root;
  private final Metric metric;
  private final int dim;
  private final IdType idType;

  private final AtomicBoolean closed = new AtomicBoolean();
  private final PublishedState published;
  private final QueryStats stats = new QueryStats();
  private final VersionSwaps swaps;
  private final FreshMerge merge;

  private ServingIndex(Path root, ServingOptions options, KilnIndex index, Instant cutoff) {
    this.root = root;
    this.metric = index.metric();
    this.dim = index.dim();
    this.idType = index.idType();
    this.published = new PublishedState(root, options, index, cutoff, closed);
    this.merge = new FreshMerge(metric, dim, idType == IdType.STRING,
        options.freshGraphFrom());
    this.swaps = new VersionSwaps(root, options, index, this::version, published::install,
        published::drained, closed);
    swaps.startPolling();
  }

  /**
   * Opens the version {@code LATEST} names under index root {@code root} and, unless the poll
   * interval is zero, starts following {@code LATEST}.
   *
   * @param root the index root: the directory holding {@code LATEST} and {@code versions/}
   * @param options polling, checksums, fresh items, input cutoff, clock, listener
   * @return the handle; close it to stop polling and retire its version
   * @throws IOException (a {@link dev.kiln.format.CorruptIndexException} naming the file) when
   *     that version cannot be opened: with nothing to fall back on, this one fails
   * @throws RuntimeException what {@link ServingOptions#inputCutoff} throws for that version's
   *     manifest (the version is closed first)
   */
  public static ServingIndex open(Path root, ServingOptions options) throws IOException {
    Path dir = KilnIndex.resolveVersion(root);
    KilnIndex index = KilnIndex.open(dir, options.openOptions());
    Instant cutoff;
    try {
      cutoff = options.inputCutoff().apply(index.manifest());
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
    return new ServingIndex(root, options, index, cutoff);
  }

  /**
   * {@link #open(Path, ServingOptions)} with {@link ServingOptions#defaults()}: polls
   * {@code LATEST} every 10 s and verifies every version's checksums.
   *
   * @param root the index root: the directory holding {@code LATEST} and {@code versions/}
   * @return the handle; close it to stop polling and retire its version
   * @throws IOException as {@link #open(Path, ServingOptions)} does
   */
  public static ServingIndex open(Path root) throws IOException {
    return open(root, ServingOptions.defaults());
  }

  // ------------------------------------------------------------------ search

  /**
   * The {@code k} nearest items among the serving version's and the fresh items of the probed
   * lists, as one top-k: masked ids (updated or deleted) never come from the version, and {@code
   * params.filter()} applies to both parts. Scores follow {@link Neighbors}: a fresh item's is
   * exact, a version item's is what the index computes (PQ: approximate). Thread-safe, no
   * lock. An answered query's time goes to the latency histogram; one that throws counts in
   * {@link ServingMetrics#failedQueries}.
   *
   * @param query the query vector, {@link #dim} floats; not modified
   * @param k how many results at most
   * @param params as for {@link KilnIndex#search(float[], int, SearchParams)}; the filter
   *     applies to the fresh items too; from {@link ServingOptions#freshGraphFrom} fresh items
   *     on, the fresh graph's beam is {@code efSearch} when positive, else 64, and at least k
   * @return the results, best first
   * @throws IllegalArgumentException as {@link KilnIndex#search(float[], int, SearchParams)}
   *     does: a null query or one of another dimension, not finite or too large, k below 1, a
   *     filter on the other kind of id
   * @throws IllegalStateException when the handle is closed (once its version has closed), or
   *     {@code params} asks for a target recall and the version measured no curve
   */
  public Neighbors search(float[] query, int k, SearchParams params) {
    long start = System.nanoTime();
    try {
      Neighbors result = published.search(merge, query, k, params, idType == IdType.STRING);
      stats.answered(start, 1);
      return result;
    } catch (RuntimeException | Error e) {
      stats.failed(1);
      throw e;
    }
  }

  /**
   * The {@code k} nearest items of each query, as {@link #search(float[], int, SearchParams)}
   * answers them one at a time, from one call on one version: the version's batch search (blocks
   * of queries share the coarse step and the lists' scans), then each result merged with the
   * fresh items of its query's lists. The latency histogram gets the batch's time divided evenly
   * among its queries.
   *
   * @param batch the query vectors, {@link #dim} floats each; not modified
   * @param k how many results at most per query
   * @param params the same for every query, as for {@link #search(float[], int, SearchParams)}
   * @return one result per query, in query order
   * @throws IllegalArgumentException before any query is searched, naming the first query (by
   *     its index) that the single search would refuse
   * @throws IllegalStateException as {@link #search(float[], int, SearchParams)} does
   */
  public Neighbors[] search(float[][] batch, int k, SearchParams params) {
    long start = System.nanoTime();
    try {
      Neighbors[] result = published.search(merge, batch, k, params, idType == IdType.STRING);
      stats.answered(start, batch.length);
      return result;
    } catch (RuntimeException | Error e) {
      stats.failed(batch.length);
      throw e;
    }
  }

  // ------------------------------------------------------------------ fresh items

  /**
   * Adds item {@code id} or replaces its vector, for the next query on (int64 ids). From then
   * on the version's copy of the item, if any, is masked. Thread-safe: serialized with other
   * upserts, deletes and swaps; searches go on meanwhile. With the fresh graph kept, the call
   * links the item into it, and now and then compacts the set, linking the live items into a
   * new graph (README, "Cost of fresh items").
   *
   * @param id the item's id: a new one, or one the version or the fresh set holds
   * @param vector {@link #dim} floats, finite, of squared norm at most
   *     {@link QueryCheck#MAX_SQUARED_NORM}, not all zero under cosine; copied (and normalized
   *     under cosine), so the caller may reuse the array
   * @throws IllegalArgumentException when the index has string ids, or the vector has another
   *     dimension, is not finite, too large, or zero under cosine
   * @throws IllegalStateException when {@link ServingOptions#maxFreshItems} fresh items are held
   *     and {@code id} is not one of them, or when the handle is closed
   */
  public void upsert(long id, float[] vector) {
    FreshItems.requireIdType(idType, IdType.LONG, root);
    upsertItem(id, vector);
  }

  /**
   * Adds item {@code key} or replaces its vector, for the next query on (string ids): as
   * {@link #upsert(long, float[])}.
   *
   * @param key the item's id, not null: a new one, or one the version or the fresh set holds
   * @param vector {@link #dim} floats, finite, of squared norm at most
   *     {@link QueryCheck#MAX_SQUARED_NORM}, not all zero under cosine; copied
   * @throws IllegalArgumentException when the index has int64 ids, {@code key} is null, or the
   *     vector has another dimension, is not finite, too large, or zero under cosine
   * @throws IllegalStateException when {@link ServingOptions#maxFreshItems} fresh items are held
   *     and {@code key} is not one of them, or when the handle is closed
   */
  public void upsert(String key, float[] vector) {
    FreshItems.requireIdType(idType, IdType.STRING, root);
    upsertItem(FreshItems.requireKey(key), vector);
  }

  /**
   * Removes item {@code id}: no query from now on returns it (int64 ids). The delete holds
   * across swaps until a version whose input was taken after it serves
   * ({@link ServingOptions#inputCutoff}). An id no version holds is not an error: it is counted
   * in {@link ServingMetrics#deletedIds} all the same. Thread-safe, as
   * {@link #upsert(long, float[])}.
   *
   * @param id the item's id
   * @throws IllegalArgumentException when the index has string ids
   * @throws IllegalStateException when the handle is closed
   */
  public void delete(long id) {
    FreshItems.requireIdType(idType, IdType.LONG, root);
    published.delete(id);
  }

  /**
   * Removes item {@code key}: no query from now on returns it (string ids), as
   * {@link #delete(long)}.
   *
   * @param key the item's id, not null
   * @throws IllegalArgumentException when the index has int64 ids, or {@code key} is null
   * @throws IllegalStateException when the handle is closed
   */
  public void delete(String key) {
    FreshItems.requireIdType(idType, IdType.STRING, root);
    published.delete(FreshItems.requireKey(key));
  }

  private void upsertItem(Object id, float[] vector) {
    FreshItems.checkVector(vector, dim, metric);
    published.upsert(id, vector);
  }

  // ------------------------------------------------------------------ swaps

  /**
   * Reads {@code LATEST} now and swaps to the version it names if that is not the one serving.
   * A version that fails is recorded ({@link #lastSwapFailure()}) and not tried again until
   * {@code LATEST} names another. A {@code LATEST} that cannot be read (missing, not a regular
   * file, over 4 KiB, not a version id) is recorded as a failure of version "LATEST" each time.
   * Never throws for what it reads or opens, errors included; it throws only when the handle
   * is closed. Runs on the calling thread, which opens (and verifies) the new version.
   *
   * @return whether a new version now serves
   * @throws IllegalStateException when the handle is closed
   */
  public boolean refresh() {
    return swaps.refresh();
  }

  /**
   * Opens version {@code versionId} of the root and serves it, whatever {@code LATEST} says
   * (until the next poll finds {@code LATEST} naming another). Runs on the calling thread,
   * which opens (and verifies) the version. A version refused before is tried again.
   *
   * @param versionId the id of a version under the root's {@code versions/}
   * @return false when it already serves, or when a swap that started after this one installed
   *     its version first (the later request wins)
   * @throws IOException when the version cannot be opened or verified (recorded as well); the
   *     serving version is unchanged
   * @throws IllegalArgumentException when {@code versionId} is not a valid version id, or the
   *     version has another dimension, metric or id type (recorded as well)
   * @throws IllegalStateException when the handle is closed
   */
  public boolean swapTo(String versionId) throws IOException {
    return swaps.swapTo(versionId);
  }

  // ------------------------------------------------------------------ state

  /**
   * The id of the version serving now.
   *
   * @return the version id, its directory's name under {@code versions/}
   */
  public String version() {
    return published.version();
  }

  /**
   * The latest refused version, or null.
   *
   * @return the latest refusal, kept after later swaps succeed; null when none was refused
   */
  public SwapFailure lastSwapFailure() {
    return swaps.record().lastFailure();
  }

  /**
   * The index root this handle follows.
   *
   * @return the root, as passed to open
   */
  public Path root() {
    return root;
  }

  /**
   * Components per vector, the same for every version the handle serves.
   *
   * @return the dimension
   */
  public int dim() {
    return dim;
  }

  /**
   * The metric, the same for every version the handle serves.
   *
   * @return l2, ip or cosine
   */
  public Metric metric() {
    return metric;
  }

  /**
   * The kind of id, the same for every version the handle serves: it decides which overloads
   * of {@code upsert} and {@code delete} apply.
   *
   * @return int64 or string
   */
  public IdType idType() {
    return idType;
  }

  /**
   * What the handle has done so far, for the host's metrics system. Cheap enough to call at
   * every scrape: counters are summed and the latency histogram copied. Thread-safe; works
   * after close too.
   *
   * @return a new record on every call
   */
  public ServingMetrics metrics() {
    PublishedState.State s = published.current();
    return new ServingMetrics(s.version().id(), stats.answered(), stats.failed(),
        stats.latency(), swaps.swapCount(), swaps.record().failedSwaps(),
        swaps.record().lastFailure(), s.fresh().liveCount(),
        s.fresh().deleteCount(), published.drainingCount());
  }

  /**
   * Holds the serving version open until closed, whatever swaps happen meanwhile: for work that
   * must see one version across several calls (the fresh items are not part of it).
   *
   * @return the pin; close it (try-with-resources) or a retired version never closes
   * @throws IllegalStateException when the handle is closed (once its version has closed)
   */
  public VersionPin pin() {
    return new VersionPin(published.acquire().version());
  }

  /**
   * Stops polling and retires the serving version: it closes when the queries on it end. Later
   * upserts, deletes, refreshes and swaps fail with {@link IllegalStateException}, and so do
   * searches and pins once the version has closed (an open {@link VersionPin} keeps it open);
   * {@link #metrics()} and the accessors still answer. Closing again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    swaps.stopPolling();
    published.retireServing();
  }
}
