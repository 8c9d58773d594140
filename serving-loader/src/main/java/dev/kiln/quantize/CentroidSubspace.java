package dev.kiln.quantize;

import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The few directions that hold most of the centroids' energy: an orthonormal basis P (rank x
 * dim) of their leading principal subspace, uncentered. Splitting a vector v into its part in
 * the subspace (Pv) and the rest (v⊥, of norm sqrt(|v|² − |Pv|²)) gives, for any query q and
 * centroid c,
 *
 * <pre>
 *   q·c = Pq·Pc + q⊥·c⊥ ≤ Pq·Pc + |q⊥| |c⊥|
 * </pre>
 *
 * so the {@code rank + 1}-dimensional vectors q' = (Pq, |q⊥|) and c' = (Pc, |c⊥|) bound every
 * score from below: |c|²/2 − q·c ≥ |c'|²/2 − q'·c' (|c'| = |c|), and −q·c ≥ −q'·c'.
 * {@link SubspaceProber} ranks the centroids by that bound and scores exactly only those the
 * bound cannot rule out. Any orthonormal P keeps the bound; the principal subspace makes it
 * tight, so few centroids are scored.
 *
 * <p>Found at load time from the centroids (no format change): subspace iteration over at
 * most {@link #MAX_SAMPLE} of them. The rank is the smallest multiple of
 * {@link #STEP} holding {@link #ENERGY} of the energy; when that takes more than a quarter of
 * the dimensions or more than {@link #MAX_RANK} (flat spectra, where the bound is loose and the
 * projection costs more than it saves) there is no subspace, and the flat quantizer serves.
 * Serializable: a build finds it once per k-means iteration on the driver and ships it with the
 * centroids.
 */
public final class CentroidSubspace implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private static final VectorKernels K = VectorizationProvider.kernels();

  /**
   * Share of the centroids' energy (sum of squared norms) the subspace must hold. Fashion-MNIST
   * IVF1024 (d 784) reaches it at rank 32, synth-1m IVF4096 (d 128, 24 latent factors) at 24.
   */
  static final double ENERGY = 0.98;
  /** Ranks are multiples of this (whole 4-row kernel calls, whole 256-bit vectors). */
  public static final int STEP = 8;
  /** The subspace pays when a query's projection (rank x dim) is small next to nlist x dim. */
  static final int MIN_LISTS = 256;
  /** Centroids the subspace is found from: a subspace needs a sample, not all of them. */
  static final int MAX_SAMPLE = 256;
  /** Largest rank tried, and the rank tried first. */
  static final int MAX_RANK = 128;
  private static final int FIRST_RANK = 48;
  private static final int ITERATIONS = 4;

  /** Dimensions of the subspace: a multiple of {@link #STEP}, at most dim / 4 and 128. */
  final int rank;
  /** Dimensions of the vectors. */
  final int dim;
  /** rank x dim, orthonormal rows. */
  final float[] basis;

  private CentroidSubspace(int rank, int dim, float[] basis) {
    this.rank = rank;
    this.dim = dim;
    this.basis = basis;
  }

  /**
   * The subspace of these centroids, or null when it would not pay: too few lists, a rank over
   * a quarter of the dimensions or over {@link #MAX_RANK}, sampled centroids all zero, or a
   * centroid that is not finite (a damaged model).
   *
   * @param centroids nlist x dim floats, row-major
   * @param nlist how many centroids; below {@link #MIN_LISTS} there is no subspace
   * @param dim dimensions of a centroid
   * @return the subspace, or null
   */
  public static CentroidSubspace of(float[] centroids, int nlist, int dim) {
    int maxRank = Math.min(MAX_RANK, dim / 4 / STEP * STEP);
    if (nlist < MIN_LISTS || maxRank < STEP) {
      return null;
    }
    Sample sample = Sample.of(centroids, nlist, dim);
    if (sample == null) {
      return null;
    }
    // Most embeddings need a small rank: try that first, the widest only when it falls short.
    for (int cap : new int[] {Math.min(maxRank, FIRST_RANK), maxRank}) {
      CentroidSubspace s = find(sample, cap);
      if (s != null || cap == maxRank) {
        return s;
      }
    }
    return null;
  }

  /**
   * The subspace of the {@code rank} leading directions of these centroids, whatever energy
   * they hold: a wider subspace than {@link #of} finds bounds distances more tightly, for
   * IVF-Flat scans that lift every item once at open.
   *
   * @param centroids nlist x dim floats, row-major
   * @param nlist how many centroids
   * @param dim dimensions of a centroid
   * @param rank the subspace's dimensions, a positive multiple of {@link #STEP}, at most dim
   * @return the subspace, or null when a centroid is not finite or the sample is all zero
   * @throws IllegalArgumentException when the rank is not such a multiple
   */
  public static CentroidSubspace ofRank(float[] centroids, int nlist, int dim, int rank) {
    if (rank <= 0 || rank % STEP != 0 || rank > dim) {
      throw new IllegalArgumentException("rank " + rank + ": not a positive multiple of " + STEP
          + " up to " + dim);
    }
    Sample sample = Sample.of(centroids, nlist, dim);
    if (sample == null) {
      return null;
    }
    double[][] q = sample.iterate(Math.min(dim, rank + STEP));
    byEnergy(sample, q);
    return basisOf(Arrays.copyOf(q, rank), dim);
  }

  /**
   * The smallest rank up to {@code cap} that holds {@link #ENERGY} of the sample's energy, from
   * subspace iteration over cap + STEP directions; null when none does.
   */
  private static CentroidSubspace find(Sample sample, int cap) {
    double[][] q = sample.iterate(Math.min(sample.dim, cap + STEP));
    double[] energy = byEnergy(sample, q);
    int rank = 0;
    double held = 0;
    while (rank < cap && held < ENERGY * sample.energy) {
      for (int i = rank; i < rank + STEP; i++) {
        held += energy[i];
      }
      rank += STEP;
    }
    if (held < ENERGY * sample.energy) {
      return null;
    }
    return basisOf(Arrays.copyOf(q, rank), sample.dim);
  }

  /** Sorts the directions by the sample's energy along them, most first; returns the energies. */
  private static double[] byEnergy(Sample sample, double[][] q) {
    int width = q.length;
    double[] energy = new double[width];
    for (int i = 0; i < width; i++) {
      energy[i] = sample.energyAlong(q[i]);
    }
    Integer[] order = new Integer[width];
    for (int i = 0; i < width; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(energy[b], energy[a]));
    double[][] rows = q.clone();
    double[] sorted = new double[width];
    for (int i = 0; i < width; i++) {
      q[i] = rows[order[i]];
      sorted[i] = energy[order[i]];
    }
    return sorted;
  }

  /** The subspace spanned by these directions, made orthonormal in float. */
  private static CentroidSubspace basisOf(double[][] top, int dim) {
    int rank = top.length;
    orthonormalize(top, 2); // twice: once can leave rounding-sized overlaps
    float[] basis = new float[rank * dim];
    for (int i = 0; i < rank; i++) {
      for (int j = 0; j < dim; j++) {
        basis[i * dim + j] = (float) top[i][j];
      }
    }
    return new CentroidSubspace(rank, dim, basis);
  }

  /**
   * Floats of a lifted vector.
   *
   * @return rank + 1
   */
  public int width() {
    return rank + 1;
  }

  /**
   * Lifts a vector: for any two lifted vectors the squared L2 distance is at most the original
   * vectors' ({@code |Pq - Px|² + (|q⊥| - |x⊥|)² <= |q - x|²}), up to rounding.
   *
   * @param v holds the vector, {@code dim} floats from {@code off}
   * @param off where it starts
   * @param out receives its {@link #width()} lifted coordinates from {@code outOff}: its
   *     projection onto the basis, then the norm of the rest
   * @param outOff where they go
   * @return the vector's squared norm
   */
  public float lift(float[] v, int off, float[] out, int outOff) {
    float vv = K.dot(v, off, v, off, dim);
    lift(v, off, vv, out, outOff);
    return vv;
  }

  /**
   * The {@code rank + 1} coordinates q' of the vector at {@code v[off ..]} into
   * {@code out[outOff ..]}: its projection, then the norm of the rest. {@code vv} is its
   * squared norm.
   */
  void lift(float[] v, int off, float vv, float[] out, int outOff) {
    project(v, off, 0, out, outOff);
    rest(vv, out, outOff);
  }

  /**
   * The vector's coordinates along basis rows {@code from .. rank - 1} (a multiple of 4), by
   * {@code dot4} per four rows, into {@code out[outOff + from ..]}.
   */
  void project(float[] v, int off, int from, float[] out, int outOff) {
    for (int i = from; i < rank; i += 4) {
      K.dot4(v, off, basis, i * dim, (i + 1) * dim, (i + 2) * dim, (i + 3) * dim, dim, out,
          outOff + i);
    }
  }

  /**
   * Completes a lifted vector whose projection is in {@code out[outOff ..]}: the norm of the
   * rest, sqrt(|v|² − |Pv|²), into {@code out[outOff + rank]}. {@code vv} is |v|².
   */
  void rest(float vv, float[] out, int outOff) {
    float inside = K.dot(out, outOff, out, outOff, rank);
    out[outOff + rank] = (float) Math.sqrt(Math.max(0f, vv - inside));
  }

  /**
   * Every centroid lifted ({@link #lift}).
   *
   * @param centroids nlist x dim floats, row-major
   * @param nlist how many centroids
   * @return nlist rows of rank + 1 floats
   */
  public float[] liftAll(float[] centroids, int nlist) {
    int w = rank + 1;
    float[] out = new float[nlist * w];
    for (int c = 0; c < nlist; c++) {
      float cc = K.dot(centroids, c * dim, centroids, c * dim, dim);
      lift(centroids, c * dim, cc, out, c * w);
    }
    return out;
  }

  /**
   * Every k-th centroid, at most {@link #MAX_SAMPLE}, row-major and transposed, and their energy
   * (sum of squared norms): subspace iteration multiplies by S^T S without forming it.
   */
  private static final class Sample {
    final int n;
    final int dim;
    final float[] rows;
    final float[] cols;
    final double energy;
    private final float[] x;
    private final float[] y;
    private final float[] z;

    /** The sample, or null when a centroid is not finite or the sample is all zero. */
    static Sample of(float[] centroids, int nlist, int dim) {
      for (float v : centroids) {
        if (!Float.isFinite(v)) {
          return null;
        }
      }
      Sample sample = new Sample(centroids, nlist, dim);
      return sample.energy > 0 ? sample : null;
    }

    Sample(float[] centroids, int nlist, int dim) {
      int every = (nlist + MAX_SAMPLE - 1) / MAX_SAMPLE;
      this.n = (nlist + every - 1) / every;
      this.dim = dim;
      this.rows = new float[n * dim];
      this.cols = new float[dim * n];
      double e = 0;
      for (int s = 0; s < n; s++) {
        System.arraycopy(centroids, s * every * dim, rows, s * dim, dim);
        for (int j = 0; j < dim; j++) {
          float v = rows[s * dim + j];
          cols[j * n + s] = v;
          e += (double) v * v;
        }
      }
      this.energy = e;
      this.x = new float[dim];
      this.y = new float[n];
      this.z = new float[dim];
    }

    /** S v: the sample's dot products with {@code v}, into {@link #y}. */
    private void project(double[] v) {
      for (int j = 0; j < dim; j++) {
        x[j] = (float) v[j];
      }
      for (int s = 0; s < n; s++) {
        y[s] = K.dot(rows, s * dim, x, 0, dim);
      }
    }

    /** |S v|²: the energy of the sample along the unit vector v. */
    double energyAlong(double[] v) {
      project(v);
      return K.dot(y, 0, y, 0, n);
    }

    /** Subspace iteration with S^T S: {@code width} orthonormal rows. */
    double[][] iterate(int width) {
      SplittableRandom random = new SplittableRandom(0x6b696c6eL);
      double[][] q = new double[width][dim];
      for (double[] row : q) {
        for (int j = 0; j < dim; j++) {
          row[j] = random.nextDouble() - 0.5;
        }
      }
      orthonormalize(q, 1);
      for (int it = 0; it < ITERATIONS; it++) {
        for (double[] v : q) {
          project(v);
          for (int j = 0; j < dim; j++) {
            z[j] = K.dot(cols, j * n, y, 0, n);
          }
          for (int j = 0; j < dim; j++) {
            v[j] = z[j];
          }
        }
        orthonormalize(q, 1);
      }
      return q;
    }
  }

  /**
   * Modified Gram-Schmidt, {@code passes} times over: the rows become orthonormal; a row that
   * depends on the earlier ones is replaced by a fresh direction.
   */
  private static void orthonormalize(double[][] rows, int passes) {
    SplittableRandom random = new SplittableRandom(rows.length);
    for (int pass = 0; pass < passes; pass++) {
      for (int i = 0; i < rows.length; i++) {
        double[] r = rows[i];
        for (int attempt = 0; ; attempt++) {
          double before = norm(r);
          for (int p = 0; p < i; p++) {
            double[] o = rows[p];
            double d = 0;
            for (int j = 0; j < r.length; j++) {
              d += r[j] * o[j];
            }
            for (int j = 0; j < r.length; j++) {
              r[j] -= d * o[j];
            }
          }
          double after = norm(r);
          if (after > 1e-6 * before && after > 0 || attempt == 8) {
            for (int j = 0; j < r.length; j++) {
              r[j] /= after;
            }
            break;
          }
          for (int j = 0; j < r.length; j++) {
            r[j] = random.nextDouble() - 0.5;
          }
        }
      }
    }
  }

  private static double norm(double[] r) {
    double s = 0;
    for (double v : r) {
      s += v * v;
    }
    return Math.sqrt(s);
  }
}
