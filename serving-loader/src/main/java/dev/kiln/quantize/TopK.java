package dev.kiln.quantize;

/**
 * The k smallest (distance, ref) pairs seen so far: a bounded max-heap, reused across queries.
 * Ties on distance keep the smaller ref, so results are deterministic. Selects both the lists
 * to probe and the neighbours to return.
 */
public final class TopK {
  private float[] dist = new float[16];
  private long[] ref = new long[16];
  private int k;
  private int size;

  /**
   * Empties it for a new selection of the {@code k} smallest, growing its arrays if needed.
   *
   * @param k how many pairs it keeps at most, at least 1
   */
  public void reset(int k) {
    if (dist.length < k) {
      dist = new float[k];
      ref = new long[k];
    }
    this.k = k;
    this.size = 0;
  }

  /**
   * How many pairs it keeps at most (the last {@link #reset}'s k).
   *
   * @return k
   */
  public int k() {
    return k;
  }

  /**
   * The distance a candidate must beat to enter: +inf until k are held.
   *
   * @return +inf, or the largest distance held once k are held
   */
  public float threshold() {
    return size < k ? Float.POSITIVE_INFINITY : dist[0];
  }

  /**
   * Offers a pair: it is kept while fewer than k are held, else in place of the worst held when
   * it is nearer (or as near with a smaller ref).
   *
   * @param d its distance
   * @param r its ref: a list, a node or an item, as the caller numbers them
   */
  public void offer(float d, long r) {
    if (size < k) {
      int j = size++;
      while (j > 0) {
        int p = (j - 1) >>> 1;
        if (!worse(d, r, dist[p], ref[p])) {
          break;
        }
        dist[j] = dist[p];
        ref[j] = ref[p];
        j = p;
      }
      dist[j] = d;
      ref[j] = r;
    } else if (worse(dist[0], ref[0], d, r)) {
      siftDown(size, d, r);
    }
  }

  private static boolean worse(float d1, long r1, float d2, long r2) {
    return d1 > d2 || (d1 == d2 && r1 > r2);
  }

  private void siftDown(int n, float d, long r) {
    int j = 0;
    while (true) {
      int l = 2 * j + 1;
      if (l >= n) {
        break;
      }
      int w = l + 1 < n && worse(dist[l + 1], ref[l + 1], dist[l], ref[l]) ? l + 1 : l;
      if (!worse(dist[w], ref[w], d, r)) {
        break;
      }
      dist[j] = dist[w];
      ref[j] = ref[w];
      j = w;
    }
    dist[j] = d;
    ref[j] = r;
  }

  /**
   * Empties the heap into arrays sorted nearest first; returns the count.
   *
   * @param outDist receives the distances from index 0, at least as many floats as are held
   * @param outRef receives the refs, in the same order
   * @return how many pairs were held and written
   */
  public int drainSorted(float[] outDist, long[] outRef) {
    int n = size;
    for (int end = n - 1; end >= 0; end--) {
      outDist[end] = dist[0];
      outRef[end] = ref[0];
      float d = dist[end];
      long r = ref[end];
      size = end;
      if (end > 0) {
        siftDown(end, d, r);
      }
    }
    return n;
  }
}
