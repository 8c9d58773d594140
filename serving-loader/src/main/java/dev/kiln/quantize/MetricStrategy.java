package dev.kiln.quantize;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * What a {@link Metric} means to search, in one place: how a query is prepared, the "distance"
 * every stage minimizes (squared L2, or minus the inner product), the sign of the PQ query table,
 * and how a distance becomes the score a caller sees. Two implementations (L2, inner product;
 * cosine is inner product on normalized queries), so a call site is at most bimorphic; list scans
 * call the per-list {@link #distances} rather than a per-item method.
 */
public abstract sealed class MetricStrategy
    permits MetricStrategy.SquaredL2, MetricStrategy.InnerProduct {
  static final VectorKernels K = VectorizationProvider.kernels();

  /** Squared euclidean distance. */
  public static final MetricStrategy L2 = new SquaredL2();
  /** Inner product: the distance is minus the product. */
  public static final MetricStrategy IP = new InnerProduct(Metric.IP);
  /** Cosine: inner product, with queries normalized by {@link #prepareQuery}. */
  public static final MetricStrategy COSINE = new InnerProduct(Metric.COSINE);

  /**
   * The strategy of a metric.
   *
   * @param metric l2, ip or cosine
   * @return {@link #L2}, {@link #IP} or {@link #COSINE}
   */
  public static MetricStrategy of(Metric metric) {
    return switch (metric) {
      case L2 -> L2;
      case IP -> IP;
      case COSINE -> COSINE;
    };
  }

  private final Metric metric;

  private MetricStrategy(Metric metric) {
    this.metric = metric;
  }

  /**
   * The metric this strategy stands for.
   *
   * @return l2, ip or cosine
   */
  public final Metric metric() {
    return metric;
  }

  /**
   * Prepares a query (a copy the caller owns) in place: cosine normalizes it, others keep it.
   *
   * @param q holds the query
   * @param off where it starts in {@code q}
   * @param len its dimensions
   */
  public void prepareQuery(float[] q, int off, int len) {}

  /**
   * The distance to minimize between {@code a[aOff..]} and {@code b[bOff..]}.
   *
   * @param a holds the first vector
   * @param aOff where it starts in {@code a}
   * @param b holds the second
   * @param bOff where it starts in {@code b}
   * @param len their dimensions
   * @return squared L2, or minus the inner product
   */
  public abstract float distance(float[] a, int aOff, float[] b, int bOff, int len);

  /**
   * The distance to minimize to {@code len} little-endian floats stored at {@code off}.
   *
   * @param q the query, {@code len} floats from index 0
   * @param b the buffer the vector is stored in
   * @param off the vector's byte offset in {@code b}
   * @param len its dimensions
   * @return squared L2, or minus the inner product
   */
  public abstract float distance(float[] q, ByteBuffer b, int off, int len);

  /**
   * {@code out[i]} = the distance to the i-th of {@code n} consecutive stored vectors of
   * {@code len} floats starting at {@code off}: a flat list, one call per list.
   *
   * @param q the query, {@code len} floats from index 0
   * @param b the buffer the vectors are stored in, little-endian
   * @param off the first vector's byte offset in {@code b}
   * @param n how many vectors
   * @param len their dimensions
   * @param out receives the n distances from index 0
   */
  public abstract void distances(float[] q, ByteBuffer b, int off, int n, int len, float[] out);

  /**
   * {@link #distances(float[], ByteBuffer, int, int, int, float[])} of vectors held in an array
   * (a list read into the heap), with the same bits.
   *
   * @param q the query, {@code len} floats from index 0
   * @param rows the array the vectors are stored in
   * @param off the first vector's index in {@code rows}; the others follow at {@code len} each
   * @param n how many vectors
   * @param len their dimensions
   * @param out receives the n distances from index 0
   */
  public abstract void distances(float[] q, float[] rows, int off, int n, int len, float[] out);

  /**
   * {@link #distances} of four prepared queries to the same stored vectors, bit for bit four
   * calls: each vector is read once for the four (batch search over an IVF-Flat list).
   *
   * @param q0 the first prepared query, {@code len} floats from index 0
   * @param q1 the second query
   * @param q2 the third query
   * @param q3 the fourth query (any of the four may be the same array)
   * @param b the buffer the vectors are stored in, little-endian
   * @param off the first vector's absolute byte offset in {@code b}; the others follow at
   *     {@code 4 * len} bytes each
   * @param n how many vectors
   * @param len components per vector (and per query)
   * @param out0 receives the {@code n} results of {@code q0} from index 0
   * @param out1 those of {@code q1}
   * @param out2 those of {@code q2}
   * @param out3 those of {@code q3}
   */
  public abstract void distances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int off, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3);

  /**
   * Whether the four-query {@link #distances} read each stored vector once for the four
   * ({@link dev.kiln.vector.ListScanKernels#sharesListReads()}).
   *
   * @return true with this JVM's kernels sharing the reads
   */
  public boolean sharesListReads() {
    return K.sharesListReads();
  }

  /**
   * Turns a query's PQ inner-product table {@code <q_j, pq[j][c]>} ({@code size} floats) into the
   * query part of the table ADC sums: kept for L2 (combined per list with the residual terms),
   * negated for inner product (the distance is {@code -<q, c_l> - sum_j <q_j, pq[j][code_j]>}).
   *
   * @param table the table, changed in place
   * @param size how many of its floats, from index 0
   */
  public abstract void signQueryTable(float[] table, int size);

  /**
   * Whether PQ codes are scored against per-list tables (L2 encodes residuals to the centroid).
   *
   * @return true for l2; false for ip and cosine
   */
  public abstract boolean tablesPerList();

  /**
   * The score a caller sees for a distance: squared L2 as is, inner product negated back.
   *
   * @param distance a distance as the search stages minimize it
   * @return the score: lower is nearer for l2, higher for ip and cosine
   */
  public abstract float score(float distance);

  /**
   * The inverse of {@link #score}.
   *
   * @param score a score as a caller sees it
   * @return the distance the search stages minimize
   */
  public final float distanceOf(float score) {
    return score(score);
  }

  /** Squared euclidean distance; scores are distances. */
  static final class SquaredL2 extends MetricStrategy {
    private SquaredL2() {
      super(Metric.L2);
    }

    @Override
    public float distance(float[] a, int aOff, float[] b, int bOff, int len) {
      return K.squareDistance(a, aOff, b, bOff, len);
    }

    @Override
    public float distance(float[] q, ByteBuffer b, int off, int len) {
      return K.squareDistance(q, b, off, len);
    }

    @Override
    public void distances(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
      K.squareDistances(q, b, off, n, len, out);
    }

    @Override
    public void distances(float[] q, float[] rows, int off, int n, int len, float[] out) {
      K.squareDistances(q, rows, off, n, len, out);
    }

    @Override
    public void distances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
        int off, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
      K.squareDistances(q0, q1, q2, q3, b, off, n, len, out0, out1, out2, out3);
    }

    @Override
    public void signQueryTable(float[] table, int size) {}

    @Override
    public boolean tablesPerList() {
      return true;
    }

    @Override
    public float score(float distance) {
      return distance;
    }
  }

  /** Inner product, and cosine (inner product of normalized vectors); distance = -product. */
  static final class InnerProduct extends MetricStrategy {
    private final boolean normalize;

    private InnerProduct(Metric metric) {
      super(metric);
      this.normalize = metric == Metric.COSINE;
    }

    @Override
    public void prepareQuery(float[] q, int off, int len) {
      if (normalize) {
        IndexModel.normalize(q, off, len);
      }
    }

    @Override
    public float distance(float[] a, int aOff, float[] b, int bOff, int len) {
      return -K.dot(a, aOff, b, bOff, len);
    }

    @Override
    public float distance(float[] q, ByteBuffer b, int off, int len) {
      return -K.dot(q, b, off, len);
    }

    @Override
    public void distances(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
      K.dots(q, b, off, n, len, out);
      for (int i = 0; i < n; i++) {
        out[i] = -out[i];
      }
    }

    @Override
    public void distances(float[] q, float[] rows, int off, int n, int len, float[] out) {
      K.dots(q, rows, off, n, len, out);
      for (int i = 0; i < n; i++) {
        out[i] = -out[i];
      }
    }

    @Override
    public void distances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
        int off, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
      K.dots(q0, q1, q2, q3, b, off, n, len, out0, out1, out2, out3);
      for (int i = 0; i < n; i++) {
        out0[i] = -out0[i];
        out1[i] = -out1[i];
        out2[i] = -out2[i];
        out3[i] = -out3[i];
      }
    }

    @Override
    public void signQueryTable(float[] table, int size) {
      for (int i = 0; i < size; i++) {
        table[i] = -table[i];
      }
    }

    @Override
    public boolean tablesPerList() {
      return false;
    }

    @Override
    public float score(float distance) {
      return -distance;
    }
  }
}
