package dev.kiln.vector;

import java.nio.ByteBuffer;

/**
 * The kernels that score a query against float32 vectors as the index stores them: an IVF-Flat
 * list or a refine row in a mapped (or heap) buffer, little-endian, or a list read into a
 * {@code float[]}; one query or four sharing each read. Part of {@link VectorKernels}, which
 * every implementation implements whole; a family of its own so that interface stays readable.
 */
public interface ListScanKernels {

  /**
   * Whether the four-query scans read each stored vector once for the four (the JDK 17 Vector
   * API kernels), rather than making four one-query calls (the defaults below): a caller holding
   * the rows in an array as well scans the array four times when they do not.
   *
   * @return true when the four-query buffer scans share each read
   */
  default boolean sharesListReads() {
    return false;
  }

  /**
   * {@link VectorKernels#dot(float[], int, float[], int, int)} against {@code len}
   * little-endian floats stored at {@code byteOff} of a buffer.
   *
   * @param q the query, read from index 0
   * @param b the buffer holding the stored vector, little-endian
   * @param byteOff the stored vector's absolute byte offset in {@code b}
   * @param len components
   * @return the inner product, summed in float
   */
  float dot(float[] q, ByteBuffer b, int byteOff, int len);

  /**
   * {@link VectorKernels#squareDistance(float[], int, float[], int, int)} against {@code len}
   * little-endian floats stored in a buffer.
   *
   * @param q the query, read from index 0
   * @param b the buffer holding the stored vector, little-endian
   * @param byteOff the stored vector's absolute byte offset in {@code b}
   * @param len components
   * @return the squared L2 distance, summed in float
   */
  float squareDistance(float[] q, ByteBuffer b, int byteOff, int len);

  /**
   * {@link #squareDistance(float[], ByteBuffer, int, int)} of {@code q} to four stored vectors,
   * each in its own buffer at its own offset, into {@code out[0 .. 3]}: bit for bit four calls,
   * with the four vectors' memory reads in flight together. The refine stage re-scores rows
   * scattered over mapped files this way.
   *
   * @param q the query, read from index 0
   * @param b0 the buffer holding the first vector, little-endian
   * @param o0 the first vector's absolute byte offset in {@code b0}
   * @param b1 the buffer holding the second vector
   * @param o1 the second vector's byte offset in {@code b1}
   * @param b2 the buffer holding the third vector
   * @param o2 the third vector's byte offset in {@code b2}
   * @param b3 the buffer holding the fourth vector
   * @param o3 the fourth vector's byte offset in {@code b3}
   * @param len components
   * @param out receives the four squared distances in {@code out[0 .. 3]}
   */
  default void squareDistance4(float[] q, ByteBuffer b0, int o0, ByteBuffer b1, int o1,
      ByteBuffer b2, int o2, ByteBuffer b3, int o3, int len, float[] out) {
    out[0] = squareDistance(q, b0, o0, len);
    out[1] = squareDistance(q, b1, o1, len);
    out[2] = squareDistance(q, b2, o2, len);
    out[3] = squareDistance(q, b3, o3, len);
  }

  /**
   * {@link #squareDistance(float[], ByteBuffer, int, int)} of {@code q} to each of {@code n}
   * vectors stored one after another from {@code byteOff} (an IVF-Flat list): {@code out[i]}.
   * Bit for bit the one-vector kernel's result, several vectors in flight at once.
   *
   * @param q the query, read from index 0
   * @param b the buffer holding the vectors, little-endian
   * @param byteOff the first vector's absolute byte offset in {@code b}; the others follow at
   *     {@code 4 * len} bytes each
   * @param n how many vectors
   * @param len components per vector
   * @param out receives the {@code n} squared distances from index 0
   */
  void squareDistances(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out);

