package dev.kiln.job.graph;

import dev.kiln.graph.GraphRows;

/**
 * Links in every node that a walk from the entry point cannot reach on level 0. HNSW's pruning
 * can leave a few such nodes (measured with Lucene's builder: 1 of 3,000 clumped centroids for
 * l2, 250 for inner product, whose graphs funnel into a few hub nodes), and a node no walk
 * reaches is never found: a list never probed, an item never returned. Each one gets a link
 * from its nearest reached node with a free slot (when none has one, the last link of the
 * nearest reached node gives way), then the check runs again, since a replaced link may have
 * been the only way to some node. Deterministic: nodes are taken in ascending order.
 */
final class HnswRepair {
  private HnswRepair() {}

  /** Repairs level 0 ({@code n} rows of {@code degree}, -1 padded) in place. */
  static void connect(int[] level0, int[] counts, int n, int degree, int entry, GraphRows g) {
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
        int v = nearestReached(level0, degree, u, reached, g);
        int row = v * degree;
        int slot = row + degree - 1;
        for (int j = row; j < row + degree; j++) {
          if (level0[j] < 0) {
            slot = j;
            counts[v]++;
            break;
          }
        }
        level0[slot] = u;
        reach(level0, degree, u, reached, todo);
      }
    }
    throw new IllegalStateException("the graph stays disconnected after 16 rounds");
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
   * The reached node nearest to {@code u} that has a free slot, among u's own neighbours first
   * (they are its nearest), else among all reached nodes; when every reached node is full, the
   * nearest one. Replacing links only as a last resort keeps the repair from evicting the links
   * another repair just made.
   */
  private static int nearestReached(int[] level0, int degree, int u, boolean[] reached,
      GraphRows g) {
    int best = -1;
    int bestFree = -1;
    float dist = Float.POSITIVE_INFINITY;
    float distFree = Float.POSITIVE_INFINITY;
    for (int pass = 0; pass < 2 && bestFree < 0; pass++) {
      int count = pass == 0 ? degree : reached.length;
      for (int i = 0; i < count; i++) {
        int v = pass == 0 ? level0[u * degree + i] : i;
        if (v < 0 || !reached[v]) {
          continue;
        }
        float d = g.distance(u, v);
        if (d < dist) {
          dist = d;
          best = v;
        }
        if (d < distFree && level0[v * degree + degree - 1] < 0) {
          distFree = d;
          bestFree = v;
        }
      }
    }
    return bestFree >= 0 ? bestFree : best;
  }
}
