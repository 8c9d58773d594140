package dev.kiln.job.graph;

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
  /** Candidates: a min-heap by (distance, node); grows by doubling. */
  private int[] cNodes = new int[256];
  private float[] cDists = new float[256];
  private int candidates;
  private final int[] resNode;
  private final float[] resDist;
  private int results;
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
    resNode = new int[ef];
    resDist = new float[ef];
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
    candidates = 0;
    results = 0;
    pushCandidate(ep, epDist);
    offerResult(ep, epDist, ef);
    while (candidates > 0) {
      float d = cDists[0];
      int c = popCandidate();
      if (results == ef && d > resDist[0]) {
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
        if (results < ef || dn < resDist[0]) {
          pushCandidate(fresh[j], dn);
          offerResult(fresh[j], dn, ef);
        }
      }
    }
    // Results nearest first.
    int count = results;
    for (int i = count - 1; i >= 0; i--) {
      ids[i] = resNode[0];
      dists[i] = resDist[0];
      popResult();
    }
    return count;
  }

  private void pushCandidate(int node, float d) {
    ensureCandidates();
    int[] nodes = cNodes;
    float[] ds = cDists;
    int j = candidates++;
    while (j > 0) {
      int p = (j - 1) >>> 1;
      if (!(d < ds[p] || (d == ds[p] && node < nodes[p]))) {
        break;
      }
      nodes[j] = nodes[p];
      ds[j] = ds[p];
      j = p;
    }
    nodes[j] = node;
    ds[j] = d;
  }

  private void ensureCandidates() {
    if (candidates == cNodes.length) {
      cNodes = Arrays.copyOf(cNodes, 2 * candidates);
      cDists = Arrays.copyOf(cDists, 2 * candidates);
    }
  }

  private int popCandidate() {
    int[] nodes = cNodes;
    float[] ds = cDists;
    int top = nodes[0];
    int n = --candidates;
    int node = nodes[n];
    float d = ds[n];
    int j = 0;
    while (true) {
      int a = 2 * j + 1;
      if (a >= n) {
        break;
      }
      int w = a + 1 < n && (ds[a + 1] < ds[a] || (ds[a + 1] == ds[a] && nodes[a + 1] < nodes[a]))
          ? a + 1 : a;
      if (!(ds[w] < d || (ds[w] == d && nodes[w] < node))) {
        break;
      }
      nodes[j] = nodes[w];
      ds[j] = ds[w];
      j = w;
    }
    if (n > 0) {
      nodes[j] = node;
      ds[j] = d;
    }
    return top;
  }

  /** Results: a max-heap of at most ef by (distance, node), the farthest on top. */
  private void offerResult(int node, float d, int ef) {
    if (results < ef) {
      int j = results++;
      while (j > 0) {
        int p = (j - 1) >>> 1;
        if (!(resDist[p] < d || (resDist[p] == d && resNode[p] < node))) {
          break;
        }
        resNode[j] = resNode[p];
        resDist[j] = resDist[p];
        j = p;
      }
      resNode[j] = node;
      resDist[j] = d;
    } else if (d < resDist[0] || (d == resDist[0] && node < resNode[0])) {
      siftDownResult(0, node, d, results);
    }
  }

  private void popResult() {
    int n = --results;
    if (n > 0) {
      siftDownResult(0, resNode[n], resDist[n], n);
    }
  }

  private void siftDownResult(int j, int node, float d, int n) {
    while (true) {
      int a = 2 * j + 1;
      if (a >= n) {
        break;
      }
      int w = a + 1 < n
          && (resDist[a + 1] > resDist[a] || (resDist[a + 1] == resDist[a] && resNode[a + 1] > resNode[a]))
          ? a + 1 : a;
      if (!(resDist[w] > d || (resDist[w] == d && resNode[w] > node))) {
        break;
      }
      resNode[j] = resNode[w];
      resDist[j] = resDist[w];
      j = w;
    }
    resNode[j] = node;
    resDist[j] = d;
  }
}
