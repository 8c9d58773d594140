package dev.kiln.job.train;

import dev.kiln.format.CoarseGraph;
import dev.kiln.format.Metric;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.hnsw.HnswGraph;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;

/**
 * Builds the HNSW graph over the coarse centroids of {@code IVF{n}_HNSW{M}} on the driver, with
 * Lucene's {@link HnswGraphBuilder} (its neighbour-selection heuristic, 2M links on level 0 and M
 * above, as Faiss and hnswlib do), scored by Kiln's own kernels. One thread, nodes inserted in
 * list order, levels drawn from {@code seed}: the same centroids and seed give the same graph,
 * byte for byte. At 65,536 centroids of 128 dimensions it takes seconds, next to minutes of
 * k-means.
 */
public final class CoarseGraphBuilder {
  /**
   * The beam while inserting (Faiss defaults to 40): a graph over centroids is small and built
   * once, so a wider beam for better links costs little.
   */
  public static final int EF_CONSTRUCTION = 100;

  private static final VectorKernels K = VectorizationProvider.kernels();

  private CoarseGraphBuilder() {}

  /**
   * The graph over {@code nlist} centroids (row-major, stride dim): linked by squared L2 for l2,
   * by inner product for ip and cosine (the coarse quantizer's ranking).
   */
  public static CoarseGraph build(float[] centroids, int nlist, int dim, Metric metric, int m,
      long seed) {
    try {
      Scores scores = new Scores(centroids, nlist, dim, metric != Metric.L2);
      OnHeapHnswGraph g = HnswGraphBuilder.create(scores, m, EF_CONSTRUCTION, seed).build(nlist);
      return export(g, nlist, m, scores);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // on-heap vectors: Lucene declares it, never throws it
    }
  }

  /** Lucene's graph as {@link CoarseGraph}'s arrays: rows in Lucene's order, nearest first. */
  private static CoarseGraph export(OnHeapHnswGraph g, int nlist, int m, Scores scores)
      throws IOException {
    int levels = g.numLevels();
    int[] level0 = rows(g, 0, allNodes(nlist), 2 * m);
    connect(level0, nlist, 2 * m, g.entryNode(), scores);
    int[][] nodes = new int[levels - 1][];
    int[][] links = new int[levels - 1][];
    for (int l = 1; l < levels; l++) {
      HnswGraph.NodesIterator it = g.getNodesOnLevel(l);
      int[] ids = new int[it.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = it.nextInt();
      }
      Arrays.sort(ids);
      nodes[l - 1] = ids;
      links[l - 1] = rows(g, l, ids, m);
    }
    return CoarseGraph.of(m, EF_CONSTRUCTION, g.entryNode(), nlist, level0, nodes, links);
  }

  /**
   * Links in every node a walk from the entry point cannot reach on level 0. HNSW's pruning
   * leaves a few such nodes (measured: 1 of 3,000 clumped centroids for l2, 250 for inner
   * product), and a list no walk reaches is never probed. Each one gets a link from its most
   * similar reached node with a free slot (when none has one, the least similar link of the
   * most similar reached node gives way), then the check runs again, since a replaced link may have been the only
   * way to some node. Deterministic: nodes are taken in ascending order.
   */
  static void connect(int[] level0, int n, int degree, int entry, Scores scores) {
    int[] todo = new int[n]; // the walk's queue, shared by every reach below
    for (int round = 0; round < 16; round++) {
      boolean[] reached = new boolean[n];
      if (reach(level0, degree, entry, reached, todo) == n) {
        return;
      }
      for (int u = 0; u < n; u++) {
        if (reached[u]) {
          continue;
        }
        int v = nearestReached(level0, degree, u, reached, scores);
        int row = v * degree;
        int slot = row + degree - 1;
        for (int j = row; j < row + degree; j++) {
          if (level0[j] < 0) {
            slot = j;
            break;
          }
        }
        level0[slot] = u;
        reach(level0, degree, u, reached, todo);
      }
    }
    throw new IllegalStateException("the coarse graph stays disconnected after 16 rounds");
  }

