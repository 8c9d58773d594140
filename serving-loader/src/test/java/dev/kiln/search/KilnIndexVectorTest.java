package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lookup by id: an item's stored vector as each encoding keeps it (exact, SQ8, the PQ
 * reconstruction), across shards and for string keys; and the items nearest an item, itself
 * left out.
 */
class KilnIndexVectorTest {
  private static final int D = 16;
  private static final int N = 1200;

  @TempDir Path root;

  static Stream<Arguments> specs() {
    return Stream.of(
        Arguments.of(IndexSpec.flat(8), Metric.L2, 0.0),
        Arguments.of(IndexSpec.flat(8), Metric.COSINE, 0.0),
        Arguments.of(IndexSpec.pq(8, 4).withRefine(IndexSpec.Refine.FLAT), Metric.IP, 0.0),
        Arguments.of(IndexSpec.pq(8, 4).withRefine(IndexSpec.Refine.SQ8), Metric.L2, 0.05),
        Arguments.of(IndexSpec.pq(8, 8), Metric.L2, -1.0));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void vectorsComeBackAsStored(IndexSpec spec, Metric metric, double tolerance)
      throws IOException {
    Random rnd = new Random(4);
    float[][] vectors = TestIndexes.gaussian(rnd, N, D);
    long[] ids = TestIndexes.randomIds(rnd, N);
    TestIndexes.Published p =
        TestIndexes.index(vectors, metric, spec).ids(ids).shards(3).publish(root);
    IndexModel model = p.model();
    try (KilnIndex index = p.open()) {
      for (int i = 0; i < N; i += 37) {
        float[] got = index.vector(ids[i]);
        float[] stored = p.vectors()[i]; // normalized under cosine, as indexed
        if (tolerance == 0) {
          assertArrayEquals(stored, got, "id " + ids[i]);
        } else if (tolerance > 0) {
          for (int j = 0; j < D; j++) {
            assertEquals(stored[j], got[j], tolerance, "id " + ids[i] + " component " + j);
          }
        } else {
          // PQ: the centroid plus the decoded residual, exactly what the model decodes.
          int list = model.coarse().assign(stored);
          byte[] code = new byte[model.codeSize()];
          model.encode(stored, 0, list, code, new float[D]);
          float[] want = new float[D];
          model.pq().decode(code, 0, want);
          for (int j = 0; j < D; j++) {
            want[j] += model.coarse().centroids()[list * D + j];
          }
          assertArrayEquals(want, got, "id " + ids[i]);
        }
      }
      long absent = Arrays.stream(ids).max().getAsLong() + 1;
      assertNull(index.vector(absent));
      assertThrows(IllegalArgumentException.class,
          () -> index.searchByItem(absent, 5, SearchParams.nprobe(8)));
      assertThrows(IllegalStateException.class, () -> index.vector("x"));
    }
  }

  @Test
  void similarItemsLeaveTheItemOutAndKeepTheFilter() throws IOException {
    Random rnd = new Random(5);
    float[][] vectors = TestIndexes.gaussian(rnd, N, D);
    TestIndexes.Published p =
        TestIndexes.index(vectors, Metric.L2, IndexSpec.flat(4)).shards(2).publish(root);
    try (KilnIndex index = p.open()) {
      SearchParams all = SearchParams.nprobe(4);
      for (long id = 0; id < N; id += 101) {
        long item = id;
        Neighbors n = index.searchByItem(item, 5, all);
        assertEquals(5, n.size());
        assertTrue(Arrays.stream(n.ids()).noneMatch(x -> x == item), "itself returned");
        // The same as searching its vector for six and dropping it.
        Neighbors six = index.search(index.vector(item), 6, all);
        long[] rest = Arrays.stream(six.ids()).filter(x -> x != item).limit(5).toArray();
        assertArrayEquals(rest, n.ids());
        Neighbors odd = index.searchByItem(item, 5, all.withFilter(IdFilter.ids(x -> x % 2 == 1)));
        assertTrue(Arrays.stream(odd.ids()).allMatch(x -> x % 2 == 1 && x != item));
      }
    }
  }

  @Test
  void stringKeysAndFastScanWithoutRefine() throws IOException {
    Random rnd = new Random(6);
    float[][] vectors = TestIndexes.gaussian(rnd, N, D);
    String[] keys = TestIndexes.randomKeys(rnd, N);
    TestIndexes.Published p = TestIndexes.index(vectors, Metric.L2, IndexSpec.flat(4))
        .keys(keys).shards(2).publish(root.resolve("keys"));
    try (KilnIndex index = p.open()) {
      assertArrayEquals(vectors[10], index.vector(keys[10]));
      assertNull(index.vector("no such key"));
      Neighbors n = index.searchByItem(keys[10], 3, SearchParams.nprobe(4));
      assertTrue(n.hasStringIds());
      for (int i = 0; i < n.size(); i++) {
        assertTrue(!n.idString(i).equals(keys[10]));
      }
      assertThrows(IllegalStateException.class, () -> index.vector(1L));
    }
    TestIndexes.Published fs = TestIndexes.index(vectors, Metric.L2, IndexSpec.fastScan(4, 8))
        .publish(root.resolve("fs"));
    try (KilnIndex index = fs.open()) {
      UnsupportedOperationException e =
          assertThrows(UnsupportedOperationException.class, () -> index.vector(3L));
      assertTrue(e.getMessage().contains("refine"), e.getMessage());
    }
  }
}
