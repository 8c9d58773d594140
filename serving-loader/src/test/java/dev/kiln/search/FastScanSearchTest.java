package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code IVF{n},PQ{m}x4fs}: 4-bit codes in fast-scan blocks, scored through byte tables. Checked
 * against the float reference (the asymmetric distance to each item's PQ reconstruction), within
 * the quantization error the tables allow; with a refine stage, against brute force.
 */
class FastScanSearchTest {
  private static final int N = 2000;
  private static final int D = 32;
  private static final int NLIST = 8;
  private static final int M = 8;
  private static final int K = 10;

  @TempDir Path root;

  private Published publish(Metric metric, IndexSpec spec, int shards) throws IOException {
    float[][] data = TestIndexes.gaussian(new Random(11), N, D);
    return TestIndexes.index(data, metric, spec).shards(shards)
        .ids(TestIndexes.randomIds(new Random(12), N)).publish(root);
  }

  /**
   * Every reported distance is the item's float distance to its reconstruction up to the table
   * rounding: at most M/2 steps of the list's scale (half a step per sub-space), where a step is
   * the widest sub-space table's range over 255. And the results are the best by that distance,
   * up to the same error.
   */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void distancesAreTheFloatReferenceWithinTheTableRounding(Metric metric) throws IOException {
    Published p = publish(metric, IndexSpec.fastScan(NLIST, M), 2);
    IndexModel model = p.model();
    ProductQuantizer pq = model.pq();
    float[] recon = new float[D];
    float[][] queries = TestIndexes.gaussian(new Random(13), 40, D);
    try (KilnIndex index = p.open()) {
      assertTrue(index.spec().isFastScan());
      for (float[] query : queries) {
        float[] q = query.clone();
        if (metric == Metric.COSINE) {
          IndexModel.normalize(q, 0, D);
        }
        double[] reference = new double[N];
        double[] slack = new double[NLIST];
        for (int l = 0; l < NLIST; l++) {
          slack[l] = M / 2.0 * step(pq, model, q, l, metric) * 1.001 + 1e-4;
        }
        for (int i = 0; i < N; i++) {
          pq.decode(p.codes()[i], 0, recon);
          float[] x = new float[D];
          for (int j = 0; j < D; j++) {
            x[j] = model.coarse().centroids()[p.lists()[i] * D + j] + recon[j];
          }
          reference[i] = TestIndexes.score(metric, q, x);
        }
        Neighbors n = index.search(query, K, SearchParams.nprobe(NLIST));
        assertEquals(K, n.size());
        double worstKept = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < K; r++) {
          int item = p.itemOf(n, r);
          double err = Math.abs(n.scores()[r] - reference[item]);
          assertTrue(err <= slack[p.lists()[item]], "item " + item + ": " + n.scores()[r]
              + " for the reference " + reference[item] + ", error " + err);
          worstKept = Math.max(worstKept, metric.higherIsBetter() ? -reference[item]
              : reference[item]);
        }
        // Nothing left out was better than the worst kept by more than twice the rounding.
        double maxSlack = java.util.Arrays.stream(slack).max().orElseThrow();
        for (int i = 0; i < N; i++) {
          double d = metric.higherIsBetter() ? -reference[i] : reference[i];
          assertTrue(d >= worstKept - 2 * maxSlack || contains(p, n, i),
              "item " + i + " at " + d + " beats the worst kept, " + worstKept);
        }
      }
    }
  }

  /** With RFlat and a shortlist of everything, the ranking is exact: brute force. */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void refineOfEverythingIsBruteForce(Metric metric) throws IOException {
    Published p = publish(metric, IndexSpec.fastScan(NLIST, M).withRefine(IndexSpec.Refine.FLAT),
        3);
    float[][] queries = TestIndexes.gaussian(new Random(14), 20, D);
    try (KilnIndex index = p.open()) {
      for (float[] q : queries) {
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
          expected[i] = TestIndexes.score(metric, q, p.vectors()[i]);
        }
        for (int nprobe : new int[] {3, NLIST}) {
          Neighbors n = index.search(q, K, SearchParams.nprobe(nprobe).withRefineFactor(N));
          p.assertTopK(expected, p.probed(q, nprobe), K, n);
        }
      }
    }
  }

  /** Batch search answers as single search does, and filters apply inside the scan. */
  @ParameterizedTest
  @EnumSource(Metric.class)
  void batchAndFilteredSearchAgree(Metric metric) throws IOException {
    Published p = publish(metric, IndexSpec.fastScan(NLIST, M).withRefine(IndexSpec.Refine.FLAT),
        2);
    float[][] queries = TestIndexes.gaussian(new Random(15), 100, D);
    try (KilnIndex index = p.open()) {
      SearchParams params = SearchParams.nprobe(3);
      Neighbors[] batch = index.search(queries, K, params);
      IdFilter even = IdFilter.ids(id -> (id & 1) == 0);
      for (int i = 0; i < queries.length; i++) {
        assertEquals(index.search(queries[i], K, params), batch[i], "query " + i);
        Neighbors filtered = index.search(queries[i], K, params.withFilter(even));
        assertEquals(K, filtered.size());
        for (long id : filtered.ids()) {
          assertEquals(0, id & 1, "a filtered-out id came back");
        }
      }
    }
  }

  private static boolean contains(Published p, Neighbors n, int item) {
    for (int r = 0; r < n.size(); r++) {
      if (p.itemOf(n, r) == item) {
        return true;
      }
    }
    return false;
  }

  /** The table step of list l for query q: the widest sub-space table's range over 255. */
  private static double step(ProductQuantizer pq, IndexModel model, float[] q, int l,
      Metric metric) {
    float[] residual = new float[D];
    for (int j = 0; j < D; j++) {
      residual[j] = q[j] - model.coarse().centroids()[l * D + j];
    }
    float[] table = new float[pq.tableLength()];
    if (metric == Metric.L2) {
      pq.l2Table(residual, table);
    } else {
      pq.innerProductTable(q, table);
    }
    double widest = 0;
    for (int j = 0; j < M; j++) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < 16; c++) {
        lo = Math.min(lo, table[16 * j + c]);
        hi = Math.max(hi, table[16 * j + c]);
      }
      widest = Math.max(widest, hi - lo);
    }
    return widest / 255;
  }
}
