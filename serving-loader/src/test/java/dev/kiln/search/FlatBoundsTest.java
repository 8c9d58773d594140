package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.SubspaceProber;
import dev.kiln.quantize.SubspaceProberTest;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link FlatBounds} and the pruned IVF-Flat scan: the lifted distances bound the real ones from
 * below and rule out items only past the k-th distance; a search with pruning answers as one
 * without, bit for bit, mapped and in the heap, single and batch; pruning is on only for L2
 * with a centroid subspace and the option on.
 */
class FlatBoundsTest {
  private static final int D = 64;
  private static final int NLIST = 256;
  private static final int K = 10;

  @TempDir Path root;

  /** {@link SubspaceProberTest#lowRank}'s rows (64-d near a 6-d subspace), one array each. */
  static float[][] lowRank(Random rnd, int n, float[] mixing, float noise) {
    float[] flat = SubspaceProberTest.lowRank(rnd, n, mixing, noise, false);
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = Arrays.copyOfRange(flat, i * D, (i + 1) * D);
    }
    return rows;
  }

  private Published publish(Metric metric, float[] mixing) throws IOException {
    float[][] data = lowRank(new Random(1), 6000, mixing, 0.3f);
    return TestIndexes.index(data, metric, IndexSpec.flat(NLIST)).shards(2).publish(root);
  }

  @ParameterizedTest(name = "inHeap={0}")
  @ValueSource(booleans = {false, true})
  void aPrunedSearchAnswersAsTheFullScan(boolean inHeap) throws IOException {
    float[] mixing = SubspaceProberTest.mixing(new Random(7));
    Published p = publish(Metric.L2, mixing);
    float[][] queries = lowRank(new Random(2), 40, mixing, 0.6f);
    OpenOptions pruned = OpenOptions.defaults().withInHeap(inHeap);
    try (KilnIndex on = KilnIndex.open(p.root(), pruned);
        KilnIndex off = KilnIndex.open(p.root(), pruned.withFlatPruning(false))) {
      for (int nprobe : new int[] {1, 4, 16, 64, NLIST}) {
        SearchParams params = SearchParams.nprobe(nprobe);
        Neighbors[] batchOn = on.search(queries, K, params);
        Neighbors[] batchOff = off.search(queries, K, params);
        for (int i = 0; i < queries.length; i++) {
          String where = "nprobe " + nprobe + " query " + i;
          Neighbors want = off.search(queries[i], K, params);
          Neighbors got = on.search(queries[i], K, params);
          assertArrayEquals(want.ids(), got.ids(), where);
          assertArrayEquals(want.scores(), got.scores(), where);
          assertArrayEquals(batchOff[i].ids(), batchOn[i].ids(), "batch " + where);
          assertArrayEquals(want.scores(), batchOn[i].scores(), "batch " + where);
        }
      }
    }
  }

  @Test
  void theBoundRankIsATwelfthOfTheDimensionsOrTheCoarseStepsWhereWider() {
    assertEquals(64, FlatBounds.boundRank(784, 32), "Fashion-MNIST");
    assertEquals(24, FlatBounds.boundRank(128, 24), "synth-1m: the coarse step's");
    assertEquals(8, FlatBounds.boundRank(D, 8));
    assertEquals(FlatBounds.MAX_RANK, FlatBounds.boundRank(4096, 48));
    assertEquals(16, FlatBounds.boundRank(200, 8), "a multiple of the step");
  }

  /** Rank 0: the coarse step's subspace, as {@link #D} gives; 24: a wider one of its own. */
  @ParameterizedTest(name = "rank={0}")
  @ValueSource(ints = {0, 24})
  void liftedDistancesBoundTheRealOnesAndRuleOutOnlyItemsPastTheKth(int rank)
      throws IOException {
    float[] mixing = SubspaceProberTest.mixing(new Random(7));
    Published p = publish(Metric.L2, mixing);
    VersionFiles files = VersionFiles.open(p.versionDir(), OpenOptions.defaults());
    SubspaceProber s = ListScanner.pruningProber(files);
    assertNotNull(s, "low-rank centroids have a subspace");
    ShardFile[] shards = files.shards();
    float[][] heap = new float[shards.length][];
    FlatBounds bounds = rank == 0 ? FlatBounds.of(shards, heap, D, s)
        : FlatBounds.of(shards, heap, D, s, rank);
    assertNotNull(bounds);
    assertEquals((rank == 0 ? s.rank() : rank) + 1, bounds.width());
    assertEquals(bounds.width() + 1 + (bounds.width() - 1) / 64 * 64, bounds.stateLength(),
        "the lifted query, its norm, and a tile's outputs per whole 64 ranks");
    float[][] queries = lowRank(new Random(3), 30, mixing, 0.6f);
    float[] state = new float[bounds.stateLength()];
    long items = 0;
    long ruledOut = 0;
    for (float[] q : queries) {
      double[][][] exact = exactDistances(shards, q);
      double[] all = Arrays.stream(exact).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream)
          .sorted().toArray();
      float kth = (float) all[K - 1];
      bounds.prepare(state);
      float cut = bounds.cut(q, state, kth);
      assertTrue(cut >= kth, "the cut is past the k-th distance");
      for (int si = 0; si < shards.length; si++) {
        for (int list = 0; list < NLIST; list++) {
          int n = shards[si].listSize(list);
          float[] lower = new float[n];
          bounds.lower(state, si, shards[si], list, n, lower);
          for (int i = 0; i < n; i++) {
            double d = exact[si][list][i];
            String where = "shard " + si + " list " + list + " item " + i;
            assertTrue(lower[i] <= d * (1 + 1e-5) + 1e-4, where + ": " + lower[i] + " > " + d);
            if (lower[i] > cut) {
              ruledOut++;
              assertTrue(d > kth, where + " ruled out but within the k-th distance");
            }
            items++;
          }
        }
      }
    }
    assertTrue(ruledOut > items / 2, ruledOut + " of " + items + " ruled out");
  }

  /** Per shard and list, each item's squared distance to q, in double. */
  private static double[][][] exactDistances(ShardFile[] shards, float[] q) {
    double[][][] out = new double[shards.length][NLIST][];
    for (int si = 0; si < shards.length; si++) {
      for (int list = 0; list < NLIST; list++) {
        int n = shards[si].listSize(list);
        out[si][list] = new double[n];
        for (int i = 0; i < n; i++) {
          int at = shards[si].codesOffset(list) + i * 4 * D;
          double sum = 0;
          for (int j = 0; j < D; j++) {
            double diff = q[j] - shards[si].buffer().getFloat(at + 4 * j);
            sum += diff * diff;
          }
          out[si][list][i] = sum;
        }
      }
    }
    return out;
  }

  @Test
  void pruningNeedsL2ASubspaceAndTheOption() throws IOException {
    float[] mixing = SubspaceProberTest.mixing(new Random(7));
    Published p = publish(Metric.L2, mixing);
    VersionFiles on = VersionFiles.open(p.versionDir(), OpenOptions.defaults());
    VersionFiles off = VersionFiles.open(p.versionDir(),
        OpenOptions.defaults().withFlatPruning(false));
    assertTrue(flat(on, MetricStrategy.L2).prunes());
    assertEquals(false, flat(off, MetricStrategy.L2).prunes());
    assertEquals(false, flat(on, MetricStrategy.IP).prunes(), "inner product: no L2 bound");
    // Gaussian data in 64 dimensions: no subspace holds the centroids' energy.
    TestIndexes.deleteTree(root);
    Published g = TestIndexes.index(TestIndexes.gaussian(new Random(4), 3000, D), Metric.L2,
        IndexSpec.flat(NLIST)).publish(root);
    VersionFiles gaussian = VersionFiles.open(g.versionDir(), OpenOptions.defaults());
    assertEquals(false, flat(gaussian, MetricStrategy.L2).prunes());
  }

  private static FlatScanner flat(VersionFiles files, MetricStrategy metric) {
    return new FlatScanner(files.shards(), files.model().dim(), metric,
        ListScanner.pruningProber(files));
  }

  @Test
  void aScanKnowsItPrunesThroughTheSearchPath() throws IOException {
    Published p = publish(Metric.L2, SubspaceProberTest.mixing(new Random(7)));
    VersionFiles files = VersionFiles.open(p.versionDir(), OpenOptions.defaults());
    FlatScanner scanner = assertInstanceOf(FlatScanner.class,
        ListScanner.of(files, MetricStrategy.L2));
    assertTrue(scanner.prunes());
    FlatBounds bounds = FlatBounds.of(files.shards(), new float[files.shards().length][],
        files.model().dim(), ListScanner.pruningProber(files));
    assertEquals(bounds.stateLength(), scanner.stateLength(), "a query's state is the bounds'");
  }
}
