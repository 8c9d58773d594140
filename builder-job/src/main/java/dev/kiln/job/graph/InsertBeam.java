package dev.kiln.job.graph;

import dev.kiln.quantize.NodeHeap;
import dev.kiln.quantize.TopK;
import java.util.Arrays;

/**
 * The beam search of one insertion on one level, over the rows as they stand: the
 * {@code efConstruction} nearest nodes found, nearest first, in {@code ids / dists}. One per
 * thread; its arrays are reused across insertions, so an insertion allocates nothing.
 */
final class InsertBeam {
  /** Visit marks: a byte per node (a quarter of an int's cache footprint), cleared every 255. */
  private final byte[] visited;
  private int stamp;
  final int[] ids;
  final float[] dists;
  /** A full row plus the newcomer, for {@link GraphRows#link}. */
  final int[] spareIds;
  final float[] spareDists;
  /** Candidates, nearest first, and the ef best found (the loader's heaps, same tie rule). */
  private final NodeHeap candidates = new NodeHeap();
  private final TopK results = new TopK();
  private final long[] drained;
  private final int[] fresh;
  private final float[] freshDist;
  /** Four distances of a four-row kernel. */
  final float[] four = new float[4];

  InsertBeam(int n, int ef) {
    visited = new byte[n];
    ids = new int[ef];
    dists = new float[ef];
    spareIds = new int[ef + 1];
    spareDists = new float[ef + 1];
    drained = new long[ef];
    fresh = new int[ef + 1];
    freshDist = new float[ef + 1];
  }

  int search(GraphRows g, int q, int ep, float epDist, int l, int ef) {
    if (++stamp == 256) {
      Arrays.fill(visited, (byte) 0);
      stamp = 1;
    }
    byte mark = (byte) stamp;
    visited[ep] = mark;
    visited[q] = mark;
    candidates.clear();
    results.reset(ef);
    candidates.push(epDist, ep);
    results.offer(epDist, ep);
    while (candidates.size() > 0) {
      float d = candidates.topDistance();
      int c = candidates.pop();
      if (d > results.threshold()) {
        break;
      }
      int row = g.rowStart(c, l);
      int[] links = g.rowArray(c, l);
      int count = g.rowCount(c, l);
      int nf = 0;
      for (int j = 0; j < count; j++) {
        int nb = links[row + j];
        if (visited[nb] != mark) {
          visited[nb] = mark;
          fresh[nf++] = nb;
        }
      }
      g.distances(q, fresh, 0, nf, freshDist, four);
      for (int j = 0; j < nf; j++) {
        float dn = freshDist[j];
        if (dn < results.threshold()) {
          candidates.push(dn, fresh[j]);
          results.offer(dn, fresh[j]);
        }
      }
    }
    int count = results.drainSorted(dists, drained); // nearest first
    for (int i = 0; i < count; i++) {
      ids[i] = (int) drained[i];
    }
    return count;
  }
}
