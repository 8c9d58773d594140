package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The flat quantizer as a {@link CoarseProber}: one query, blocks of queries, the old API. */
class CoarseProberTest {
  private static final int D = 9;
  private static final int NLIST = 37;

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void blocksProbeExactlyAsSingleQueriesAndAsTheOldApi(Metric metric) {
    Random rnd = new Random(3);
    float[] centroids = TestIndexes.flatten(TestIndexes.gaussian(rnd, NLIST, D));
    CoarseQuantizer cq = new CoarseQuantizer(centroids, NLIST, D, metric);
    CoarseProber prober = cq;
    int n = Math.min(prober.blockSize(), 11);
    float[] queries = TestIndexes.flatten(TestIndexes.gaussian(rnd, n, D));
    for (int nprobe : new int[] {1, 5, NLIST, NLIST + 10}) {
      Probe[] block = new Probe[n];
      for (int i = 0; i < n; i++) {
        block[i] = new Probe();
      }
      prober.probeBlock(queries, n, nprobe, 0, block);
      Probe single = new Probe();
      for (int i = 0; i < n; i++) {
        assertSame(single, prober.probe(queries, i * D, nprobe, 0, single));
        float[] q = java.util.Arrays.copyOfRange(queries, i * D, (i + 1) * D);
        long[] lists = new long[NLIST];
        float[] dist = new float[NLIST];
        int old = cq.probe(q, nprobe, new TopK(), lists, dist, new float[cq.scratchLength()]);
        assertEquals(Math.min(nprobe, NLIST), single.size());
        assertEquals(old, single.size());
        assertEquals(old, block[i].size());
        for (int p = 0; p < old; p++) {
          assertEquals((int) lists[p], single.list(p), "query " + i + " rank " + p);
          assertEquals(dist[p], single.distance(p));
          assertEquals(single.list(p), block[i].list(p));
          assertEquals(single.distance(p), block[i].distance(p));
        }
      }
    }
  }
}
