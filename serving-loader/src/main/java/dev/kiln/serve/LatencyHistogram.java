package dev.kiln.serve;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Query latencies to three significant digits (an HdrHistogram: a p99 of 12.3 ms reads 12.3 ms,
 * not "at most 16.8 ms" as power-of-two buckets gave), from 1 ns up, growing as needed.
 * Recording is lock-free; a {@link #snapshot} is a consistent copy.
 */
public final class LatencyHistogram {
  /** Significant decimal digits every recorded value keeps. */
  public static final int DIGITS = 3;

  private final ConcurrentHistogram histogram = new ConcurrentHistogram(DIGITS);

  /**
   * Records one latency. Lock-free; any thread.
   *
   * @param nanos the latency in nanoseconds; a negative one counts as 0
   */
  public void record(long nanos) {
    histogram.recordValue(Math.max(0, nanos));
  }

  /**
   * A copy of what was recorded so far; later records do not change it.
   *
   * @return the snapshot
   */
  public Snapshot snapshot() {
    return new Snapshot(histogram.copy());
  }

  /** The latencies recorded up to one moment. */
  public static final class Snapshot {
    private final Histogram h;

    Snapshot(Histogram h) {
      this.h = h;
    }

    /**
     * How many latencies were recorded.
     *
     * @return the count
     */
    public long total() {
      return h.getTotalCount();
    }

    /**
     * The q-quantile (0 &lt; q &le; 1) in ns, as an upper bound within three significant digits
     * of the true value; 0 when nothing was recorded.
     *
     * @param q the quantile: 0.5 for the median, 0.99 for p99
     * @return the latency in nanoseconds
     */
    public long quantileUpperBoundNanos(double q) {
      if (h.getTotalCount() == 0) {
        return 0;
      }
      return h.highestEquivalentValue(h.getValueAtPercentile(100 * q));
    }

    /**
     * The largest latency recorded, in ns (to three significant digits).
     *
     * @return the latency in nanoseconds, as an upper bound; 0 when nothing was recorded
     */
    public long maxNanos() {
      return h.getTotalCount() == 0 ? 0 : h.highestEquivalentValue(h.getMaxValue());
    }

    /** What a log line wants: the count and the quantiles. */
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%,d searches, p50 %,.1f us, p99 %,.1f us,"
          + " p999 %,.1f us", total(), quantileUpperBoundNanos(0.5) / 1e3,
          quantileUpperBoundNanos(0.99) / 1e3, quantileUpperBoundNanos(0.999) / 1e3);
    }
  }
}
