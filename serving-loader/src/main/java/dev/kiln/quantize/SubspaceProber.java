package dev.kiln.quantize;

import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;

/**
 * The flat coarse step's answer (the {@code nprobe} nearest centroids, exactly) without scoring
 * every centroid in full: each centroid is first bounded from below in {@code rank + 1}
 * dimensions ({@link CentroidSubspace}: for Fashion-MNIST's 784-d centroids, 41 dimensions),
 * and only those whose bound does not already lose to the nprobe-th best full score are scored
 * in full (see {@code rescore}). At nprobe 16 that is about 50 of Fashion-MNIST's 1,024
 * centroids and 16 of synth-1m's 4,096, so a query reads a tenth of the bytes the flat step
 * reads (3.2 MB for Fashion-MNIST, more than the L2 cache): the single-query path ({@code
 * each}) was bound by those reads.
 *
 * <p>Scores are {@link CoarseQuantizer#scores}' (one row at a time, so they can differ from
 * the flat step's panel kernel in the last bits; a centroid is ruled out only when its bound
 * is past the threshold by {@link #SLACK} of the scores' scale, far above that rounding).
 * Single and batch probes share the arithmetic, so they return the same lists.
 */
public final class SubspaceProber implements CoarseProber {
  private static final VectorKernels K = VectorizationProvider.kernels();
  /** Relative margin on the bound: rounding of the bound and of the score stay far below it. */
  static final float SLACK = 1e-4f;

  private final CoarseQuantizer flat;
  private final CentroidSubspace subspace;
  /** The centroids lifted to rank + 1 dimensions: its scores are the lower bounds. */
  private final CoarseQuantizer lifted;
  private final int dim;
  private final int width;
  /** The largest squared centroid norm: with the query's, the scale of the scores. */
  private final float maxNorm;

  private SubspaceProber(CoarseQuantizer flat, CentroidSubspace subspace) {
    this.flat = flat;
    this.subspace = subspace;
    this.dim = flat.dim();
    this.width = subspace.rank + 1;
    int nlist = flat.nlist();
    this.lifted = new CoarseQuantizer(subspace.liftAll(flat.centroids(), nlist), nlist, width,
        flat.innerProduct() ? Metric.IP : Metric.L2);
    float max = 0;
    for (int i = 0; i < nlist; i++) {
      max = Math.max(max, 2 * flat.halfNorm(i));
    }
    this.maxNorm = max;
  }

  /**
   * The prober for a flat quantizer: this one when the centroids have a subspace that pays
   * ({@link CentroidSubspace#of}), else the flat quantizer itself.
   *
   * @param flat the flat quantizer, whose answers the prober gives
   * @return a {@link SubspaceProber}, or {@code flat}
   */
  public static CoarseProber of(CoarseQuantizer flat) {
    return of(flat, CentroidSubspace.of(flat.centroids(), flat.nlist(), flat.dim()));
  }

  /**
   * The prober for a flat quantizer and the subspace found from its centroids (null: none, the
   * flat quantizer serves).
   *
   * @param flat the flat quantizer, whose answers the prober gives
   * @param s the subspace of its centroids, or null
   * @return a {@link SubspaceProber}, or {@code flat} when {@code s} is null
   * @throws IllegalArgumentException when the subspace is not of the centroids' dimension
   */
  public static CoarseProber of(CoarseQuantizer flat, CentroidSubspace s) {
    if (s != null && s.dim != flat.dim()) {
      throw new IllegalArgumentException("a subspace of R^" + s.dim + " for centroids of "
          + flat.dim() + " dimensions");
    }
    return s == null ? flat : new SubspaceProber(flat, s);
  }

  /** The flat quantizer whose answers this gives. */
  CoarseQuantizer quantizer() {
    return flat;
  }

  /**
   * Dimensions of the subspace.
   *
   * @return the rank: the lower bounds are in rank + 1 dimensions
   */
  public int rank() {
    return subspace.rank;
  }

  /**
   * The centroids' subspace this prober bounds scores in.
   *
   * @return the subspace
   */
  public CentroidSubspace subspace() {
    return subspace;
  }

  /**
   * The centroids, the flat quantizer's array itself.
   *
   * @return nlist x dim floats, row-major
   */
  public float[] centroids() {
    return flat.centroids();
  }

  /**
   * The centroids lifted into the subspace ({@link CentroidSubspace#lift}), the array itself.
   *
   * @return nlist x (rank + 1) floats, row-major
   */
  public float[] liftedCentroids() {
    return lifted.centroids();
  }

  @Override
  public int nlist() {
    return flat.nlist();
  }

  /** Bounds pay while few lists are probed; past a quarter of them the flat step is cheaper. */
  private boolean flatFor(int nprobe) {
    return (long) nprobe * 4 > flat.nlist();
  }

