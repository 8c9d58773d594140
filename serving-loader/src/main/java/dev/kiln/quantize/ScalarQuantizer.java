package dev.kiln.quantize;

import dev.kiln.format.RefineFile;

/**
 * 8-bit scalar quantization (Faiss's {@code SQ8}), as {@link RefineFile} stores it: component j
 * of a vector becomes a signed byte b with value {@code base[j] + b * step[j]}. Trained on a
 * sample so that each component's range maps onto [-128, 127]; used by the build to encode
 * refine vectors and by the loader (through its kernels) to score them.
 */
public final class ScalarQuantizer implements java.io.Serializable {
  /** Per component, the value byte 0 decodes to. */
  private final float[] base;
  /** Per component, what each unit of the byte adds; 0 for a constant component. */
  private final float[] step;

  /**
   * The quantizer of these per-component parameters.
   *
   * @param base per component, the value byte 0 decodes to; copied
   * @param step per component, what each unit of the byte adds (0: a constant component);
   *     copied
   * @throws IllegalArgumentException when base and step differ in length
   */
  public ScalarQuantizer(float[] base, float[] step) {
    if (base.length != step.length) {
      throw new IllegalArgumentException("base and step differ in length");
    }
    this.base = base.clone();
    this.step = step.clone();
  }

  /**
   * Per-component min and max of {@code n} vectors of dimension {@code d}, stored row-major.
   *
   * @param data the vectors, row-major from index 0
   * @param n how many, at least 1
   * @param d their dimensions
   * @return the quantizer whose bytes -128 and 127 decode to each component's min and max
   * @throws IllegalArgumentException when n is below 1
   */
  public static ScalarQuantizer train(float[] data, int n, int d) {
    if (n < 1) {
      throw new IllegalArgumentException("SQ8 needs at least one training vector");
    }
    float[] min = new float[d];
    float[] max = new float[d];
    System.arraycopy(data, 0, min, 0, d);
    System.arraycopy(data, 0, max, 0, d);
    for (int i = 1; i < n; i++) {
      for (int j = 0; j < d; j++) {
        float v = data[i * d + j];
        min[j] = Math.min(min[j], v);
        max[j] = Math.max(max[j], v);
      }
    }
    float[] base = new float[d];
    float[] step = new float[d];
    for (int j = 0; j < d; j++) {
      // 255 steps span [min, max]; byte -128 decodes to min, 127 to max.
      step[j] = (max[j] - min[j]) / 255f;
      base[j] = min[j] + 128 * step[j];
    }
    return new ScalarQuantizer(base, step);
  }

  /**
   * The quantizer of {@code baseThenStep} (d bases, then d steps), as a model file stores it.
   *
   * @param baseThenStep 2 x d floats, copied
   * @return the quantizer of dimension d
   */
  public static ScalarQuantizer fromParameters(float[] baseThenStep) {
    int d = baseThenStep.length / 2;
    return new ScalarQuantizer(java.util.Arrays.copyOfRange(baseThenStep, 0, d),
        java.util.Arrays.copyOfRange(baseThenStep, d, 2 * d));
  }

  /**
   * Its bases, then its steps (2 x d), as a model file stores them.
   *
   * @return a new array of 2 x d floats, what {@link #fromParameters} reads
   */
  public float[] parameters() {
    float[] out = java.util.Arrays.copyOf(base, 2 * base.length);
    System.arraycopy(step, 0, out, base.length, step.length);
    return out;
  }

  /**
   * Dimensions of the vectors it encodes.
   *
   * @return d, also the bytes of a code
   */
  public int dim() {
    return base.length;
  }

  /**
   * A copy of the per-component base.
   *
   * @return d floats: the value byte 0 decodes to
   */
  public float[] base() {
    return base.clone();
  }

  /**
   * A copy of the per-component step.
   *
   * @return d floats: what each unit of the byte adds
   */
  public float[] step() {
    return step.clone();
  }

  /**
   * Encodes {@code x[off .. off+d)} into {@code out[outOff .. outOff+d)}, rounding to nearest.
   * A component outside the trained range is clamped to it.
   *
   * @param x holds the vector
   * @param off where its d floats start in {@code x}
   * @param out receives the d bytes of its code
   * @param outOff where they go in {@code out}
   */
  public void encode(float[] x, int off, byte[] out, int outOff) {
    for (int j = 0; j < base.length; j++) {
      float s = step[j];
      // A constant component (step 0) decodes exactly from any byte: store 0.
      float b = s > 0 ? Math.round((x[off + j] - base[j]) / s) : 0;
      out[outOff + j] = (byte) Math.max(-128, Math.min(127, b));
    }
  }

  /**
   * Decodes {@code d} bytes into {@code out}: the vector the loader scores against.
   *
   * @param code holds the code
   * @param off where its d bytes start in {@code code}
   * @param out receives the d floats from index 0
   */
  public void decode(byte[] code, int off, float[] out) {
    for (int j = 0; j < base.length; j++) {
      out[j] = base[j] + code[off + j] * step[j];
    }
  }
}
