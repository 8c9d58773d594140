package dev.kiln.quantize;

import dev.kiln.format.RefineFile;

/**
 * 8-bit scalar quantization (Faiss's {@code SQ8}), as {@link RefineFile} stores it: component j
 * of a vector becomes a signed byte b with value {@code base[j] + b * step[j]}. Trained on a
 * sample so that each component's range maps onto [-128, 127]; used by the build to encode
 * refine vectors and by the loader (through its kernels) to score them.
 */
public final class ScalarQuantizer implements java.io.Serializable {
  private final float[] base;
  private final float[] step;

  public ScalarQuantizer(float[] base, float[] step) {
    if (base.length != step.length) {
      throw new IllegalArgumentException("base and step differ in length");
    }
    this.base = base.clone();
    this.step = step.clone();
  }

  /** Per-component min and max of {@code n} vectors of dimension {@code d}, stored row-major. */
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

  /** The quantizer of {@code baseThenStep} (d bases, then d steps), as a model file stores it. */
  public static ScalarQuantizer fromParameters(float[] baseThenStep) {
    int d = baseThenStep.length / 2;
    return new ScalarQuantizer(java.util.Arrays.copyOfRange(baseThenStep, 0, d),
        java.util.Arrays.copyOfRange(baseThenStep, d, 2 * d));
  }

  /** Its bases, then its steps (2 x d), as a model file stores them. */
  public float[] parameters() {
    float[] out = java.util.Arrays.copyOf(base, 2 * base.length);
    System.arraycopy(step, 0, out, base.length, step.length);
    return out;
  }

  public int dim() {
    return base.length;
  }

  /** A copy of the per-component base. */
  public float[] base() {
    return base.clone();
  }

  /** A copy of the per-component step. */
  public float[] step() {
    return step.clone();
  }

  /** Encodes {@code x[off .. off+d)} into {@code out[outOff .. outOff+d)}, rounding to nearest. */
  public void encode(float[] x, int off, byte[] out, int outOff) {
    for (int j = 0; j < base.length; j++) {
      float s = step[j];
      // A constant component (step 0) decodes exactly from any byte: store 0.
      float b = s > 0 ? Math.round((x[off + j] - base[j]) / s) : 0;
      out[outOff + j] = (byte) Math.max(-128, Math.min(127, b));
    }
  }

  /** Decodes {@code d} bytes into {@code out}: the vector the loader scores against. */
  public void decode(byte[] code, int off, float[] out) {
    for (int j = 0; j < base.length; j++) {
      out[j] = base[j] + code[off + j] * step[j];
    }
  }
}
