package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * IVF-Flat and refine rows read through a buffer's {@code MemorySegment}, with
 * {@link PanamaKernels}' arithmetic: the JDK 25 form lives in {@code src/main/java25} (the loader
 * jar is multi-release), where {@code fromByteBuffer} no longer exists. This JDK 17 form has none
 * ({@link #available()} is false: JDK 17 runs {@link PanamaKernels} itself).
 */
final class SegmentRows {
  /**
   * Whether this JDK's form scores rows: false here, true in the JDK 25 form. A method, not a
   * constant, which javac would copy into the callers' class files.
   */
  static boolean available() {
    return false;
  }

  private SegmentRows() {}

  /** Squared L2 to the row at byte {@code off} of {@code b}; see the JDK 25 form. */
  static float squareDistance(float[] q, ByteBuffer b, int off, int len) {
    throw new UnsupportedOperationException("JDK 17 scans rows with PanamaKernels");
  }

  /** The inner product with the row at byte {@code off} of {@code b}; see the JDK 25 form. */
  static float dot(float[] q, ByteBuffer b, int off, int len) {
    throw new UnsupportedOperationException("JDK 17 scans rows with PanamaKernels");
  }

  /** {@link #squareDistance} of n consecutive rows from {@code off}; see the JDK 25 form. */
  static void squareDistances(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
    throw new UnsupportedOperationException("JDK 17 scans rows with PanamaKernels");
  }

  /** {@link #dot} of n consecutive rows from {@code off}; see the JDK 25 form. */
  static void dots(float[] q, ByteBuffer b, int off, int n, int len, float[] out) {
    throw new UnsupportedOperationException("JDK 17 scans rows with PanamaKernels");
  }
}
