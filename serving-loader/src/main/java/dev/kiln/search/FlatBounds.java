package dev.kiln.search;

import dev.kiln.format.ShardFile;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.SubspaceLifter;
import dev.kiln.quantize.SubspaceProber;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Lower bounds on the L2 distances of an IVF-Flat index's items, so a list scan computes in full
 * only the items that can still enter the top k. Each item x is lifted at open into a principal
 * subspace P of the centroids ({@link CentroidSubspace}: Px, then |x⊥|, the norm of the rest;
 * rank + 1 floats), and for a query q lifted the same way
 *
 * <pre>
 *   |q - x|² = |P(q - x)|² + |q⊥ - x⊥|² ≥ |Pq - Px|² + (|q⊥| - |x⊥|)² = |q' - x'|²
 * </pre>
 *
 * An item whose bound already exceeds the k-th best distance found so far cannot enter the top
 * k: a scan reads its rank + 1 floats instead of its d.
 *
 * <p>The rank is {@link #boundRank}: a twelfth of the dimensions (at most 128), or the coarse
 * step's rank where that is wider. The coarse step's own subspace holds 98% of the centroids'
 * energy, but items lie farther from it than centroids do; a wider one bounds them more
 * tightly. Fashion-MNIST IVF1024 (d 784), share of the items after the first list a bound of
 * this rank rules out at the final k-th distance (numpy, 500 queries), and a mapped search's
 * QPS one query a call (2 MiB pages, median of three runs, session 38):
 *
 * <pre>
 *   rank   ruled out, nprobe 4 / 16    QPS nprobe 4 / 16 / 64
 *    32        0.26 / 0.48              17.5k / 5.06k / 2.17k   (the coarse step's)
 *    64        0.47 / 0.70              17.0k / 6.37k / 2.59k   (d / 12: this one)
 *    96        0.61 / 0.81              15.6k / 6.54k / 2.89k
 *   128        0.70 / 0.87              17.3k / 6.32k / 2.88k
 * </pre>
 *
 * Past rank 64 the query's lift (rank x d per query) and the lifted rows' reads eat what the
 * items ruled out save, and the heap holds more.
 *
 * <p>The answer is the full scan's, bit for bit: ruled-out items could not have entered the
 * top k, and the others are scored by the same kernel. Rounding cannot break the bound: an item
 * is ruled out only past the threshold by {@link #SLACK} of the distance and of the vectors'
 * norms, far above the error of float lifted coordinates (the worst is |x⊥| from the
 * difference of two squared norms: about sqrt(eps) |x|, 2.4e-4 of it).
 *
 * <p>Held in the heap, list after list: {@code 4 (rank + 1)} bytes an item (260 for Fashion's
 * 3,136-byte vectors). Made when the metric is L2, the centroids have a subspace, and
 * {@link OpenOptions#flatPruning} is on.
 */
final class FlatBounds {
  private static final VectorKernels K = VectorizationProvider.kernels();
  /** Relative margin of a ruling-out: rounding of the bounds and distances stays far below. */
  static final float SLACK = 1e-3f;
  /** Widest rank {@link #boundRank} gives. */
  static final int MAX_RANK = 128;
  /** The lifted rows take at most about this share of the vectors' bytes: 1 / 12. */
  static final int SHARE = 12;

  /** Lifts queries ({@link SubspaceLifter#liftOne}: any thread). */
  private final SubspaceLifter lifter;
  private final int width;
  /** Per shard, its items lifted, in list-then-id order (ordinal x width). */
  private final float[][] lifted;
  /** The centroids lifted, nlist x width: the coarse step's own array where the ranks agree. */
  private final float[] liftedCentroids;
  /** The largest norm of an item: with the query's, the scale of the rounding. */
  private final float maxNorm;

  private FlatBounds(CentroidSubspace subspace, SubspaceLifter lifter, float[][] lifted,
      float[] liftedCentroids, float maxNorm) {
    this.lifter = lifter;
    this.liftedCentroids = liftedCentroids;
    this.width = subspace.width();
    this.lifted = lifted;
    this.maxNorm = maxNorm;
  }

  /**
   * The bounds of every item of these shards, or null when a shard has too many items for one
   * array of lifted rows (or no subspace of that rank, for centroids that are not finite).
   *
   * @param heapRows per shard, its file as floats, or null to read the vectors from the shard
   * @param prober the coarse step's prober: its centroids, and its subspace where that is as
   *     wide as {@link #boundRank}
   */
  static FlatBounds of(ShardFile[] shards, float[][] heapRows, int dim, SubspaceProber prober) {
    return of(shards, heapRows, dim, prober, boundRank(dim, prober.rank()));
  }

  /**
   * The rank items are bounded in: d / 12 (a multiple of {@link CentroidSubspace#STEP}, at
   * most {@link #MAX_RANK}), or the coarse step's rank where that is wider.
   */
  static int boundRank(int dim, int coarseRank) {
    int step = CentroidSubspace.STEP;
    return Math.max(coarseRank, Math.min(MAX_RANK, dim / SHARE / step * step));
  }

  /** {@link #of(ShardFile[], float[][], int, SubspaceProber)} in a subspace of this rank. */
  static FlatBounds of(ShardFile[] shards, float[][] heapRows, int dim, SubspaceProber prober,
      int rank) {
    CentroidSubspace s = rank == prober.rank() ? prober.subspace()
        : CentroidSubspace.ofRank(prober.centroids(), prober.nlist(), dim, rank);
    if (s == null) {
      return null;
    }
    float[] liftedCentroids = s == prober.subspace() ? prober.liftedCentroids()
        : s.liftAll(prober.centroids(), prober.nlist());
    int width = s.width();
    float[][] lifted = new float[shards.length][];
    SubspaceLifter lifter = new SubspaceLifter(s);
    float[] rows = lifter.rows();
    double maxSquared = 0;
    for (int si = 0; si < shards.length; si++) {
      ShardFile shard = shards[si];
      if (shard.count() * width > Integer.MAX_VALUE - 16) {
        return null;
      }
      float[] out = new float[(int) shard.count() * width];
      lifted[si] = out;
      FloatBuffer floats = heapRows[si] != null ? null
          : shard.buffer().duplicate().clear().slice().order(ByteOrder.LITTLE_ENDIAN)
              .asFloatBuffer();
      for (int list = 0; list < shard.nlist(); list++) {
        int n = shard.listSize(list);
        int at = n == 0 ? 0 : shard.codesOffset(list) / Float.BYTES;
        int to = (int) shard.firstOrdinal(list) * width;
        for (int i = 0; i < n; i += 4, to += 4 * width) {
          int m = Math.min(4, n - i);
          if (heapRows[si] != null) {
            System.arraycopy(heapRows[si], at + i * dim, rows, 0, m * dim);
          } else {
            floats.get(at + i * dim, rows, 0, m * dim);
          }
          maxSquared = Math.max(maxSquared, lifter.lift(m, out, to));
        }
      }
    }
    return new FlatBounds(s, lifter, lifted, liftedCentroids, (float) Math.sqrt(maxSquared));
  }

  /** Floats of a lifted item or query: rank + 1. */
  int width() {
    return width;
  }

  /**
   * Floats of a query's state: its lifted coordinates, its norm (NaN until lifted), then the
   * lift's scratch.
   */
  int stateLength() {
    return width + 1 + lifter.scratchLength();
  }

  /** Marks the query's state not lifted yet: queries that probe one list never need it. */
  void prepare(float[] state) {
    if (state.length >= stateLength()) {
      state[width] = Float.NaN;
    }
  }

  /**
   * The lifted distance beyond which an item cannot beat {@code kth}, the k-th best distance
   * so far; +Inf (rule nothing out) while there is none or the state has no room for the
   * lifted query. Lifts the query on first use.
   */
  float cut(float[] query, float[] state, float kth) {
    if (kth == Float.POSITIVE_INFINITY || state.length < stateLength()) {
      return Float.POSITIVE_INFINITY;
    }
    if (Float.isNaN(state[width])) {
      state[width] = (float) Math.sqrt(lifter.liftOne(query, 0, state, 0, state, width + 1));
    }
    double r = Math.sqrt(kth) * (1 + SLACK) + SLACK * ((double) state[width] + maxNorm);
    return (float) (r * r);
  }

  /**
   * Whether bounding the list's items pays: its centroid, lifted, lies past {@code kth}. Most
   * items of a list whose lifted centroid is nearer survive their bounds (Fashion-MNIST IVF1024,
   * nprobe 16: 67% on average, where 4% of such lists keep a quarter or fewer), so the list is
   * scored whole; past 1.5 x kth, 99% of lists keep a quarter or fewer. Call after {@link #cut},
   * which lifts the query.
   */
  boolean paysToBound(float[] state, int list, float kth) {
    return K.squareDistance(state, 0, liftedCentroids, list * width, width) > kth;
  }

  /** The lifted distances of the list's n items of shard {@code si} into {@code out}. */
  void lower(float[] state, int si, ShardFile shard, int list, int n, float[] out) {
    K.squareDistances(state, lifted[si], (int) shard.firstOrdinal(list) * width, n, width, out);
  }
}
