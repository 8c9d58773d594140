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

  public static final MetricStrategy L2 = new SquaredL2();
  public static final MetricStrategy IP = new InnerProduct(Metric.IP);
  public static final MetricStrategy COSINE = new InnerProduct(Metric.COSINE);

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

  public final Metric metric() {
    return metric;
  }

  /** Prepares a query (a copy the caller owns) in place: cosine normalizes it, others keep it. */
  public void prepareQuery(float[] q, int off, int len) {}

  /** The distance to minimize between {@code a[aOff..]} and {@code b[bOff..]}. */
  public abstract float distance(float[] a, int aOff, float[] b, int bOff, int len);

  /** The distance to minimize to {@code len} little-endian floats stored at {@code off}. */
  public abstract float distance(float[] q, ByteBuffer b, int off, int len);

  /**
   * {@code out[i]} = the distance to the i-th of {@code n} consecutive stored vectors of
   * {@code len} floats starting at {@code off}: a flat list, one call per list.
   */
  public abstract void distances(float[] q, ByteBuffer b, int off, int n, int len, float[] out);

  /**
   * {@link #distances} of four prepared queries to the same stored vectors, bit for bit four
   * calls: each vector is read once for the four (batch search over an IVF-Flat list).
   */
  public abstract void distances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int off, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3);

  /**
   * Turns a query's PQ inner-product table {@code <q_j, pq[j][c]>} ({@code size} floats) into the
   * query part of the table ADC sums: kept for L2 (combined per list with the residual terms),
   * negated for inner product (the distance is {@code -<q, c_l> - sum_j <q_j, pq[j][code_j]>}).
   */
  public abstract void signQueryTable(float[] table, int size);

  /** Whether PQ codes are scored against per-list tables (L2 encodes residuals to the centroid). */
  public abstract boolean tablesPerList();

  /** The score a caller sees for a distance: squared L2 as is, inner product negated back. */
  public abstract float score(float distance);

  /** The inverse of {@link #score}. */
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
