package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * The SIMD path on a JDK whose incubating Vector API has no {@code fromByteBuffer} (JDK 20
 * replaced it with {@code fromMemorySegment}): {@link PanamaKernels} for every kernel that reads
 * Java arrays (the coarse step's panels, k-means assignment, PQ tables, HNSW rows, fast-scan's
 * byte tables), {@link ScalarKernels} for every kernel that reads the index's buffers (SQ8
 * codes, fast-scan blocks, reconstruction), except float32 rows (IVF-Flat lists, refine rows):
 * on JDK 25 the jar's {@link SegmentRows} reads those through the buffer's segment with
 * PanamaKernels' arithmetic, and lists read into the heap go to PanamaKernels' array form, which
 * has the same bits; where SegmentRows is not available both are scalar. Either way the answers
 * do not depend on whether the index is mapped.
 */
final class PanamaOnArrays implements VectorKernels {
  private final VectorKernels simd;
  private final VectorKernels scalar = new ScalarKernels();
  /** Whether float32 rows in buffers are read through segments ({@link SegmentRows}). */
  private final boolean segmentRows = SegmentRows.available();

  PanamaOnArrays(VectorKernels simd) {
    this.simd = simd;
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
    return simd.dot(a, aOff, b, bOff, len);
  }

  @Override
  public void dot4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3, int len,
      float[] out, int outOff) {
    simd.dot4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
  }

  @Override
  public float squareDistance(float[] a, int aOff, float[] b, int bOff, int len) {
    return simd.squareDistance(a, aOff, b, bOff, len);
  }

  @Override
  public void squareDistance4(float[] q, int qOff, float[] m, int o0, int o1, int o2, int o3,
      int len, float[] out, int outOff) {
    simd.squareDistance4(q, qOff, m, o0, o1, o2, o3, len, out, outOff);
  }

  @Override
  public float dot(float[] q, ByteBuffer b, int byteOff, int len) {
    return segmentRows ? SegmentRows.dot(q, b, byteOff, len)
        : scalar.dot(q, b, byteOff, len);
  }

  @Override
  public float squareDistance(float[] q, ByteBuffer b, int byteOff, int len) {
    return segmentRows ? SegmentRows.squareDistance(q, b, byteOff, len)
        : scalar.squareDistance(q, b, byteOff, len);
  }

  @Override
  public void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len,
      float[] out) {
    if (segmentRows) {
      SegmentRows.squareDistances(q, b, byteOff, n, len, out);
    } else {
      scalar.squareDistances(q, b, byteOff, n, len, out);
    }
  }

  // A list in a float[] has the buffer form's bits: PanamaKernels' with SegmentRows, else scalar.
  @Override
  public void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out) {
    (segmentRows ? simd : scalar).squareDistances(q, rows, off, n, len, out);
  }

  @Override
  public void dots(float[] q, float[] rows, int off, int n, int len, float[] out) {
    (segmentRows ? simd : scalar).dots(q, rows, off, n, len, out);
  }

  @Override
  public void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out) {
    if (segmentRows) {
      SegmentRows.dots(q, b, byteOff, n, len, out);
    } else {
      scalar.dots(q, b, byteOff, n, len, out);
    }
  }

  @Override
  public void pqDistances(
      ByteBuffer codes, int byteOff, int n, int m, float[] table, float base, float[] out) {
    scalar.pqDistances(codes, byteOff, n, m, table, base, out);
  }

  @Override
  public void fastScan(ByteBuffer codes, int byteOff, int blocks, int pairs, byte[] lut,
      int limit, float bias, float scale, float[] out) {
    scalar.fastScan(codes, byteOff, blocks, pairs, lut, limit, bias, scale, out);
  }

  @Override
  public float quantizeTables(float[] table, int m, byte[] lut, float[] mins) {
    return simd.quantizeTables(table, m, lut, mins);
  }

  @Override
  public void dots4x64(float[] points, int r0, int r1, int r2, int r3, float[] panel, int pOff,
      int dim, float[] out) {
    simd.dots4x64(points, r0, r1, r2, r3, panel, pOff, dim, out);
  }

  @Override
  public void dots1x64(float[] q, int qOff, float[] panel, int pOff, int dim, float[] out,
      int outOff) {
    simd.dots1x64(q, qOff, panel, pOff, dim, out, outOff);
  }

  @Override
  public int argMin64(float[] bias, int bOff, float[] dots, int dOff, float bound) {
    return simd.argMin64(bias, bOff, dots, dOff, bound);
  }

  @Override
  public long atMost64(float[] bias, int bOff, float[] dots, int dOff, float threshold) {
    return simd.atMost64(bias, bOff, dots, dOff, threshold);
  }

  @Override
  public void addScaled(ByteBuffer base, int byteOff, float scale, float[] x, float[] out,
      int len) {
    scalar.addScaled(base, byteOff, scale, x, out, len);
  }

  @Override
  public float sq8SquareDistance(float[] q, float[] step, ByteBuffer codes, int byteOff,
      int len) {
    return scalar.sq8SquareDistance(q, step, codes, byteOff, len);
  }

  @Override
  public float sq8Dot(float[] w, ByteBuffer codes, int byteOff, int len) {
    return scalar.sq8Dot(w, codes, byteOff, len);
  }

  @Override
  public String name() {
    return simd.name() + (segmentRows ? " on arrays and float32 rows, scalar on codes"
        : " on arrays, scalar on buffers");
  }
}
