package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader on a newer JDK (JDK 25 where one is installed: {@code -Dkiln.jdk25.java}, else
 * Temurin's Debian path): its incubating Vector API has no {@code fromByteBuffer}, so it runs
 * {@code PanamaOnArrays}, the Vector API for the array kernels and the scalar kernels for the
 * buffer ones, not the scalar kernels throughout. An IVF-PQ search there (coarse step and PQ
 * tables on arrays, the code scan scalar on both JDKs) answers as this JVM does, bit for bit.
 */
class OtherJdkSearchTest {
  private static final int N_QUERIES = 30;
  private static final int DIM = 96;
  private static final long SEED = 2;

  @TempDir Path root;

  @Test
  void aJdkWithoutFromByteBufferRunsTheArrayKernelsWithTheVectorApi() throws Exception {
    Path java = Path.of(System.getProperty("kiln.jdk25.java",
        "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
    assumeTrue(Files.isExecutable(java), "no JDK 25 at " + java);
    float[][] data = TestIndexes.gaussian(new Random(1), 3000, DIM);
    Published p = TestIndexes.index(data, Metric.L2, IndexSpec.pq(16, 8)).publish(root);
    List<String> here = new ArrayList<>();
    try (KilnIndex index = KilnIndex.open(p.root())) {
      for (float[] q : TestIndexes.gaussian(new Random(SEED), N_QUERIES, DIM)) {
        here.add(SearchOnThisJdk.line(index.search(q, 10, SearchParams.nprobe(4))));
      }
    }
    List<String> there = run(java, p.root());
    assertTrue(there.get(0).startsWith("kernels: panama(")
        && there.get(0).endsWith("on arrays, scalar on buffers"), there.get(0));
    assertEquals(here, there.subList(1, there.size()));
  }

  private List<String> run(Path java, Path index) throws IOException, InterruptedException {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path out = root.resolve("child.out");
    Process child = new ProcessBuilder(java.toString(), "--add-modules=jdk.incubator.vector",
        "-cp", cp, SearchOnThisJdk.class.getName(), index.toString(),
        Integer.toString(N_QUERIES), Integer.toString(DIM), Long.toString(SEED), "10", "4")
        .redirectErrorStream(false).redirectOutput(out.toFile())
        .redirectError(root.resolve("child.err").toFile()).start();
    // A hang guard, not a timing assertion.
    assertTrue(child.waitFor(2, TimeUnit.MINUTES), "the child JVM did not finish");
    String err = Files.readString(root.resolve("child.err"), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), err);
    return Files.readAllLines(out, StandardCharsets.UTF_8);
  }
}
