package dev.kiln.serve;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Query latencies in fixed buckets, each twice as wide as the one before: bucket 0 holds
 * latencies under 1,024 ns, bucket i (1 &le; i &lt; {@link #BUCKETS} - 1) those in
 * [2^(9+i), 2^(10+i)) ns, the last everything from about 17 s up. Recording is one atomic add on
 * an {@link AtomicLongArray}, lock-free.
 */
public final class LatencyHistogram {
  /** 1 µs to about 17 s in factors of two, plus an overflow bucket. */
  public static final int BUCKETS = 26;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  public void record(long nanos) {
    counts.incrementAndGet(bucket(nanos));
  }

  static int bucket(long nanos) {
    int b = 64 - Long.numberOfLeadingZeros(Math.max(0, nanos) >>> 10);
    return Math.min(b, BUCKETS - 1);
  }

  /** Bucket i's exclusive upper bound in ns; {@link Long#MAX_VALUE} for the last. */
  public static long upperBoundNanos(int bucket) {
    return bucket >= BUCKETS - 1 ? Long.MAX_VALUE : 1L << (10 + bucket);
  }

  public Snapshot snapshot() {
    long[] c = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      c[i] = counts.get(i);
    }
    return new Snapshot(c);
  }

  /**
   * Counts per bucket at one moment (each bucket read atomically, not all together).
   *
   * @param counts element i is the number of queries in bucket i
   */
  public record Snapshot(long[] counts) {
    public long total() {
      long t = 0;
      for (long c : counts) {
        t += c;
      }
      return t;
    }

    /**
     * An upper bound of the q-quantile (0 &lt; q &le; 1) in ns: the upper bound of the bucket
     * that holds it; 0 when nothing was recorded.
     */
    public long quantileUpperBoundNanos(double q) {
      long total = total();
      if (total == 0) {
        return 0;
      }
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < counts.length; i++) {
        seen += counts[i];
        if (seen >= rank) {
          return upperBoundNanos(i);
        }
      }
      return Long.MAX_VALUE;
    }

    /** What a log line wants: the count and the quantiles' upper bounds, not the buckets. */
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%,d searches, p50 <= %,d us, p99 <= %,d us,"
          + " p999 <= %,d us", total(), quantileUpperBoundNanos(0.5) / 1000,
          quantileUpperBoundNanos(0.99) / 1000, quantileUpperBoundNanos(0.999) / 1000);
    }
  }
}
