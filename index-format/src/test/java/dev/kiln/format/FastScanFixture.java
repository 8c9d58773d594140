package dev.kiln.format;

import static dev.kiln.format.FixtureGenerator.DIM;
import static dev.kiln.format.FixtureGenerator.LONG_IDS_BY_LIST;
import static dev.kiln.format.FixtureGenerator.NLIST;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@value FixtureGenerator#FAST_SCAN} fixture set (format version 3, from the fast-scan
 * index forms on): {@code IVF4,PQ2x4fs}, d = 8, l2, {@link FixtureGenerator#pqCentroids()},
 * 16 dyadic sub-centroids per sub-space and the precomputed L2 table (as a build writes for
 * fast-scan); one shard of the long-ids set's 20 items with int64 ids, 4-bit codes in
 * {@link FastScanLayout} blocks (lists of 9 and 11 items: one partial block each) and no terms.
 */
final class FastScanFixture {
  static final int PQ_M = 2;
  static final int KSUB = 16;
  static final IndexSpec SPEC = IndexSpec.fastScan(NLIST, PQ_M);

  private FastScanFixture() {}

  /** M x 16 x d/M, dyadic values (k/8). */
  static float[] codebooks() {
    int dsub = DIM / PQ_M;
    float[] cb = new float[PQ_M * KSUB * dsub];
    for (int m = 0; m < PQ_M; m++) {
      for (int c = 0; c < KSUB; c++) {
        for (int k = 0; k < dsub; k++) {
          cb[(m * KSUB + c) * dsub + k] = (((m * KSUB + c) * 5 + k * 7) % 13 - 6) / 8f;
        }
      }
    }
    return cb;
  }

  /** ||pq[m][c]||^2 + 2 <centroid_l[m], pq[m][c]>, exact (dyadic values). */
  static float[] l2Table(float[] centroids, float[] codebooks) {
    return FixtureGenerator.l2Table(centroids, codebooks, PQ_M, KSUB);
  }

  /** The 4-bit code of the item with this ordinal, one byte per sub-space (0-15, all used). */
  static byte[] code(int ordinal) {
    return new byte[] {(byte) ((ordinal * 7 + 3) & 15), (byte) ((15 - ordinal * 5) & 15)};
  }

  static Map<String, byte[]> generate() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    float[] centroids = FixtureGenerator.pqCentroids();
    float[] codebooks = codebooks();
    int[] modelCrc = new int[1];
    files.put(ModelFile.NAME, TestFiles.write(out -> modelCrc[0] = ModelFile.write(
        out, Metric.L2, DIM, SPEC, centroids, codebooks, l2Table(centroids, codebooks), null)));
    int[] lengths = FixtureGenerator.lengths(LONG_IDS_BY_LIST);
    files.put(ShardFile.fileName(0), TestFiles.write(out -> {
      ShardFileWriter w = new ShardFileWriter(out, 0, 1, DIM, SPEC.codeSize(DIM), true, false,
          IdType.LONG, modelCrc[0], FixtureGenerator.sizes(lengths));
      int ordinal = 0;
      for (int l = 0; l < NLIST; l++) {
        for (long id : LONG_IDS_BY_LIST[l]) {
          w.add(l, id, code(ordinal++));
        }
      }
      w.finish();
    }));
    files.put(IndexLayout.MANIFEST, FixtureGenerator.manifest(FixtureGenerator.NAME + "fast-scan",
        SPEC, Metric.L2, "long", lengths, files, null));
    return files;
  }
}
