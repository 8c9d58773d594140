package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.search.TestIndexes.Published;
import dev.kiln.vector.VectorKernels;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The loader on a newer JDK (JDK 25 where one is installed: {@code -Dkiln.jdk25.java}, else
 * Temurin's Debian path), whose incubating Vector API has no {@code fromByteBuffer}: it runs
 * {@code PanamaOnArrays}, the Vector API for the array kernels and the JDK 25 layer's
 * {@code SegmentRows} for float32 rows in buffers, and answers as this JVM (JDK 17, the Vector
 * API throughout) does: IVF-PQ and IVF-Flat, mapped and in the heap, one query a call and in a
 * batch, the same ids in the same order and each score within a relative 1e-6 (a float sum's
 * lane reduction is ordered as each JDK's JIT chooses, so the last bit may differ). The child JVM
 * reads the main classes with the multi-release layer's directory first, as the jar would serve
 * them.
 */
class OtherJdkSearchTest {
  private static final int N_QUERIES = 30;
  private static final int DIM = 96;
  private static final long SEED = 2;
  private static final int K = 10;
  private static final int NPROBE = 4;

  @TempDir Path root;

  static Stream<Arguments> cases() {
    return Stream.of(Arguments.of(IndexSpec.pq(16, 8), false),
        Arguments.of(IndexSpec.flat(16), false), Arguments.of(IndexSpec.flat(16), true));
  }

  @ParameterizedTest(name = "{0}, in heap: {1}")
  @MethodSource("cases")
  void aJdkWithoutFromByteBufferAnswersAsThisOne(IndexSpec spec, boolean inHeap)
      throws Exception {
    Path java = Path.of(System.getProperty("kiln.jdk25.java",
        "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
    assumeTrue(Files.isExecutable(java), "no JDK 25 at " + java);
    Published p = TestIndexes.index(TestIndexes.gaussian(new Random(1), 3000, DIM), Metric.L2,
        spec).publish(root);
    List<String> here = SearchOnThisJdk.results(p.root(),
        TestIndexes.gaussian(new Random(SEED), N_QUERIES, DIM), K, NPROBE, inHeap);
    List<String> there = run(java, p.root(), inHeap);
    assertTrue(there.get(0).startsWith("kernels: panama(")
        && there.get(0).endsWith("on arrays and float32 rows, scalar on codes"), there.get(0));
    assertEquals(2 * N_QUERIES, here.size());
    assertEquals(here.size(), there.size() - 1, String.join("\n", there));
    for (int i = 0; i < here.size(); i++) {
      assertSameResults(here.get(i), there.get(i + 1), "line " + i);
    }
  }

  /** The same ids in order; scores within a relative 1e-6 (see the class comment). */
  private static void assertSameResults(String here, String there, String what) {
    String[] a = here.split(" ");
    String[] b = there.split(" ");
    assertEquals(a.length, b.length, what + ": " + here + " / " + there);
    for (int j = 0; j < a.length; j++) {
      if (a[j].equals("batch")) {
        assertEquals(a[j], b[j], what);
        continue;
      }
      String[] x = a[j].split(":");
      String[] y = b[j].split(":");
      assertEquals(x[0], y[0], what + " rank " + j + ": " + here + " / " + there);
      float fx = Float.intBitsToFloat(Integer.parseUnsignedInt(x[1], 16));
      float fy = Float.intBitsToFloat(Integer.parseUnsignedInt(y[1], 16));
      assertTrue(Math.abs(fx - fy) <= 1e-6 * Math.abs(fx), what + " rank " + j + ": " + fx
          + " / " + fy);
    }
  }

  private List<String> run(Path java, Path index, boolean inHeap)
      throws IOException, InterruptedException, URISyntaxException {
    Path classes = Path.of(VectorKernels.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    Path layer = classes.resolve("META-INF/versions/25");
    assertTrue(Files.isDirectory(layer), "the JDK 25 layer was not compiled: " + layer);
    String cp = layer + File.pathSeparator + System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Path out = root.resolve("child.out");
    Path err = root.resolve("child.err");
    Process child = new ProcessBuilder(java.toString(), "--add-modules=jdk.incubator.vector",
        "-cp", cp, SearchOnThisJdk.class.getName(), index.toString(),
        Integer.toString(N_QUERIES), Integer.toString(DIM), Long.toString(SEED),
        Integer.toString(K), Integer.toString(NPROBE), Boolean.toString(inHeap))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    // A hang guard, not a timing assertion.
    assertTrue(child.waitFor(2, TimeUnit.MINUTES), "the child JVM did not finish");
    assertEquals(0, child.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    return Files.readAllLines(out, StandardCharsets.UTF_8);
  }
}