  /**
   * Marks what a walk from {@code from} reaches on level 0 that is not marked yet; returns how
   * many it marked. {@code todo} is the queue (n ints).
   */
  private static int reach(int[] level0, int degree, int from, boolean[] reached, int[] todo) {
    if (reached[from]) {
      return 0;
    }
    int head = 0;
    int tail = 0;
    reached[from] = true;
    todo[tail++] = from;
    while (head < tail) {
      int row = todo[head++] * degree;
      for (int j = row; j < row + degree && level0[j] >= 0; j++) {
        if (!reached[level0[j]]) {
          reached[level0[j]] = true;
          todo[tail++] = level0[j];
        }
      }
    }
    return tail;
  }

  /**
   * The reached node most similar to {@code u} that has a free slot, among u's own neighbours
   * first (they are its nearest), else among all reached nodes; when every reached node is full,
   * the most similar one. Replacing links only as a last resort keeps the repair from evicting
   * the links another repair just made (inner-product graphs funnel into a few hub nodes).
   */
  private static int nearestReached(int[] level0, int degree, int u, boolean[] reached,
      Scores scores) {
    RandomVectorScorer s = scores.scorer(u);
    int best = -1;
    int bestFree = -1;
    float score = Float.NEGATIVE_INFINITY;
    float scoreFree = Float.NEGATIVE_INFINITY;
    for (int pass = 0; pass < 2 && bestFree < 0; pass++) {
      int count = pass == 0 ? degree : reached.length;
      for (int i = 0; i < count; i++) {
        int v = pass == 0 ? level0[u * degree + i] : i;
        if (v < 0 || !reached[v]) {
          continue;
        }
        float sv = scoreOf(s, v);
        if (sv > score) {
          score = sv;
          best = v;
        }
        if (sv > scoreFree && level0[v * degree + degree - 1] < 0) {
          scoreFree = sv;
          bestFree = v;
        }
      }
    }
    return bestFree >= 0 ? bestFree : best;
  }

  private static float scoreOf(RandomVectorScorer s, int node) {
    try {
      return s.score(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] allNodes(int n) {
    int[] ids = new int[n];
    Arrays.setAll(ids, i -> i);
    return ids;
  }

  private static int[] rows(OnHeapHnswGraph g, int level, int[] ids, int degree)
      throws IOException {
    int[] out = new int[ids.length * degree];
    Arrays.fill(out, -1);
    for (int i = 0; i < ids.length; i++) {
      g.seek(level, ids[i]);
      int j = 0;
      for (int nb = g.nextNeighbor(); nb != DocIdSetIterator.NO_MORE_DOCS;
          nb = g.nextNeighbor()) {
        if (j == degree) {
          throw new IllegalStateException("node " + ids[i] + " has more than " + degree
              + " links on level " + level);
        }
        out[i * degree + j++] = nb;
      }
    }
    return out;
  }

  /**
   * Similarities for Lucene (larger is closer, never negative): 1 / (1 + squared L2), or the
   * inner product mapped monotonically onto positive numbers as Lucene maps maximum inner
   * product.
   */
  private static final class Scores implements RandomVectorScorerSupplier {
    private final float[] c;
    private final int n;
    private final int dim;
    private final boolean innerProduct;
    private final float[] halfNorms;

    Scores(float[] centroids, int n, int dim, boolean innerProduct) {
      this.c = centroids;
      this.n = n;
      this.dim = dim;
      this.innerProduct = innerProduct;
      this.halfNorms = new float[n];
      for (int i = 0; i < n; i++) {
        halfNorms[i] = 0.5f * K.dot(c, i * dim, c, i * dim, dim);
      }
    }

    @Override
    public RandomVectorScorer scorer(int ord) {
      return new RandomVectorScorer() {
        @Override
        public float score(int node) {
          float dot = K.dot(c, ord * dim, c, node * dim, dim);
          if (innerProduct) {
            return dot < 0 ? 1 / (1 - dot) : dot + 1;
          }
          float squared = Math.max(0f, 2 * (halfNorms[ord] + halfNorms[node] - dot));
          return 1 / (1 + squared);
        }

        @Override
        public int maxOrd() {
          return n;
        }
      };
    }

    @Override
    public RandomVectorScorerSupplier copy() {
      return this;
    }
  }
}
