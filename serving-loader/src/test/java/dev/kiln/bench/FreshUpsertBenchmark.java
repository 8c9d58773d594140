package dev.kiln.bench;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
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
 * What an upsert costs: {@code fresh} upserts (d = 128, Gaussian) into an empty fresh set of a
 * 20,000-item IVF256,PQ16 version, one call per item on one thread, with the fresh graph kept
 * ({@code graph}) or not ({@code scan}: the list assignment only). One shot per iteration; the
 * score divided by {@code fresh} is the time per upsert. Run with
 * {@code scripts/jmh.sh FreshUpsertBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FreshUpsertBenchmark {
  private static final int D = 128;

  /** 1,000,000 works too: about 20 minutes a shot with the graph on Gaussian vectors. */
  @Param({"10000", "100000"})
  public int fresh;

  @Param({"scan", "graph"})
  public String path;

  private Path root;
  private float[][] vectors;
  private ServingIndex serving;

  @Setup(Level.Trial)
  public void publish() throws IOException {
    root = Files.createTempDirectory("kiln-upsert-bench");
    Random rnd = new Random(1);
    TestIndexes.index(TestIndexes.gaussian(rnd, 20_000, D), Metric.L2, IndexSpec.pq(256, 16))
        .publish(root);
    vectors = TestIndexes.gaussian(rnd, fresh, D);
  }

  @Setup(Level.Iteration)
  public void open() throws IOException {
    serving = ServingIndex.open(root, ServingOptions.defaults().withPollInterval(Duration.ZERO)
        .withMaxFreshItems(fresh)
        .withFreshGraphFrom(path.equals("graph") ? 1 : Integer.MAX_VALUE));
  }

  @TearDown(Level.Iteration)
  public void close() {
    serving.close();
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    TestIndexes.deleteTree(root);
  }

  @Benchmark
  public int upsertAll() {
    for (int i = 0; i < fresh; i++) {
      serving.upsert(1_000_000L + i, vectors[i]);
    }
    return serving.metrics().freshItems();
  }
}