  /**
   * {@link #squareDistances(float[], ByteBuffer, int, int, int, float[])} over rows held in an
   * array (an IVF-Flat list read into the heap), bit for bit the buffer form's results: JDK 17
   * loads SIMD lanes from an array with fewer instructions than from a buffer.
   *
   * @param q the query, read from index 0
   * @param rows the array holding the vectors
   * @param off the first vector's index in {@code rows}; the others follow at {@code len} each
   * @param n how many vectors
   * @param len components per vector
   * @param out receives the {@code n} squared distances from index 0
   */
  void squareDistances(float[] q, float[] rows, int off, int n, int len, float[] out);

  /**
   * {@link #dots(float[], ByteBuffer, int, int, int, float[])} over rows held in an array, bit
   * for bit the buffer form's results, as {@link #squareDistances(float[], float[], int, int,
   * int, float[])}.
   *
   * @param q the query, read from index 0
   * @param rows the array holding the vectors
   * @param off the first vector's index in {@code rows}; the others follow at {@code len} each
   * @param n how many vectors
   * @param len components per vector
   * @param out receives the {@code n} inner products from index 0
   */
  void dots(float[] q, float[] rows, int off, int n, int len, float[] out);

  /**
   * {@link #dot(float[], ByteBuffer, int, int)} with each of {@code n} stored vectors, laid out
   * as for {@link #squareDistances}: {@code out[i]}.
   *
   * @param q the query, read from index 0
   * @param b the buffer holding the vectors, little-endian
   * @param byteOff the first vector's absolute byte offset in {@code b}; the others follow at
   *     {@code 4 * len} bytes each
   * @param n how many vectors
   * @param len components per vector
   * @param out receives the {@code n} inner products from index 0
   */
  void dots(float[] q, ByteBuffer b, int byteOff, int n, int len, float[] out);

  /**
   * {@link #squareDistances} of four queries to the same {@code n} stored vectors, into
   * {@code out0 .. out3}: bit for bit four one-query calls (this default makes them), each
   * vector read once for the four where a kernel can. Batch search scans an IVF-Flat list so for
   * the block's queries that probe it.
   *
   * @param q0 the first query, {@code len} floats from index 0
   * @param q1 the second query
   * @param q2 the third query
   * @param q3 the fourth query (any of the four may be the same array)
   * @param b the buffer the vectors are stored in, little-endian
   * @param byteOff the first vector's absolute byte offset in {@code b}; the others follow at
   *     {@code 4 * len} bytes each
   * @param n how many vectors
   * @param len components per vector (and per query)
   * @param out0 receives the {@code n} results of {@code q0} from index 0
   * @param out1 those of {@code q1}
   * @param out2 those of {@code q2}
   * @param out3 those of {@code q3}
   */
  default void squareDistances(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b,
      int byteOff, int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    squareDistances(q0, b, byteOff, n, len, out0);
    squareDistances(q1, b, byteOff, n, len, out1);
    squareDistances(q2, b, byteOff, n, len, out2);
    squareDistances(q3, b, byteOff, n, len, out3);
  }

  /**
   * {@link #dots} of four queries with the same stored vectors, as the four-query L2 form.
   *
   * @param q0 the first query, {@code len} floats from index 0
   * @param q1 the second query
   * @param q2 the third query
   * @param q3 the fourth query (any of the four may be the same array)
   * @param b the buffer the vectors are stored in, little-endian
   * @param byteOff the first vector's absolute byte offset in {@code b}; the others follow at
   *     {@code 4 * len} bytes each
   * @param n how many vectors
   * @param len components per vector (and per query)
   * @param out0 receives the {@code n} results of {@code q0} from index 0
   * @param out1 those of {@code q1}
   * @param out2 those of {@code q2}
   * @param out3 those of {@code q3}
   */
  default void dots(float[] q0, float[] q1, float[] q2, float[] q3, ByteBuffer b, int byteOff,
      int n, int len, float[] out0, float[] out1, float[] out2, float[] out3) {
    dots(q0, b, byteOff, n, len, out0);
    dots(q1, b, byteOff, n, len, out1);
    dots(q2, b, byteOff, n, len, out2);
    dots(q3, b, byteOff, n, len, out3);
  }
}
