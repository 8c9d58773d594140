package dev.kiln.quantize;

import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;

/**
 * Lifts many vectors into a {@link CentroidSubspace}, four at a time through the GEMM tile
 * kernel ({@link VectorKernels#dots4x64} over the basis in panels): each read of the basis
 * serves four vectors, where {@link CentroidSubspace#lift} reads all of it per vector. For the
 * items of an IVF-Flat index, lifted once at open: JMH {@code LiftBenchmark}, d = 784, rank 64,
 * 3.8 us for four against 2.5 us for each one alone. The coordinates agree with {@link
 * CentroidSubspace#lift} up to float rounding (the sums run in another order).
 *
 * <p>{@link #lift} uses the lifter's own scratch arrays: one thread at a time. {@link #liftOne}
 * uses only the caller's: any thread.
 */
public final class SubspaceLifter {
  private static final VectorKernels K = VectorizationProvider.kernels();
  private static final int P = VectorKernels.PANEL;
  private final int rank;
  private final int dim;
  private final float[] panels;
  /** Its rows past the whole panels ({@link #liftOne}), and the norm of the rest. */
  private final CentroidSubspace subspace;
  private final float[] rows;
  private final float[] tile = new float[4 * P];

  /**
   * A lifter into this subspace.
   *
   * @param s the subspace
   */
  public SubspaceLifter(CentroidSubspace s) {
    this.rank = s.rank;
    this.dim = s.dim;
    this.panels = CentroidPanels.transpose(s.basis, rank, dim);
    this.subspace = s;
    this.rows = new float[4 * dim];
  }

  /**
   * Floats of scratch {@link #liftOne} needs: a panel's outputs, {@link VectorKernels#PANEL},
   * per whole 64 dimensions of the subspace.
   *
   * @return the length
   */
  public int scratchLength() {
    return rank / P * P;
  }

  /**
   * Lifts one vector, as {@link CentroidSubspace#lift}: a query. Each whole 64 rows of the
   * basis take one call of the one-row tile kernel ({@link VectorKernels#dots1x64}), the rest
   * {@link VectorKernels#dot4} per four rows, which is faster for fewer rows. JMH {@code
   * LiftBenchmark}, d = 784: rank 64, 1.8 us against 2.5 with dot4 alone; rank 32, dot4 1.2 us
   * against the tile's 2.0.
   *
   * @param v holds the vector, dim floats from {@code off}
   * @param off where it starts
   * @param out receives its rank + 1 lifted coordinates from {@code outOff}
   * @param outOff where they go
   * @param scratch {@link #scratchLength()} floats from {@code scratchOff}, overwritten
   * @param scratchOff where they start
   * @return the vector's squared norm
   */
  public float liftOne(float[] v, int off, float[] out, int outOff, float[] scratch,
      int scratchOff) {
    int whole = rank / P * P;
    for (int t = 0; t * P < whole; t++) {
      K.dots1x64(v, off, panels, t * dim * P, dim, scratch, scratchOff + t * P);
    }
    System.arraycopy(scratch, scratchOff, out, outOff, whole);
    subspace.project(v, off, whole, out, outOff);
    float vv = K.dot(v, off, v, off, dim);
    subspace.rest(vv, out, outOff);
    return vv;
  }

  /**
   * Where the caller puts the vectors to lift: row i at {@code i * dim}.
   *
   * @return the array, 4 x dim floats
   */
  public float[] rows() {
    return rows;
  }

  /**
   * Lifts the first {@code n} vectors of {@link #rows()}: {@code rank + 1} floats each into
   * {@code out}, one after another from {@code outOff}, as {@link CentroidSubspace#lift}.
   *
   * @param n how many, 1 to 4
   * @param out receives the lifted vectors
   * @param outOff where the first goes
   * @return the largest squared norm of the n vectors
   */
  public float lift(int n, float[] out, int outOff) {
    int w = rank + 1;
    for (int t = 0; t * P < rank; t++) {
      // Fewer than four rows: repeat the last, whose outputs are not copied.
      K.dots4x64(rows, 0, Math.min(1, n - 1) * dim, Math.min(2, n - 1) * dim,
          Math.min(3, n - 1) * dim, panels, t * dim * P, dim, tile);
      int cols = Math.min(P, rank - t * P);
      for (int i = 0; i < n; i++) {
        System.arraycopy(tile, i * P, out, outOff + i * w + t * P, cols);
      }
    }
    float max = 0;
    for (int i = 0; i < n; i++) {
      float vv = K.dot(rows, i * dim, rows, i * dim, dim);
      subspace.rest(vv, out, outOff + i * w);
      max = Math.max(max, vv);
    }
    return max;
  }
}
