package dev.kiln.job.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import org.junit.jupiter.api.Test;

class AutoIndexTest {
  @Test
  void nlistIsThePowerOfTwoNearestFourRootN() {
    assertEquals(1024, AutoIndex.nlist(60_000)); // 4·√N = 980
    assertEquals(4096, AutoIndex.nlist(1_000_000)); // 4000
    assertEquals(8192, AutoIndex.nlist(4_000_000)); // 8000
    assertEquals(2048, AutoIndex.nlist(150_000)); // 1549: nearer 2048 than 1024 on a log scale
    assertEquals(1024, AutoIndex.nlist(120_000)); // 1386: nearer 1024
    assertEquals(65_536, AutoIndex.nlist(1_000_000_000_000L));
  }

  @Test
  void nlistKeepsThirtyNinePointsPerList() {
    assertEquals(64, AutoIndex.nlist(3000)); // 4·√N = 219, but 3000 / 39 = 76
    assertEquals(2, AutoIndex.nlist(100));
    assertEquals(1, AutoIndex.nlist(10));
  }

  @Test
  void flatWithoutABudgetOrWhenItFits() {
    assertEquals(IndexSpec.flat(1024), AutoIndex.choose(60_000, 784, Metric.L2, 0));
    long flat = AutoIndex.bytes(IndexSpec.flat(1024), 60_000, 784, Metric.L2);
    assertEquals(60_000L * (784 * 4 + 8) + 1024L * 784 * 4, flat);
    assertEquals(IndexSpec.flat(1024), AutoIndex.choose(60_000, 784, Metric.L2, flat));
  }

  @Test
  void largestPqCodeThatFitsTheBudgetAtNlistOrHalfOfIt() {
    for (long budget : new long[] {16L << 20, 40L << 20}) {
      IndexSpec s = AutoIndex.choose(60_000, 784, Metric.L2, budget);
      assertEquals(IndexSpec.Encoding.PQ, s.encoding(), "budget " + budget);
      assertTrue(s.nlist() == 1024 || s.nlist() == 512, s.toString());
      assertEquals(0, 784 % s.pqM());
      assertTrue(AutoIndex.bytes(s, 60_000, 784, Metric.L2) <= budget);
      // No larger divisor of d fits at either nlist.
      for (int nlist : new int[] {1024, 512}) {
        for (int m = s.pqM() + 1; m <= 392; m++) {
          if (784 % m == 0) {
            assertTrue(AutoIndex.bytes(IndexSpec.pq(nlist, m), 60_000, 784, Metric.L2) > budget,
                "IVF" + nlist + ",PQ" + m + " also fits " + budget);
          }
        }
      }
    }
    // Fashion-MNIST in 16 MiB: 4 MB of centroids and codebooks leave 212 bytes an item, so
    // PQ196 (196 code bytes, an 8-byte id, a 4-byte L2 term) at IVF1024.
    assertEquals(IndexSpec.pq(1024, 196), AutoIndex.choose(60_000, 784, Metric.L2, 16L << 20));
    // The L2 term is counted: 4 bytes an item under l2, none under ip.
    assertEquals(60_000L * 4, AutoIndex.bytes(IndexSpec.pq(1024, 16), 60_000, 784, Metric.L2)
        - AutoIndex.bytes(IndexSpec.pq(1024, 16), 60_000, 784, Metric.IP));
    // 1M x 128: 32 MiB holds IVF4096,PQ16 (30.2 MB); 48 MiB PQ32 (46.2 MB) at either nlist,
    // so 4096.
    assertEquals(IndexSpec.pq(4096, 16), AutoIndex.choose(1_000_000, 128, Metric.L2, 32L << 20));
    assertEquals(IndexSpec.pq(4096, 32), AutoIndex.choose(1_000_000, 128, Metric.L2, 48L << 20));
  }

  /**
   * Between Flat and 8-bit PQ: fast-scan with an SQ8 refine stage when it fits, its M the
   * largest even divisor of d up to 64 with four dimensions per sub-space.
   */
  @Test
  void fastScanWithSq8RefineWhenFlatDoesNotFitButItDoes() {
    assertEquals(56, AutoIndex.fastScanM(784));
    assertEquals(32, AutoIndex.fastScanM(128));
    assertEquals(0, AutoIndex.fastScanM(7));
    IndexSpec fs = IndexSpec.fastScan(1024, 56).withRefine(IndexSpec.Refine.SQ8);
    // Per item 28 code bytes, an 8-byte id, 784 SQ8 bytes, no L2 term; the model's L2 table is
    // 1024 x 56 x 16 floats.
    long bytes = AutoIndex.bytes(fs, 60_000, 784, Metric.L2);
    assertEquals(60_000L * (28 + 8 + 784) + 1024L * 784 * 4 + 16L * 784 * 4 + 1024L * 56 * 16 * 4,
        bytes);
    assertEquals(fs, AutoIndex.choose(60_000, 784, Metric.L2, 160L << 20));
    assertEquals(fs, AutoIndex.choose(60_000, 784, Metric.L2, bytes));
    IndexSpec below = AutoIndex.choose(60_000, 784, Metric.L2, bytes - 1);
    assertTrue(!below.isFastScan() && below.encoding() == IndexSpec.Encoding.PQ, below.toString());
  }

  /** From 16,384 lists (about 10M vectors) the centroids get an HNSW graph, counted in bytes. */
  @Test
  void largeNlistGetsTheHnswCoarseQuantizer() {
    assertEquals(IndexSpec.flat(4096), AutoIndex.choose(1_000_000, 128, Metric.L2, 0));
    assertEquals(IndexSpec.flat(16_384).withHnsw(32),
        AutoIndex.choose(10_000_000, 128, Metric.L2, 0));
    assertEquals(IndexSpec.flat(65_536).withHnsw(32),
        AutoIndex.choose(1_000_000_000, 128, Metric.L2, 0));
    IndexSpec pq = IndexSpec.pq(16_384, 16);
    assertEquals(16_384L * 64 * 4,
        AutoIndex.bytes(pq.withHnsw(32), 10_000_000, 128, Metric.L2)
            - AutoIndex.bytes(pq, 10_000_000, 128, Metric.L2), "level 0 of the graph");
    // 10M x 128 in 320 MiB: PQ16 with its graph fits (288.5 MB + 4.2 MB of graph).
    assertEquals(pq.withHnsw(32), AutoIndex.choose(10_000_000, 128, Metric.L2, 320L << 20));
  }

  @Test
  void tooSmallABudgetIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AutoIndex.choose(60_000, 784, Metric.L2, 1 << 20));
    assertTrue(e.getMessage().startsWith("--memory-budget 1.0 MiB is too small for 60000 vectors"
        + " of dimension 784: the smallest option, IVF1024,PQ1, needs"), e.getMessage());
  }

  @Test
  void parsesMemorySizes() {
    assertEquals(2L << 30, AutoIndex.parseBytes("2g"));
    assertEquals(512L << 20, AutoIndex.parseBytes("512M"));
    assertEquals(1536L << 20, AutoIndex.parseBytes("1.5g"));
    assertEquals(800L << 10, AutoIndex.parseBytes("800kb"));
    assertEquals(12345, AutoIndex.parseBytes("12345"));
    for (String bad : new String[] {"", "g", "-1g", "two gigs", "0"}) {
      assertThrows(IllegalArgumentException.class, () -> AutoIndex.parseBytes(bad), bad);
    }
  }
}
