package dev.kiln.search;

import dev.kiln.format.ShardFile;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.SubspaceProber;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Lower bounds on the L2 distances of an IVF-Flat index's items, so a list scan computes in full
 * only the items that can still enter the top k. Each item x is lifted at open into the
 * centroids' principal subspace P ({@link CentroidSubspace}: Px, then |x⊥|, the norm of the
 * rest; rank + 1 floats), and for a query q lifted the same way
 *
 * <pre>
 *   |q - x|² = |P(q - x)|² + |q⊥ - x⊥|² ≥ |Pq - Px|² + (|q⊥| - |x⊥|)² = |q' - x'|²
 * </pre>
 *
 * An item whose bound already exceeds the k-th best distance found so far cannot enter the top
 * k: a scan reads its rank + 1 floats instead of its d. Fashion-MNIST IVF1024 (d 784, rank
 * 32): at nprobe 16 the bound rules out about 45% of the items scanned, at nprobe 64 about 75%
 * (the first list scanned has no k-th distance yet and is scored in full).
 *
 * <p>The answer is the full scan's, bit for bit: ruled-out items could not have entered the
 * top k, and the others are scored by the same kernel. Rounding cannot break the bound: an item
 * is ruled out only past the threshold by {@link #SLACK} of the distance and of the vectors'
 * norms, far above the error of float lifted coordinates (the worst is |x⊥| from the
 * difference of two squared norms: about sqrt(eps) |x|, 2.4e-4 of it).
 *
 * <p>Held in the heap, list after list: {@code 4 (rank + 1)} bytes an item (132 for Fashion's
 * 3,136-byte vectors). Made when the metric is L2, the centroids have a subspace, and
 * {@link OpenOptions#flatPruning} is on.
 */
final class FlatBounds {
  private static final VectorKernels K = VectorizationProvider.kernels();
  /** Relative margin of a ruling-out: rounding of the bounds and distances stays far below. */
  static final float SLACK = 1e-3f;

  private final CentroidSubspace subspace;
  private final int width;
  /** Per shard, its items lifted, in list-then-id order (ordinal x width). */
  private final float[][] lifted;
  /** The centroids lifted, nlist x width: the coarse step's own array. */
  private final float[] liftedCentroids;
  /** The largest norm of an item: with the query's, the scale of the rounding. */
  private final float maxNorm;

  private FlatBounds(CentroidSubspace subspace, float[][] lifted, float[] liftedCentroids,
      float maxNorm) {
    this.subspace = subspace;
    this.liftedCentroids = liftedCentroids;
    this.width = subspace.width();
    this.lifted = lifted;
    this.maxNorm = maxNorm;
  }

  /**
   * The bounds of every item of these shards, or null when a shard has too many items for one
   * array of lifted rows.
   *
   * @param heapRows per shard, its file as floats, or null to read the vectors from the shard
   * @param prober the coarse step's prober: its subspace, and its centroids already lifted
   */
  static FlatBounds of(ShardFile[] shards, float[][] heapRows, int dim, SubspaceProber prober) {
    CentroidSubspace s = prober.subspace();
    int width = s.width();
    float[][] lifted = new float[shards.length][];
    float[] row = new float[dim];
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
        for (int i = 0; i < n; i++, to += width) {
          float vv;
          if (heapRows[si] != null) {
            vv = s.lift(heapRows[si], at + i * dim, out, to);
          } else {
            floats.get(at + i * dim, row, 0, dim);
            vv = s.lift(row, 0, out, to);
          }
          maxSquared = Math.max(maxSquared, vv);
        }
      }
    }
    return new FlatBounds(s, lifted, prober.liftedCentroids(), (float) Math.sqrt(maxSquared));
  }

  /** Floats of a query's state: its lifted coordinates, then its norm (NaN until lifted). */
  int stateLength() {
    return width + 1;
  }

  /** Marks the query's state not lifted yet: queries that probe one list never need it. */
  void prepare(float[] state) {
    if (state.length > width) {
      state[width] = Float.NaN;
    }
  }

  /**
   * The lifted distance beyond which an item cannot beat {@code kth}, the k-th best distance
   * so far; +Inf (rule nothing out) while there is none or the state has no room for the
   * lifted query. Lifts the query on first use.
   */
  float cut(float[] query, float[] state, float kth) {
    if (kth == Float.POSITIVE_INFINITY || state.length <= width) {
      return Float.POSITIVE_INFINITY;
    }
    if (Float.isNaN(state[width])) {
      state[width] = (float) Math.sqrt(subspace.lift(query, 0, state, 0));
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
