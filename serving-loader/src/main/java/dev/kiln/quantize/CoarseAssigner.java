package dev.kiln.quantize;

import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * Assigns many vectors to their nearest list through a {@link CoarseProber}: k-means
 * iterations, PQ training's residuals and the build's encoding. The flat quantizer assigns with
 * its blocked kernel ({@link CoarseQuantizer#assign}); any other prober (the subspace bound,
 * which finds the same nearest centroid reading a tenth of the bytes) probes blocks of
 * queries with nprobe 1. One per thread: it keeps its blocks' working space.
 */
public final class CoarseAssigner {
  private static final VectorKernels K = VectorizationProvider.kernels();
  private final CoarseProber prober;
  private final int dim;
  private final CoarseQuantizer flat;
  private Probe[] probes = new Probe[0];
  private float[] chunk = new float[0];
  private float[] scores = new float[0];

  /**
   * An assigner to the lists of {@code prober}, for one thread.
   *
   * @param prober a {@link CoarseQuantizer}, which assigns with its blocked kernel, or another
   *     prober, probed with nprobe 1; {@link #quantizer()} needs a quantizer or a
   *     {@link SubspaceProber}
   * @param dim dimensions of the points
   */
  public CoarseAssigner(CoarseProber prober, int dim) {
    this.prober = prober;
    this.dim = dim;
    this.flat = prober instanceof CoarseQuantizer q ? q : null;
  }

  /**
   * The nearest list of each of the {@code n} rows of {@code points} (stride dim) into
   * {@code lists}, and when {@code dist} is non-null its distance there: squared L2, or minus
   * the inner product. Ties go to the lower list id.
   *
   * @param points the points, row-major from index 0, stride dim
   * @param n how many
   * @param lists receives each point's nearest list
   * @param dist receives each point's distance to it, or null
   */
  public void assign(float[] points, int n, int[] lists, float[] dist) {
    if (flat != null) {
      if (scores.length < n) {
        scores = new float[n];
      }
      flat.assign(points, n, lists, dist == null ? null : scores);
      if (dist != null) {
        for (int i = 0; i < n; i++) {
          float qq = K.dot(points, i * dim, points, i * dim, dim);
          dist[i] = flat.distance(scores[i], qq);
        }
      }
      return;
    }
    probeAll(points, n, 1, lists, dist, null);
  }

  /**
   * {@link #assign}, plus each row's distance to its second nearest list into {@code second}
   * (positive infinity when there is none): what k-means keeps to bound the next iteration.
   *
   * @param points the points, row-major from index 0, stride dim
   * @param n how many
   * @param lists receives each point's nearest list
   * @param dist receives each point's distance to it, or null
   * @param second receives each point's distance to its second nearest list
   */
  public void assignTwo(float[] points, int n, int[] lists, float[] dist, float[] second) {
    probeAll(points, n, 2, lists, dist, second);
  }

  /**
   * The quantizer whose centroids this assigns to.
   *
   * @return the prober itself, or the flat quantizer of a {@link SubspaceProber}
   * @throws ClassCastException when the prober is neither (an {@link HnswProber})
   */
  public CoarseQuantizer quantizer() {
    return flat != null ? flat : ((SubspaceProber) prober).quantizer();
  }

  private void probeAll(float[] points, int n, int nprobe, int[] lists, float[] dist,
      float[] second) {
    int block = prober.blockSize();
    if (probes.length < block) {
      probes = new Probe[block];
      Arrays.setAll(probes, i -> new Probe());
      chunk = new float[block * dim];
    }
    for (int c0 = 0; c0 < n; c0 += block) {
      int nc = Math.min(block, n - c0);
      System.arraycopy(points, c0 * dim, chunk, 0, nc * dim);
      prober.probeBlock(chunk, nc, nprobe, 0, probes);
      for (int i = 0; i < nc; i++) {
        // A point no list takes (its centroids all NaN: a damaged model) goes to list 0.
        lists[c0 + i] = probes[i].size() > 0 ? probes[i].list(0) : 0;
        if (dist != null) {
          dist[c0 + i] = probes[i].size() > 0 ? probes[i].distance(0) : Float.NaN;
        }
        if (second != null) {
          second[c0 + i] = probes[i].size() > 1 ? probes[i].distance(1) : Float.POSITIVE_INFINITY;
        }
      }
    }
  }
}
