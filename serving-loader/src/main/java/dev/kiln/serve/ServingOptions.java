package dev.kiln.serve;

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
 *     (each query walks the fresh set; see README for measured costs)
 * @param inputCutoff when a version's input was taken: upserts and deletes older than this are in
 *     that version and are dropped from the fresh set when it starts serving (null: nothing is)
 * @param clock stamps upserts and deletes, to compare with {@link #inputCutoff}
 * @param listener told about swaps and refused versions
 */
public record ServingOptions(
    Duration pollInterval,
    boolean verifyChecksums,
    int maxFreshItems,
    Function<Manifest, Instant> inputCutoff,
    InstantSource clock,
    SwapListener listener) {

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
  }

  /**
   * Poll every 10 s, verify checksums, at most 10,000 fresh items, the input cutoff of {@link
   * #buildStart}, the system clock.
   */
  public static ServingOptions defaults() {
    return new ServingOptions(Duration.ofSeconds(10), true, 10_000, ServingOptions::buildStart,
        InstantSource.system(), SwapListener.NONE);
  }

  /**
   * When the build started, as its manifest records it: {@code createdAt} (when it published)
   * less the seconds of its stages ({@code timings}); {@code createdAt} when it has no timings;
   * null when {@code createdAt} is missing. A build reads its input from its start, so an item
   * changed before then is in the input only if the input was written after the change: when
   * the pipeline knows when it exported the input, pass that instead.
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

  public ServingOptions withPollInterval(Duration interval) {
    return new ServingOptions(interval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener);
  }

  public ServingOptions withVerifyChecksums(boolean verify) {
    return new ServingOptions(pollInterval, verify, maxFreshItems, inputCutoff, clock, listener);
  }

  public ServingOptions withMaxFreshItems(int max) {
    return new ServingOptions(pollInterval, verifyChecksums, max, inputCutoff, clock, listener);
  }

  public ServingOptions withInputCutoff(Function<Manifest, Instant> cutoff) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, cutoff, clock,
        listener);
  }

  public ServingOptions withClock(InstantSource clock) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener);
  }

  public ServingOptions withListener(SwapListener listener) {
    return new ServingOptions(pollInterval, verifyChecksums, maxFreshItems, inputCutoff, clock,
        listener);
  }
}
