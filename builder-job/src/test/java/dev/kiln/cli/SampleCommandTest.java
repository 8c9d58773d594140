package dev.kiln.cli;

import dev.kiln.tools.SyntheticData;
import dev.kiln.tools.Vecs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln sample} and the fvecs/ivecs writers; no Spark. */
class SampleCommandTest {
  @TempDir Path tmp;

  @Test
  void writesBaseQueriesAndExactGroundTruth() throws IOException {
    Path dir = tmp.resolve("s");
    assertEquals(0, KilnCli.execute("sample", "--out", dir.toString(), "--n", "700",
        "--queries", "25", "--dim", "12", "--seed", "7"));

    float[][] base = Vecs.readFloats(dir.resolve("base.fvecs"));
    float[][] queries = Vecs.readFloats(dir.resolve("query.fvecs"));
    int[][] gt = Vecs.readInts(dir.resolve("groundtruth.ivecs"));
    assertEquals(new Vecs.Shape(700, 12), Vecs.shape(dir.resolve("base.fvecs")));
    assertEquals(new Vecs.Shape(25, 12), Vecs.shape(dir.resolve("query.fvecs")));
    assertEquals(new Vecs.Shape(25, 100), Vecs.shape(dir.resolve("groundtruth.ivecs")));

    // What was written is what the generator produced, and the files read back through Vecs.
    SyntheticData data = SyntheticData.generate(700, 25, 12, 7);
    assertTrue(Arrays.deepEquals(data.base(), base));
    assertTrue(Arrays.deepEquals(data.queries(), queries));
    for (int q = 0; q < queries.length; q++) {
      assertArrayEquals(bruteForce(base, queries[q], 100), gt[q], "query " + q);
    }
  }

  @Test
  void groundTruthDepthIsCappedByTheBaseSize() throws IOException {
    Path dir = tmp.resolve("small");
    assertEquals(0, KilnCli.execute("sample", "--out", dir.toString(), "--n", "40",
        "--queries", "3", "--dim", "5"));
    float[][] base = Vecs.readFloats(dir.resolve("base.fvecs"));
    int[][] gt = Vecs.readInts(dir.resolve("groundtruth.ivecs"));
    float[][] queries = Vecs.readFloats(dir.resolve("query.fvecs"));
    assertEquals(3, gt.length);
    for (int q = 0; q < gt.length; q++) {
      assertArrayEquals(bruteForce(base, queries[q], 40), gt[q]);
    }
  }

  @Test
  void groundTruthOrdersTiesById() {
    float[][] base = {{2}, {1}, {-1}, {0}, {1}, {-1}};
    int[][] gt = SyntheticData.groundTruth(base, new float[][] {{0}}, 5);
    assertArrayEquals(new int[] {3, 1, 2, 4, 5}, gt[0]);
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherData() throws IOException {
    String[] common = {"--n", "300", "--queries", "10", "--dim", "8"};
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    assertEquals(0, KilnCli.execute(concat(new String[] {"sample", "--out", a.toString()}, common)));
    assertEquals(0, KilnCli.execute(concat(new String[] {"sample", "--out", b.toString()}, common)));
    assertEquals(0, KilnCli.execute(
        concat(new String[] {"sample", "--out", c.toString(), "--seed", "43"}, common)));
    for (String f : new String[] {"base.fvecs", "query.fvecs", "groundtruth.ivecs"}) {
      assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
    assertFalse(Arrays.equals(Files.readAllBytes(a.resolve("base.fvecs")),
        Files.readAllBytes(c.resolve("base.fvecs"))));
  }

  @Test
  void dataIsClustered() {
    // 200 clusters with unit latent noise: a vector's nearest neighbour is much nearer than a
    // random vector is (for isotropic Gaussian data of the same dimension the ratio is near 1).
    SyntheticData data = SyntheticData.generate(4000, 50, 32, 1);
    double nn = 0;
    double random = 0;
    for (int q = 0; q < 50; q++) {
      int[] gt = SyntheticData.groundTruth(data.base(), new float[][] {data.queries()[q]}, 1)[0];
      nn += SyntheticData.squareDistance(data.queries()[q], data.base()[gt[0]]);
      random += SyntheticData.squareDistance(data.queries()[q], data.base()[q * 13]);
    }
    assertTrue(nn < 0.25 * random, "nearest " + nn + " vs random " + random);
  }

  @Test
  void badSizesAreUsageErrors() {
    assertEquals(2, KilnCli.execute("sample", "--out", tmp.toString(), "--n", "0"));
    assertEquals(2, KilnCli.execute("sample", "--out", tmp.toString(), "--dim", "-1"));
    assertEquals(2, KilnCli.execute("sample")); // --out is required
  }

  @Test
  void vecsWritersFollowTheSiftConventionAndRoundTrip() throws IOException {
    Path f = tmp.resolve("x.fvecs");
    float[][] rows = {{1.5f, -0f, Float.MAX_VALUE}, {Float.NaN, 2, -3}};
    Vecs.writeFloats(f, rows);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(2 * (4 + 3 * 4), b.capacity());
    assertEquals(3, b.getInt(0));
    assertEquals(1.5f, b.getFloat(4));
    assertEquals(3, b.getInt(16));
    float[][] back = Vecs.readFloats(f);
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < 3; j++) {
        assertEquals(Float.floatToRawIntBits(rows[i][j]), Float.floatToRawIntBits(back[i][j]));
      }
    }

    Path g = tmp.resolve("x.ivecs");
    int[][] ints = new int[5000][]; // more than one 1 MiB write buffer
    for (int i = 0; i < ints.length; i++) {
      int row = i;
      ints[i] = IntStream.range(0, 100).map(j -> j * 7919 - row).toArray();
    }
    Vecs.writeInts(g, ints);
    assertTrue(Arrays.deepEquals(ints, Vecs.readInts(g)));
    Vecs.writeInts(g, new int[][] {{1}}); // overwrites, truncating
    assertEquals(new Vecs.Shape(1, 1), Vecs.shape(g));

    assertThrows(IllegalArgumentException.class,
        () -> Vecs.writeFloats(f, new float[][] {{1, 2}, {3}}));
    assertThrows(IllegalArgumentException.class, () -> Vecs.writeInts(g, new int[0][]));
  }

  /** Every base vector sorted by (squared L2 in double, id); the first k ids. */
  private static int[] bruteForce(float[][] base, float[] q, int k) {
    double[] d = new double[base.length];
    for (int i = 0; i < base.length; i++) {
      double s = 0;
      for (int j = 0; j < q.length; j++) {
        double t = (double) q[j] - base[i][j];
        s += t * t;
      }
      d[i] = s;
    }
    return IntStream.range(0, base.length).boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> d[i]).thenComparingInt(i -> i))
        .limit(k).mapToInt(Integer::intValue).toArray();
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