  @Override
  public Probe probe(float[] q, int qOff, int nprobe, int efSearch, Probe out) {
    if (flatFor(nprobe)) {
      return flat.probe(q, qOff, nprobe, efSearch, out);
    }
    Scratch s = out.subspaceScratch(width, 1);
    float qq = K.dot(q, qOff, q, qOff, dim);
    subspace.lift(q, qOff, qq, s.lifted, 0);
    float[] dots = out.dots(lifted.scratchLength());
    lifted.dots(s.lifted, 0, dots, 0);
    return rescore(q, qOff, qq, nprobe, out, s);
  }

  @Override
  public int blockSize() {
    return Math.min(flat.blockSize(), lifted.blockSize());
  }

  @Override
  public void probeBlock(float[] queries, int n, int nprobe, int efSearch, Probe[] out) {
    if (flatFor(nprobe)) {
      flat.probeBlock(queries, n, nprobe, efSearch, out);
      return;
    }
    Scratch s = out[0].subspaceScratch(width, n);
    for (int i = 0; i < n; i++) {
      float qq = K.dot(queries, i * dim, queries, i * dim, dim);
      s.norms[i] = qq;
      subspace.lift(queries, i * dim, qq, s.lifted, i * width);
    }
    lifted.blockDots(s.lifted, n, out);
    for (int i = 0; i < n; i++) {
      rescore(queries, i * dim, s.norms[i], nprobe, out[i], s); // one query at a time: one scratch
    }
  }

  /**
   * From the bounds in {@code out.dots}: scores in full the nprobe centroids of lowest bound,
   * whose worst score is then a threshold no nearer centroid can be past; then every other
   * centroid whose bound is within it (a vector compare per panel of 64, no heap), skipping
   * those whose bound the improving threshold has passed; writes the nearest nprobe.
   */
  private Probe rescore(float[] q, int qOff, float qq, int nprobe, Probe out, Scratch s) {
    int nlist = flat.nlist();
    int p = Math.min(nprobe, nlist);
    float slack = SLACK * (qq + maxNorm);
    TopK best = s.best;
    best.reset(p);
    s.ensure(p, nlist);
    int stamp = s.nextStamp();
    out.heap.reset(p);
    lifted.offerScores(out.dots, 0, out.heap);
    int got = out.heap.drainSorted(s.bound, s.ids);
    for (int i = 0; i < got; i += 4) {
      int g = Math.min(4, got - i);
      for (int j = 0; j < g; j++) {
        int c = (int) s.ids[i + j];
        s.group[j] = c;
        s.seen[c] = stamp;
      }
      score(q, qOff, g, s);
    }
    // A centroid whose bound is NaN ranks nowhere, as in the flat step.
    int pending = 0;
    float limit = best.threshold() + slack;
    for (int g0 = 0; g0 < nlist; g0 += VectorKernels.PANEL) {
      long bits = lifted.atMost(g0, out.dots, 0, limit);
      while (bits != 0) {
        int c = g0 + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        if (s.seen[c] == stamp || lifted.score(out.dots, c) > best.threshold() + slack) {
          continue;
        }
        s.group[pending++] = c;
        if (pending == 4) {
          score(q, qOff, 4, s);
          pending = 0;
        }
      }
    }
    score(q, qOff, pending, s);
    out.ensureLists(p);
    int ranked = best.drainSorted(out.dist, out.lists);
    for (int i = 0; i < ranked; i++) {
      out.dist[i] = flat.distance(out.dist[i], qq);
    }
    out.size = ranked;
    return out;
  }

  /** Scores the {@code g} centroids in {@code s.group} in full and offers them. */
  private void score(float[] q, int qOff, int g, Scratch s) {
    if (g == 0) {
      return;
    }
    flat.scores(q, qOff, s.group, g, s.scores);
    for (int j = 0; j < g; j++) {
      s.best.offer(s.scores[j], s.group[j]);
    }
  }

  /** A probe's working space here: lifted queries, bounds in order, the running best. */
  static final class Scratch {
    float[] lifted = new float[0];
    float[] norms = new float[0];
    float[] bound = new float[0];
    long[] ids = new long[0];
    final int[] group = new int[4];
    final float[] scores = new float[4];
    final TopK best = new TopK();

    void ensureLifted(int floats, int rows) {
      if (lifted.length < floats) {
        lifted = new float[floats];
      }
      if (norms.length < rows) {
        norms = new float[rows];
      }
    }

    /** Per centroid, the stamp of the last probe that scored it in full. */
    int[] seen = new int[0];
    private int stamp;

    void ensure(int p, int nlist) {
      if (bound.length < p) {
        bound = new float[p];
        ids = new long[p];
      }
      if (seen.length < nlist) {
        seen = new int[nlist];
        stamp = 0;
      }
    }

    int nextStamp() {
      if (++stamp == 0) {
        java.util.Arrays.fill(seen, 0);
        stamp = 1;
      }
      return stamp;
    }
  }
}
