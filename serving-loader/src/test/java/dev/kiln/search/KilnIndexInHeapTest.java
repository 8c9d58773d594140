package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link OpenOptions#inHeap}: the files read into heap buffers answer as the mapped
 * files do, bit for bit, in single and batch search, for every list encoding and a refine stage;
 * the files can be emptied once open has read them (a mapped file cut under its reader would
 * fault); a {@link ServingIndex} passes the option on.
 */
class KilnIndexInHeapTest {
  private static final int K = 10;

  @TempDir Path root;

  static Stream<IndexSpec> specs() {
    return Stream.of(IndexSpec.flat(8), IndexSpec.pq(8, 8),
        IndexSpec.pq(8, 8).withRefine(IndexSpec.Refine.FLAT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void aHeapCopyAnswersAsTheMappedFiles(IndexSpec spec) throws IOException {
    // 96 dimensions: the Vector API kernels' full steps and tails, on heap buffers too.
    float[][] data = TestIndexes.gaussian(new Random(1), 3000, 96);
    Published p = TestIndexes.index(data, Metric.L2, spec).shards(2).publish(root);
    float[][] queries = TestIndexes.gaussian(new Random(2), 40, 96);
    SearchParams params = SearchParams.nprobe(3);
    Neighbors[] mapped = new Neighbors[queries.length];
    Neighbors[] mappedBatch;
    try (KilnIndex index = KilnIndex.open(p.root())) {
      for (int i = 0; i < queries.length; i++) {
        mapped[i] = index.search(queries[i], K, params);
      }
      mappedBatch = index.search(queries, K, params);
    }
    try (KilnIndex index = KilnIndex.open(p.root(), OpenOptions.defaults()
        .withInHeap(true))) {
      // Read whole at open: emptying the files changes nothing.
      truncateIndexFiles(p.root());
      Neighbors[] batch = index.search(queries, K, params);
      for (int i = 0; i < queries.length; i++) {
        Neighbors single = index.search(queries[i], K, params);
        assertArrayEquals(mapped[i].ids(), single.ids(), "query " + i);
        assertArrayEquals(mapped[i].scores(), single.scores(), "query " + i);
        assertArrayEquals(mappedBatch[i].ids(), batch[i].ids(), "batch query " + i);
        assertArrayEquals(mappedBatch[i].scores(), batch[i].scores(), "batch query " + i);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void aServingHandleOpensVersionsInTheHeap(IndexSpec spec) throws IOException {
    float[][] data = TestIndexes.gaussian(new Random(3), 1000, 32);
    Published p = TestIndexes.index(data, Metric.L2, spec).publish(root);
    float[] q = data[7];
    ServingOptions options = ServingOptions.defaults().withPollInterval(Duration.ZERO)
        .withInHeap(true);
    assertEquals(true, options.inHeap());
    try (ServingIndex serving = ServingIndex.open(p.root(), options)) {
      truncateIndexFiles(p.root()); // served from the heap copy from now on
      Neighbors n = serving.search(q, K, SearchParams.nprobe(8));
      assertEquals(7L, n.ids()[0], "the query's own vector first");
    }
  }

  /** Cuts every .kiln file under {@code root} to zero bytes. */
  private static void truncateIndexFiles(Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".kiln")).toList();
    }
    assertEquals(true, files.size() >= 2, "model and shard files: " + files);
    for (Path f : files) {
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
          java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
    }
  }
}
