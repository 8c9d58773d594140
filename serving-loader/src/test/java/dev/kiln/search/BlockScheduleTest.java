package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.Probe;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The block's (query, list) pairs grouped by list, for every block size nprobe allows. */
class BlockScheduleTest {

  @Test
  void blocksShrinkOnlyWhenNprobeNeedsTheKeysBits() {
    assertEquals(BlockSchedule.MAX_BLOCK, BlockSchedule.maxBlock(1));
    assertEquals(BlockSchedule.MAX_BLOCK, BlockSchedule.maxBlock(2));
    assertEquals(BlockSchedule.MAX_BLOCK, BlockSchedule.maxBlock(1 << 20));
    assertEquals(2048, BlockSchedule.maxBlock((1 << 20) + 1));
    assertEquals(2, BlockSchedule.maxBlock(Integer.MAX_VALUE));
  }

  @Test
  void everyPairComesOnceGroupedByListWithItsQueryAndRank() {
    int nlist = 50;
    int dim = 3;
    Random rnd = new Random(4);
    float[] centroids = new float[nlist * dim];
    for (int i = 0; i < centroids.length; i++) {
      centroids[i] = (float) rnd.nextGaussian();
    }
    CoarseQuantizer cq = new CoarseQuantizer(centroids, nlist, dim, Metric.L2);
    int n = BlockSchedule.MAX_BLOCK;
    int nprobe = 3;
    Probe[] probes = new Probe[n];
    float[] q = new float[dim];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < dim; j++) {
        q[j] = (float) rnd.nextGaussian();
      }
      probes[i] = cq.probe(q, 0, nprobe, 0, new Probe());
    }
    BlockSchedule plan = new BlockSchedule();
    plan.build(probes, n);
    assertEquals(n * nprobe, plan.size());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < plan.size(); i++) {
      int query = plan.query(i);
      int rank = plan.rank(i);
      assertEquals(probes[query].list(rank), plan.list(i), "pair " + i);
      assertTrue(seen.add((long) query * nprobe + rank), "pair " + i + " twice");
      if (i > 0) {
        assertTrue(plan.list(i - 1) <= plan.list(i), "lists in order at " + i);
      }
    }
  }
}
