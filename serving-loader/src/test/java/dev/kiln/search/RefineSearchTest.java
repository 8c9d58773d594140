package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.RefineFile;
import dev.kiln.quantize.ScalarQuantizer;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The refine stage ({@code ,RFlat} and {@code ,Refine(SQ8)}): a PQ scan keeps a {@code k *
 * factor} shortlist and the stored vectors re-rank it. Checked against brute force over the
 * vectors as stored (float32, or SQ8-decoded), for every metric, id type and shard count.
 */
class RefineSearchTest {
  private static final int N = 1500;
  private static final int D = 16;
  private static final int NLIST = 8;
  private static final int K = 10;

  @TempDir Path root;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (IndexSpec.Refine r : new IndexSpec.Refine[] {IndexSpec.Refine.FLAT, IndexSpec.Refine.SQ8}) {
      for (Metric m : Metric.values()) {
        out.add(Arguments.of(r, m, 1, false));
        out.add(Arguments.of(r, m, 3, true));
      }
    }
    return out.stream();
  }

  private Published publish(IndexSpec.Refine refine, Metric metric, int shards, boolean keys)
      throws IOException {
    float[][] data = TestIndexes.gaussian(new Random(1), N, D);
    TestIndexes.Build b = TestIndexes.index(data, metric, IndexSpec.pq(NLIST, 4).withRefine(refine))
        .shards(shards);
    b = keys ? b.keys(TestIndexes.randomKeys(new Random(2), N))
        : b.ids(TestIndexes.randomIds(new Random(2), N));
    return b.publish(root);
  }

  /** The vectors the refine stage scores against: as indexed, or SQ8-decoded. */
  private static float[][] stored(Published p, IndexSpec.Refine refine) {
    if (refine == IndexSpec.Refine.FLAT) {
      return p.vectors();
    }
    ScalarQuantizer sq = ScalarQuantizer.train(TestIndexes.flatten(p.vectors()), p.size(), D);
    float[][] out = new float[p.size()][D];
    byte[] code = new byte[D];
    for (int i = 0; i < p.size(); i++) {
      sq.encode(p.vectors()[i], 0, code, 0);
      sq.decode(code, 0, out[i]);
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}, {2} shard(s), string keys {3}")
  @MethodSource("cases")
  void aShortlistOfEverythingProbedGivesExactRankingByStoredVectors(
      IndexSpec.Refine refine, Metric metric, int shards, boolean keys) throws IOException {
    Published p = publish(refine, metric, shards, keys);
    float[][] vectors = stored(p, refine);
    float[][] queries = TestIndexes.gaussian(new Random(3), 30, D);
    try (KilnIndex index = p.open()) {
      assertEquals(IndexSpec.pq(NLIST, 4).withRefine(refine), index.spec());
      for (int nprobe : new int[] {2, NLIST}) {
        for (float[] q : queries) {
          double[] expected = new double[p.size()];
          for (int i = 0; i < p.size(); i++) {
            expected[i] = TestIndexes.score(metric, q, vectors[i]);
          }
          // A factor of N: the shortlist holds every probed item, so the ranking is exact.
          Neighbors n = index.search(q, K, SearchParams.nprobe(nprobe).withRefineFactor(N));
          p.assertTopK(expected, p.probed(q, nprobe), K, n);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}, {2} shard(s), string keys {3}")
  @MethodSource("cases")
  void theResultIsTheBestKOfThePqShortlist(
      IndexSpec.Refine refine, Metric metric, int shards, boolean keys) throws IOException {
    Published p = publish(refine, metric, shards, keys);
    float[][] vectors = stored(p, refine);
    int factor = 3;
    try (KilnIndex index = p.open()) {
      for (float[] q : TestIndexes.gaussian(new Random(4), 30, D)) {
        // Re-ranking k*f items with f = 1 returns that whole shortlist: the PQ scan's best k*f.
        Neighbors shortlist =
            index.search(q, K * factor, SearchParams.nprobe(4).withRefineFactor(1));
        assertEquals(K * factor, shortlist.size());
        boolean[] inShortlist = new boolean[p.size()];
        for (int r = 0; r < shortlist.size(); r++) {
          inShortlist[p.itemOf(shortlist, r)] = true;
        }
        double[] expected = new double[p.size()];
        for (int i = 0; i < p.size(); i++) {
          expected[i] = TestIndexes.score(metric, q, vectors[i]);
        }
        Neighbors n = index.search(q, K, SearchParams.nprobe(4).withRefineFactor(factor));
        p.assertTopK(expected, inShortlist, K, n);
      }
    }
  }

  @Test
  void filtersApplyBeforeTheShortlist() throws IOException {
    Published p = publish(IndexSpec.Refine.FLAT, Metric.L2, 3, false);
    try (KilnIndex index = p.open()) {
      for (float[] q : TestIndexes.gaussian(new Random(6), 20, D)) {
        double[] expected = new double[p.size()];
        boolean[] eligible = p.probed(q, NLIST);
        for (int i = 0; i < p.size(); i++) {
          expected[i] = TestIndexes.score(Metric.L2, q, p.vectors()[i]);
          eligible[i] &= p.ids()[i] % 2 == 0;
        }
        Neighbors n = index.search(q, K, SearchParams.nprobe(NLIST).withRefineFactor(N)
            .withFilter(IdFilter.ids(id -> id % 2 == 0)));
        p.assertTopK(expected, eligible, K, n);
      }
    }
  }

  @Test
  void refineFindsMoreTrueNeighboursThanPqAlone() throws IOException {
    Published p = publish(IndexSpec.Refine.FLAT, Metric.L2, 1, false);
    float[][] queries = TestIndexes.gaussian(new Random(5), 50, D);
    int hitsRefined = 0;
    int hitsPq = 0;
    try (KilnIndex index = p.open()) {
      for (float[] q : queries) {
        Set<Integer> truth = exactTop(p, q);
        Neighbors refined = index.search(q, K, SearchParams.nprobe(NLIST).withRefineFactor(8));
        // Factor 1 keeps the PQ scan's own top k: what the index returns without refine.
        Neighbors pqOnly = index.search(q, K, SearchParams.nprobe(NLIST).withRefineFactor(1));
        for (int r = 0; r < K; r++) {
          hitsRefined += truth.contains(p.itemOf(refined, r)) ? 1 : 0;
          hitsPq += truth.contains(p.itemOf(pqOnly, r)) ? 1 : 0;
        }
      }
    }
    assertTrue(hitsRefined > hitsPq, "refined " + hitsRefined + " vs PQ " + hitsPq);
    assertTrue(hitsRefined >= 0.95 * K * queries.length, "refined recall " + hitsRefined);
  }

  private static Set<Integer> exactTop(Published p, float[] q) {
    Integer[] order = new Integer[p.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(
        TestIndexes.squareDistance(q, 0, p.vectors()[a], 0, D),
        TestIndexes.squareDistance(q, 0, p.vectors()[b], 0, D)));
    return new HashSet<>(List.of(order).subList(0, K));
  }

  @Test
  void missingRefineFileIsNamed() throws IOException {
    Published p = publish(IndexSpec.Refine.SQ8, Metric.L2, 2, false);
    Path file = p.versionDir().resolve(RefineFile.fileName(1));
    Files.delete(file);
    CorruptIndexException e = assertThrows(CorruptIndexException.class, p::open);
    assertEquals(file + ": missing", e.getMessage());
  }

  @Test
  void refineFileOfAnotherShardIsRefused() throws IOException {
    Published p = publish(IndexSpec.Refine.FLAT, Metric.L2, 2, false);
    Path r0 = p.versionDir().resolve(RefineFile.fileName(0));
    Path r1 = p.versionDir().resolve(RefineFile.fileName(1));
    Path tmp = p.versionDir().resolve("swap");
    Files.move(r0, tmp);
    Files.move(r1, r0);
    Files.move(tmp, r1, StandardCopyOption.ATOMIC_MOVE);
    // Swap the manifest entries too, so only the files' own headers can tell.
    TestIndexes.editManifestFiles(p.versionDir(), files -> {
      List<Manifest.FileEntry> out = new ArrayList<>();
      for (Manifest.FileEntry f : files) {
        String name = f.name().equals(RefineFile.fileName(0)) ? RefineFile.fileName(1)
            : f.name().equals(RefineFile.fileName(1)) ? RefineFile.fileName(0) : f.name();
        out.add(new Manifest.FileEntry(name, f.bytes(), f.crc32c()));
      }
      return out;
    });
    CorruptIndexException e = assertThrows(CorruptIndexException.class, p::open);
    assertTrue(e.getMessage().startsWith(r0 + ": is for shard 1 with "), e.getMessage());
  }

  @Test
  void refineFactorMustBePositive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SearchParams.nprobe(4).withRefineFactor(0));
    assertEquals("refine factor must be at least 1, got 0", e.getMessage());
  }
}
