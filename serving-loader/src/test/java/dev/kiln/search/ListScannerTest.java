package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.TopK;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each list scanner against a brute-force reference: every item of a probed list, its distance. */
class ListScannerTest {
  private static final int N = 300;
  private static final int D = 8;
  private static final int NLIST = 4;

  @TempDir Path root;

  /**
   * PQ under l2 three ways: items' terms (v2), the model's table (v1), the residual table; Flat
   * mapped and read into the heap (its lists then scanned from a float array).
   */
  static Stream<Arguments> cases() {
    return Stream.of(Metric.values()).flatMap(m -> Stream.of(
        Arguments.of(m, IndexSpec.flat(NLIST), true, true, 1, false),
        Arguments.of(m, IndexSpec.flat(NLIST), true, true, 2, true),
        Arguments.of(m, IndexSpec.pq(NLIST, 4), true, true, 2, false),
        Arguments.of(m, IndexSpec.pq(NLIST, 4), true, false, 2, true),
        Arguments.of(m, IndexSpec.pq(NLIST, 4), false, false, 3, false)));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void scoresEveryItemOfTheProbedListsAsTheReferenceDoes(Metric metric, IndexSpec spec,
      boolean l2Table, boolean terms, int shards, boolean inHeap) throws IOException {
    Random rnd = new Random(5);
    TestIndexes.Build build = TestIndexes.index(TestIndexes.gaussian(rnd, N, D), metric, spec)
        .shards(shards);
    if (!l2Table) {
      build.withoutL2Table();
    }
    if (!terms) {
      build.withoutTerms();
    }
    Published p = build.publish(root);
    VersionFiles files =
        VersionFiles.open(p.versionDir(), OpenOptions.defaults().withInHeap(inHeap));
    MetricStrategy strategy = MetricStrategy.of(metric);
    ListScanner scanner = ListScanner.of(files, strategy);
    Class<?> expected =
        spec.encoding() == IndexSpec.Encoding.FLAT ? FlatScanner.class : PqScanner.class;
    assertEquals(expected, scanner.getClass());
    if (scanner instanceof FlatScanner flat) {
      assertEquals(inHeap, flat.readsArrays(), "Flat lists in the heap are read as floats");
    }

    float[] q = TestIndexes.gaussian(rnd, D);
    strategy.prepareQuery(q, 0, D);
    int nprobe = 2;
    Probe probe = files.model().prober().probe(q, 0, nprobe, 0, new Probe());
    boolean[] probed = new boolean[NLIST];
    for (int i = 0; i < probe.size(); i++) {
      probed[probe.list(i)] = true;
    }
    int eligible = 0;
    for (int i = 0; i < N; i++) {
      eligible += probed[p.lists()[i]] ? 1 : 0;
    }
    Candidates out = new Candidates(false, files.keys()).start(N, (IdFilter) null);
    scanner.scan(q, probe, new ScanBuffers(files.model(), files.maxListSize()), out);
    TopK top = out.top();
    float[] dist = new float[N];
    long[] refs = new long[N];
    int n = top.drainSorted(dist, refs);
    assertEquals(eligible, n, "every item of the probed lists, once");
    for (int r = 0; r < n; r++) {
      int item = (int) refs[r]; // ids are 0..n-1
      assertEquals(true, probed[p.lists()[item]], "item " + item + " is in a probed list");
      double want = reference(metric, p.model(), q, p.vectors()[item], p.lists()[item],
          p.codes()[item]);
      TestIndexes.assertClose(want, dist[r], metric + " " + spec + " item " + item);
    }
  }

  /** Squared L2 or minus the inner product to what is stored: the vector, or its PQ decoding. */
  private static double reference(Metric metric, IndexModel model, float[] q, float[] x,
      int list, byte[] code) {
    float[] stored = x;
    if (model.pq() != null) {
      float[] r = new float[D];
      model.pq().decode(code, 0, r);
      stored = new float[D];
      for (int j = 0; j < D; j++) {
        stored[j] = model.coarse().centroids()[list * D + j] + r[j];
      }
    }
    return metric == Metric.L2
        ? TestIndexes.squareDistance(q, 0, stored, 0, D)
        : -TestIndexes.dot(q, 0, stored, 0, D);
  }
}
