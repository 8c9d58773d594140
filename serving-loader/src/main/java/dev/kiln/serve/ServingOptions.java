package dev.kiln.serve;

import dev.kiln.search.OpenOptions;
import dev.kiln.format.Manifest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a {@link ServingIndex} follows its root and keeps fresh items.
 *
 * @param pollInterval how often the handle's daemon thread reads {@code LATEST}; zero: never
 *     (call {@link ServingIndex#refresh()} yourself)
 * @param verifyChecksums whether each version is checked against its CRC32C footers and the
 *     manifest before it serves (reads every byte once, on the swapping thread)
 * @param maxFreshItems how many fresh items may be held at once; an upsert beyond it is refused
 *     (see README for measured costs)
 * @param inputCutoff when a version's input was taken: upserts and deletes older than this are in
 *     that version and are dropped from the fresh set when it starts serving (a null result:
 *     nothing is); called with each version's manifest, at open and on the swapping thread
 * @param clock stamps upserts and deletes, to compare with {@link #inputCutoff}
 * @param listener told about swaps and refused versions
 * @param freshGraphFrom from how many fresh items on a query walks their HNSW graph rather than
 *     scanning them in the lists it probes (chosen by measurement, see README); above
 *     {@code maxFreshItems}, no graph is kept and upserts cost less
 * @param inHeap whether each version's files are read into the Java heap instead of mapped
 *     ({@link dev.kiln.search.OpenOptions#inHeap}: faster list scans on JDK 17, the
 *     whole version in the heap; two while a swap overlaps)
 * @param flatPruning whether L2 IVF-Flat scans skip items by a lower bound
 *     ({@link dev.kiln.search.OpenOptions#flatPruning}; on by default)
 */
public record ServingOptions(
    Duration pollInterval,
    boolean verifyChecksums,
    int maxFreshItems,
    Function<Manifest, Instant> inputCutoff,
    InstantSource clock,
    SwapListener listener,
    int freshGraphFrom,
    boolean inHeap,
    boolean flatPruning) {

  /** {@link #freshGraphFrom} by default: measured with {@code FreshScanBenchmark}. */
  public static final int DEFAULT_FRESH_GRAPH_FROM = 15_000;

  /** The defaults' limit on fresh items. */
  public static final int DEFAULT_MAX_FRESH_ITEMS = 100_000;

  /**
   * Checks the options.
   *
   * @param pollInterval how often the daemon thread reads {@code LATEST}; zero: never
   * @param verifyChecksums whether each version's CRC32C are checked before it serves
   * @param maxFreshItems how many fresh items may be held at once
   * @param inputCutoff when a version's input was taken, from its manifest
   * @param clock stamps upserts and deletes
   * @param listener told about swaps and refused versions
   * @param freshGraphFrom from how many fresh items on a query walks their graph
   * @param inHeap whether versions are read into the heap rather than mapped
   * @param flatPruning whether L2 IVF-Flat scans skip items by a lower bound
   * @throws NullPointerException when {@code pollInterval}, {@code inputCutoff}, {@code clock}
   *     or {@code listener} is null
   * @throws IllegalArgumentException when {@code pollInterval} or {@code maxFreshItems} is
   *     negative, or {@code freshGraphFrom} is below 1
   */
  public ServingOptions {
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(inputCutoff, "inputCutoff");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(listener, "listener");
    if (pollInterval.isNegative()) {
      throw new IllegalArgumentException("poll interval must not be negative: " + pollInterval);
    }
    if (maxFreshItems < 0) {
      throw new IllegalArgumentException("max fresh items must not be negative: " + maxFreshItems);
    }
    if (freshGraphFrom < 1) {
      throw new IllegalArgumentException("fresh graph threshold must be at least 1: "
          + freshGraphFrom);
    }
  }

  /**
   * Options with {@link #flatPruning} on.
   *
   * @param pollInterval how often the daemon thread reads {@code LATEST}; zero: never
   * @param verifyChecksums whether each version's CRC32C are checked before it serves
   * @param maxFreshItems how many fresh items may be held at once
   * @param inputCutoff when a version's input was taken, from its manifest
   * @param clock stamps upserts and deletes
   * @param listener told about swaps and refused versions
   * @param freshGraphFrom from how many fresh items on a query walks their graph
   * @param inHeap whether versions are read into the heap rather than mapped
   */
  public ServingOptions(Duration pollInterval, boolean verifyChecksums, int maxFreshItems,
      Function<Manifest, Instant> inputCutoff, InstantSource clock, SwapListener listener,
      int freshGraphFrom, boolean inHeap) {
    this(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock, listener,
        freshGraphFrom, inHeap, true);
  }

  /**
   * Options whose versions are mapped (not {@link #inHeap}).
   *
   * @param pollInterval how often the daemon thread reads {@code LATEST}; zero: never
   * @param verifyChecksums whether each version's CRC32C are checked before it serves
   * @param maxFreshItems how many fresh items may be held at once
   * @param inputCutoff when a version's input was taken, from its manifest
   * @param clock stamps upserts and deletes
   * @param listener told about swaps and refused versions
   * @param freshGraphFrom from how many fresh items on a query walks their graph
   */
  public ServingOptions(Duration pollInterval, boolean verifyChecksums, int maxFreshItems,
      Function<Manifest, Instant> inputCutoff, InstantSource clock, SwapListener listener,
      int freshGraphFrom) {
    this(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock, listener,
        freshGraphFrom, false);
  }

  /**
   * Poll every 10 s, verify checksums, at most {@value #DEFAULT_MAX_FRESH_ITEMS} fresh items
   * (walked through their graph from {@value #DEFAULT_FRESH_GRAPH_FROM}), the input cutoff of
   * {@link #buildStart}, the system clock, no listener, versions mapped.
   *
   * @return the default options
   */
  public static ServingOptions defaults() {
    return new ServingOptions(Duration.ofSeconds(10), true, DEFAULT_MAX_FRESH_ITEMS,
        ServingOptions::buildStart, InstantSource.system(), SwapListener.NONE,
        DEFAULT_FRESH_GRAPH_FROM, false);
  }

  /**
   * Whether the fresh set keeps a graph: queries may walk it before the item limit.
   *
   * @return true when {@code freshGraphFrom} is at most {@code maxFreshItems}
   */
  public boolean keepsFreshGraph() {
    return freshGraphFrom <= maxFreshItems;
  }

  /**
   * When the build started, as its manifest records it: {@code createdAt} (when it published)
   * less the seconds of its stages ({@code timings}); {@code createdAt} when it has no timings;
   * null when {@code createdAt} is missing. A build reads its input from its start, so an item
   * changed before then is in the input only if the input was written after the change: when
   * the pipeline knows when it exported the input, pass that instead.
   *
   * @param manifest the version's manifest
   * @return the build's start, or null when the manifest has no {@code createdAt}
   * @throws java.time.format.DateTimeParseException when {@code createdAt} is not an ISO-8601
   *     instant
   */
  public static Instant buildStart(Manifest manifest) {
    if (manifest.createdAt() == null) {
      return null;
    }
    Instant created = Instant.parse(manifest.createdAt());
    Map<String, Double> timings = manifest.timings();
    if (timings == null) {
      return created;
    }
    double seconds = 0;
    for (Double s : timings.values()) {
      seconds += s == null ? 0 : s;
    }
    return created.minusMillis(Math.round(seconds * 1000));
  }

  /**
   * These options with another poll interval.
   *
   * @param interval how often to read {@code LATEST}, not null; zero (or under a millisecond):
   *     never
   * @return new options; these are unchanged
   * @throws IllegalArgumentException when {@code interval} is negative
   */
  public ServingOptions withPollInterval(Duration interval) {
    return new ServingOptions(interval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with checksum verification on or off.
   *
   * @param verify whether each version's CRC32C are checked before it serves
   * @return new options; these are unchanged
   */
  public ServingOptions withVerifyChecksums(boolean verify) {
    return new ServingOptions(pollInterval, verify, maxFreshItems, inputCutoff, clock, listener,
        freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with another limit on fresh items.
   *
   * @param max how many fresh items may be held at once; 0 refuses every upsert
   * @return new options; these are unchanged
   * @throws IllegalArgumentException when {@code max} is negative
   */
  public ServingOptions withMaxFreshItems(int max) {
    return new ServingOptions(pollInterval, verifyChecksums, max, inputCutoff, clock, listener,
        freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with another way to tell when a version's input was taken.
   *
   * @param cutoff from a version's manifest to the time its input was taken (a null result:
   *     no change is covered), not null; say the pipeline's export time
   * @return new options; these are unchanged
   */
  public ServingOptions withInputCutoff(Function<Manifest, Instant> cutoff) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, cutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with another clock (tests use a fixed one).
   *
   * @param clock stamps upserts, deletes and refusals; not null
   * @return new options; these are unchanged
   */
  public ServingOptions withClock(InstantSource clock) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with a listener for swaps and refused versions.
   *
   * @param listener told on the swapping thread, not null: {@link SwapListener#NONE} for none
   * @return new options; these are unchanged
   */
  public ServingOptions withListener(SwapListener listener) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with another threshold for walking the fresh graph.
   *
   * @param items from how many live fresh items on queries walk the graph; above
   *     {@code maxFreshItems}, no graph is kept
   * @return new options; these are unchanged
   * @throws IllegalArgumentException when {@code items} is below 1
   */
  public ServingOptions withFreshGraphFrom(int items) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, items, inHeap, flatPruning);
  }

  /**
   * These options with versions read into the heap, or mapped.
   *
   * @param inHeap true to read each version's files into the Java heap, false to map them
   * @return the new options
   */
  public ServingOptions withInHeap(boolean inHeap) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /**
   * These options with IVF-Flat pruning on or off ({@link OpenOptions#flatPruning}).
   *
   * @param flatPruning true to skip items by a lower bound (the default), false to score every
   *     item of a probed list
   * @return the new options
   */
  public ServingOptions withFlatPruning(boolean flatPruning) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener, freshGraphFrom, inHeap, flatPruning);
  }

  /** How each version is opened: checksums, heap or mapping, pruning. */
  OpenOptions openOptions() {
    return new OpenOptions(verifyChecksums, inHeap, flatPruning);
  }
}
