package dev.kiln.bench;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What fresh items cost a query: {@link ServingIndex#search} over a 20,000-item IVF256,PQ16
 * version (d = 128, nprobe 16, k = 10) with 0 to 1,000,000 fresh items (Gaussian, the hard
 * case for a graph), reached by scanning them in the probed lists ({@code scan}) or by walking
 * their HNSW graph at efSearch 64 ({@code graph}): where the two cross is
 * {@link ServingOptions#DEFAULT_FRESH_GRAPH_FROM}. Run with {@code scripts/jmh.sh
 * FreshScanBenchmark}; setting up a million graph items takes a few minutes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FreshScanBenchmark {
  private static final int D = 128;

  @Param({"0", "1000", "10000", "100000", "1000000"})
  public int fresh;

  @Param({"scan", "graph"})
  public String path;

  private Path root;
  private ServingIndex serving;
  private float[][] queries;
  private int next;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    root = Files.createTempDirectory("kiln-fresh-bench");
    Random rnd = new Random(1);
    TestIndexes.index(TestIndexes.gaussian(rnd, 20_000, D), Metric.L2, IndexSpec.pq(256, 16))
        .publish(root);
    serving = ServingIndex.open(root, ServingOptions.defaults().withPollInterval(Duration.ZERO)
        .withMaxFreshItems(Math.max(1, fresh))
        .withFreshGraphFrom(path.equals("graph") ? 1 : Integer.MAX_VALUE));
    for (int i = 0; i < fresh; i++) {
      serving.upsert(1_000_000L + i, TestIndexes.gaussian(rnd, D));
    }
    queries = TestIndexes.gaussian(rnd, 256, D);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    serving.close();
    TestIndexes.deleteTree(root);
  }

  @Benchmark
  public Neighbors search() {
    next = (next + 1) & 255;
    return serving.search(queries[next], 10, SearchParams.nprobe(16));
  }
}
