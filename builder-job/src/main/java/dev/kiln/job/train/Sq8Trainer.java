package dev.kiln.job.train;

import dev.kiln.quantize.ScalarQuantizer;
import org.apache.spark.api.java.JavaRDD;

/**
 * Trains the SQ8 refine quantizer: the per-component minimum and maximum of the training
 * sample, found in one distributed pass (min and max are order-independent, so the result does
 * not depend on partitioning), then {@link ScalarQuantizer#train}'s mapping of that range onto
 * the 256 byte values.
 */
public final class Sq8Trainer {
  private Sq8Trainer() {}

  public static ScalarQuantizer train(JavaRDD<VectorBlock> sample, int dim) {
    float[] range = sample
        .filter(b -> b.rows() > 0)
        .map(b -> range(b.data(), b.rows(), dim))
        .reduce(Sq8Trainer::merge);
    // Two rows, the minima and the maxima, give ScalarQuantizer the same range as all rows.
    return ScalarQuantizer.train(range, 2, dim);
  }

  /** Minima in [0, d), maxima in [d, 2d). */
  private static float[] range(float[] data, int rows, int d) {
    float[] r = new float[2 * d];
    System.arraycopy(data, 0, r, 0, d);
    System.arraycopy(data, 0, r, d, d);
    for (int i = 1; i < rows; i++) {
      for (int j = 0; j < d; j++) {
        float v = data[i * d + j];
        r[j] = Math.min(r[j], v);
        r[d + j] = Math.max(r[d + j], v);
      }
    }
    return r;
  }

  private static float[] merge(float[] a, float[] b) {
    int d = a.length / 2;
    float[] r = new float[2 * d];
    for (int j = 0; j < d; j++) {
      r[j] = Math.min(a[j], b[j]);
      r[d + j] = Math.max(a[d + j], b[d + j]);
    }
    return r;
  }
}
