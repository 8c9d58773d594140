package dev.kiln.job.graph;

import dev.kiln.format.HnswSection;
import dev.kiln.format.Metric;
import dev.kiln.graph.GraphBeam;
import dev.kiln.graph.GraphInsert;
import dev.kiln.graph.GraphRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Builds HNSW graphs (Malkov and Yashunin) with the insertion rule of Faiss's
 * {@code IndexHNSWFlat} and hnswlib ({@link GraphInsert}, shared with the loader's fresh set):
 * the graph over the coarse centroids of
 * {@code IVF{n}_HNSW{M}} (on the driver) and the graph over one shard's items of
 * {@code HNSW{M}} (in the task that writes the shard).
 *
 * <p>Why not Lucene's builder, which Kiln used first: Lucene applies its diversity heuristic to
 * every new node's neighbours, where Faiss and hnswlib apply it only when the beam holds more
 * candidates than a row has slots ({@link GraphRows#shrink}). With M 32 and efConstruction 40
 * (Faiss's defaults) a level-0 row has 64 slots, so Faiss keeps all 40 candidates and prunes
 * only rows that overflow ({@code GraphRows.shrink}): on Fashion-MNIST its level 0 averages 41 links against Lucene's
 * 10.8, and recall@10 at efSearch 16 was 0.987 against 0.958. efSearch means what it means in
 * Faiss only on a graph built by Faiss's rule.
 *
 * <p>Order: highest level first (the upper levels form before the mass of level 0 arrives, as
 * in Faiss), within a level shuffled from {@code seed}; levels are drawn from {@code seed} too.
 * Insertions go in batches: each node of a batch searches the graph as it stood before the
 * batch (in parallel: the searches are most of the work), then the batch's links are added in
 * batch order, each row's by one thread. Batch sizes depend on the node count alone, so the
 * same vectors and seed give the same graph, byte for byte, on any number of threads; a batch
 * is at most 1/64 of the nodes already in, so a node misses few of its true neighbours by not
 * seeing its batch-mates.
 */
public final class HnswBuilder {
  /**
   * The beam while inserting centroids (Faiss defaults to 40): a graph over centroids is small
   * and built once, so a wider beam for better links costs little.
   */
  public static final int EF_CONSTRUCTION = 100;

  /** Insertions in one batch at most. */
  static final int MAX_BATCH = 1024;

  private final GraphRows g;
  private final int efConstruction;
  private GraphInsert insert;

  private HnswBuilder(GraphRows g, int efConstruction) {
    this.g = g;
    this.efConstruction = efConstruction;
  }

  /**
   * The graph over {@code nlist} centroids (row-major, stride dim): linked by squared L2 for l2,
   * by inner product for ip and cosine (the coarse quantizer's ranking).
   */
  public static HnswSection build(float[] centroids, int nlist, int dim, Metric metric, int m,
      long seed) {
    return build(centroids, nlist, dim, metric, m, EF_CONSTRUCTION, seed,
        Runtime.getRuntime().availableProcessors());
  }

  /**
   * The graph over {@code n} vectors (row-major, stride dim; cosine vectors already normalized),
   * node i being row i, inserted with a beam of {@code efConstruction} on {@code threads}
   * threads (the graph does not depend on how many).
   */
  public static HnswSection build(float[] vectors, int n, int dim, Metric metric, int m,
      int efConstruction, long seed, int threads) {
    if (n < 1 || vectors.length < (long) n * dim || m < 2 || efConstruction < 1 || threads < 1) {
      throw new IllegalArgumentException("bad graph: n=" + n + " d=" + dim + " M=" + m
          + " efConstruction=" + efConstruction + " threads=" + threads);
    }
    int[] level = levels(n, m, new SplittableRandom(seed));
    HnswBuilder b = new HnswBuilder(new GraphRows(vectors, n, dim, metric, m, level),
        efConstruction);
    b.insertAll(insertionOrder(level, new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L)),
        Math.min(threads, Math.max(1, n / 256)));
    return b.export();
  }

  /** Each node's level: floor(-ln(U) / ln(M)), as Faiss's and hnswlib's level generators. */
  private static int[] levels(int n, int m, SplittableRandom r) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = GraphInsert.drawLevel(r, m);
    }
    return out;
  }

  /** Highest level first; within a level, a seeded shuffle. */
  static int[] insertionOrder(int[] level, SplittableRandom r) {
    int top = 0;
    for (int l : level) {
      top = Math.max(top, l);
    }
    int[] start = new int[top + 2];
    for (int l : level) {
      start[top - l + 1]++;
    }
    for (int i = 1; i < start.length; i++) {
      start[i] += start[i - 1];
    }
    int[] order = new int[level.length];
    int[] at = Arrays.copyOf(start, start.length);
    for (int i = 0; i < level.length; i++) {
      order[at[top - level[i]]++] = i;
    }
    for (int b = 0; b <= top; b++) {
      for (int i = start[b]; i < start[b + 1] - 1; i++) {
        int j = i + r.nextInt(start[b + 1] - i);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  /** Nodes inserted together once {@code inserted} are in: 1/64 of them, 1 to MAX_BATCH. */
  static int batchSize(int inserted) {
    return Math.max(1, Math.min(MAX_BATCH, inserted / 64));
  }

  private void insertAll(int[] order, int threads) {
    insert = new GraphInsert(g, efConstruction);
    insert.start(order[0]);
    GraphBeam[] beams = new GraphBeam[threads];
    for (int t = 0; t < threads; t++) {
      beams[t] = insert.newBeam();
    }
    GraphInsert.Links[] plans = new GraphInsert.Links[Math.min(MAX_BATCH, g.n)];
    for (int k = 0; k < plans.length; k++) {
      plans[k] = new GraphInsert.Links();
    }
    ExecutorService pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
      Thread t = new Thread(r, "kiln-hnsw-build");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int i = 1; i < order.length; ) {
        int from = i;
        int size = Math.min(batchSize(i), order.length - i);
        onThreads(pool, threads, t -> {
          for (int k = t; k < size; k += threads) {
            insert.plan(order[from + k], beams[t], plans[k]);
          }
        });
        onThreads(pool, threads, t -> {
          for (int k = 0; k < size; k++) {
            GraphInsert.Links p = plans[k];
            for (int l = 0; l < p.levels(); l++) {
              for (int j = 0; j < p.count(l); j++) {
                int target = p.target(l, j);
                if (target % threads == t) {
                  g.link(target, p.node(), p.distance(l, j), l, beams[t]);
                }
              }
            }
          }
        });
        i += size;
      }
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
  }

  /** Runs {@code body(t)} for t in [0, threads): t = 0 on the caller, the rest on the pool. */
  private static void onThreads(ExecutorService pool, int threads, IntConsumer body) {
    if (threads == 1) {
      body.accept(0);
      return;
    }
    List<Future<?>> done = new ArrayList<>(threads - 1);
    for (int t = 1; t < threads; t++) {
      int thread = t;
      done.add(pool.submit(() -> body.accept(thread)));
    }
    body.accept(0);
    try {
      for (Future<?> f : done) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("graph build interrupted", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
    }
  }

  /** The built graph as {@link HnswSection}'s arrays, every node reachable on level 0. */
  private HnswSection export() {
    int m = g.m;
    int entry = insert.entry();
    int maxLevel = insert.maxLevel();
    HnswRepair.connect(g.links0(), g.count0(), g.n, 2 * m, entry, g);
    int[][] nodes = new int[maxLevel][];
    int[][] rows = new int[maxLevel][];
    for (int l = 1; l <= maxLevel; l++) {
      int size = 0;
      for (int i = 0; i < g.n; i++) {
        size += g.level(i) >= l ? 1 : 0;
      }
      nodes[l - 1] = new int[size];
      rows[l - 1] = new int[size * m];
      int at = 0;
      for (int i = 0; i < g.n; i++) {
        if (g.level(i) >= l) {
          nodes[l - 1][at] = i;
          System.arraycopy(g.upperRows(i), (l - 1) * m, rows[l - 1], at * m, m);
          at++;
        }
      }
    }
    return HnswSection.of(m, efConstruction, entry, g.n, g.links0(), nodes, rows);
  }
}
