package dev.kiln.quantize;

import java.util.Arrays;

/**
 * A min-heap of (distance, node) pairs, nearest on top, ties to the lower node: the candidate
 * queue of an HNSW beam search, both the loader's ({@link GraphWalk}) and the builder's. Grows by
 * doubling and is reused, so a search allocates nothing once it has grown.
 */
public final class NodeHeap {
  private float[] dist = new float[64];
  private int[] node = new int[64];
  private int size;

  /** Empties the heap, keeping its arrays. */
  public void clear() {
    size = 0;
  }

  /**
   * How many pairs it holds.
   *
   * @return the count, 0 when empty
   */
  public int size() {
    return size;
  }

  /**
   * The nearest pair's distance; the heap must not be empty.
   *
   * @return the smallest distance held
   */
  public float topDistance() {
    return dist[0];
  }

  /**
   * Adds a pair, growing the arrays when they are full.
   *
   * @param d its distance
   * @param n its node
   */
  public void push(float d, int n) {
    if (size == dist.length) {
      dist = Arrays.copyOf(dist, 2 * size);
      node = Arrays.copyOf(node, 2 * size);
    }
    int j = size++;
    while (j > 0) {
      int p = (j - 1) >>> 1;
      if (!before(d, n, dist[p], node[p])) {
        break;
      }
      dist[j] = dist[p];
      node[j] = node[p];
      j = p;
    }
    dist[j] = d;
    node[j] = n;
  }

  /**
   * Removes the nearest pair (its distance is {@link #topDistance}) and returns its node. The
   * heap must not be empty.
   *
   * @return the node of the pair removed
   */
  public int pop() {
    int top = node[0];
    int n = --size;
    float d = dist[n];
    int last = node[n];
    int j = 0;
    while (true) {
      int l = 2 * j + 1;
      if (l >= n) {
        break;
      }
      int w = l + 1 < n && before(dist[l + 1], node[l + 1], dist[l], node[l]) ? l + 1 : l;
      if (!before(dist[w], node[w], d, last)) {
        break;
      }
      dist[j] = dist[w];
      node[j] = node[w];
      j = w;
    }
    if (n > 0) {
      dist[j] = d;
      node[j] = last;
    }
    return top;
  }

  private static boolean before(float d1, int n1, float d2, int n2) {
    return d1 < d2 || (d1 == d2 && n1 < n2);
  }
}
