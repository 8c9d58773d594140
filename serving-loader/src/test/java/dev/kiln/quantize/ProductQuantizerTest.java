package dev.kiln.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.search.TestIndexes;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProductQuantizerTest {
  private static final int D = 24;
  private static final int KSUB = ProductQuantizer.KSUB;

  private static ProductQuantizer randomPq(Random rnd, int m) {
    return new ProductQuantizer(TestIndexes.gaussian(rnd, KSUB * D), D, m);
  }

  private static int codebookOffset(ProductQuantizer pq, int j, int c) {
    return (j * KSUB + c) * pq.dsub();
  }

  @ParameterizedTest(name = "m = {0}")
  @ValueSource(ints = {1, 2, 3, 4, 6, 8, 12, 24})
  void encodePicksTheNearestSubCentroid(int m) {
    Random rnd = new Random(m);
    ProductQuantizer pq = randomPq(rnd, m);
    int dsub = pq.dsub();
    for (int trial = 0; trial < 50; trial++) {
      int off = rnd.nextInt(5);
      int codeOff = rnd.nextInt(3);
      float[] x = new float[off + D];
      System.arraycopy(TestIndexes.gaussian(rnd, D), 0, x, off, D);
      byte[] code = new byte[codeOff + m];
      pq.encode(x, off, code, codeOff);
      for (int j = 0; j < m; j++) {
        double best = Double.POSITIVE_INFINITY;
        int arg = -1;
        for (int c = 0; c < KSUB; c++) {
          double dist = TestIndexes.squareDistance(
              x, off + j * dsub, pq.codebooks(), codebookOffset(pq, j, c), dsub);
          if (dist < best) {
            best = dist;
            arg = c;
          }
        }
        int chosen = code[codeOff + j] & 0xff;
        if (chosen != arg) {
          TestIndexes.assertClose(best, TestIndexes.squareDistance(
                  x, off + j * dsub, pq.codebooks(), codebookOffset(pq, j, chosen), dsub),
              "sub-space " + j + ": chose " + chosen + ", nearest is " + arg);
        }
      }
    }
  }

  /**
   * Encoding a codeword finds it, up to float rounding: encoding ranks sub-centroids by
   * {@code ||c||^2/2 - x.c} (the batched GEMM form Faiss also uses), which cannot separate two
   * sub-centroids closer than its rounding error, so the one chosen must be as near as the
   * codeword itself within that error, and is the codeword whenever no other is that close.
   */
  @ParameterizedTest(name = "m = {0}")
  @ValueSource(ints = {1, 3, 8, 24})
  void encodingACodewordFindsItUpToRounding(int m) {
    Random rnd = new Random(10 + m);
    ProductQuantizer pq = randomPq(rnd, m);
    int dsub = pq.dsub();
    int exact = 0;
    for (int trial = 0; trial < 50; trial++) {
      byte[] code = new byte[m];
      rnd.nextBytes(code);
      if (trial == 0) {
        Arrays.fill(code, (byte) 0xFF);
      }
      float[] x = new float[D];
      for (int j = 0; j < m; j++) {
        System.arraycopy(pq.codebooks(), codebookOffset(pq, j, code[j] & 0xff), x, j * dsub,
            dsub);
      }
      byte[] encoded = new byte[m];
      pq.encode(x, 0, encoded, 0);
      float[] decoded = new float[D];
      pq.decode(encoded, 0, decoded);
      for (int j = 0; j < m; j++) {
        double dist = 0;
        double norm = 0;
        for (int s = j * dsub; s < (j + 1) * dsub; s++) {
          dist += (double) (x[s] - decoded[s]) * (x[s] - decoded[s]);
          norm += (double) x[s] * x[s];
        }
        assertTrue(dist <= 1e-5 * (norm + 1),
            "sub-space " + j + ": chose " + (encoded[j] & 0xff) + " at squared distance " + dist
                + " for codeword " + (code[j] & 0xff));
        if (encoded[j] == code[j]) {
          exact++;
        }
      }
    }
    // Near-duplicate sub-centroids are rare: nearly every sub-space finds its own codeword.
    assertTrue(exact >= 0.95 * 50 * m, exact + " of " + 50 * m + " sub-codes exact");
  }

  @ParameterizedTest(name = "m = {0}")
  @ValueSource(ints = {1, 4, 8, 12})
  void tablesMatchTheirDefinitions(int m) {
    Random rnd = new Random(20 + m);
    ProductQuantizer pq = randomPq(rnd, m);
    int dsub = pq.dsub();
    int nlist = 5;
    float[] q = TestIndexes.gaussian(rnd, D);
    float[] centroids = TestIndexes.gaussian(rnd, nlist * D);
    float[] ip = new float[m * KSUB];
    float[] l2 = new float[m * KSUB];
    pq.innerProductTable(q, ip);
    pq.l2Table(q, l2);
    float[] pre = pq.precomputeL2Table(centroids, nlist);
    for (int j = 0; j < m; j++) {
      for (int c = 0; c < KSUB; c++) {
        int t = j * KSUB + c;
        int at = codebookOffset(pq, j, c);
        TestIndexes.assertClose(
            TestIndexes.dot(q, j * dsub, pq.codebooks(), at, dsub), ip[t], "ip " + t);
        TestIndexes.assertClose(
            TestIndexes.squareDistance(q, j * dsub, pq.codebooks(), at, dsub), l2[t], "l2 " + t);
        for (int l = 0; l < nlist; l++) {
          double expected = TestIndexes.dot(pq.codebooks(), at, pq.codebooks(), at, dsub)
              + 2 * TestIndexes.dot(centroids, l * D + j * dsub, pq.codebooks(), at, dsub);
          TestIndexes.assertClose(expected, pre[l * m * KSUB + t], "precomputed " + l + "/" + t);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 8})
  void tablesOfABlockEqualOneQueryAtATimeBitForBit(int m) {
    Random rnd = new Random(7);
    ProductQuantizer pq = randomPq(rnd, m);
    float[] tile = new float[4 * dev.kiln.vector.VectorKernels.PANEL];
    for (int n = 1; n <= 9; n++) { // full groups of four and every remainder
      float[] rows = TestIndexes.gaussian(rnd, n * D);
      float[][] block = new float[n][KSUB * m];
      pq.innerProductTables(rows, n, block, tile);
      for (int i = 0; i < n; i++) {
        float[] one = new float[KSUB * m];
        pq.innerProductTable(Arrays.copyOfRange(rows, i * D, (i + 1) * D), one);
        assertArrayEquals(one, block[i], "n=" + n + " row " + i);
      }
    }
  }

  @Test
  void rejectsInconsistentShapes() {
    assertThrows(IllegalArgumentException.class,
        () -> new ProductQuantizer(new float[KSUB * D], D, 5));
    assertThrows(IllegalArgumentException.class,
        () -> new ProductQuantizer(new float[KSUB * D - 1], D, 4));
  }
}
