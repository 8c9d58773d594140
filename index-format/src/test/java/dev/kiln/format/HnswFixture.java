package dev.kiln.format;

import static dev.kiln.format.FixtureGenerator.DIM;
import static dev.kiln.format.FixtureGenerator.LONG_IDS_BY_LIST;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@value FixtureGenerator#HNSW} fixture set (format version 3, from the {@code HNSW{M}}
 * forms on): {@code HNSW2}, d = 8, l2. The model is {@code IVF1,Flat} with a zero centroid (what
 * a build of a graph index records); one shard of 20 items in one list, the long-ids set's ids in
 * ascending order, each stored as the float32 vector {@link FixtureGenerator#refineVector}; and
 * {@code graph-00000.kiln} holding {@link #graph()}.
 *
 * <p>The {@value FixtureGenerator#HNSW_SQ8} set (version 3, from {@code HNSW{M},SQ8} on) is
 * {@code HNSW2,SQ8}: the same items and graph, the model {@code IVF1,SQ8} carrying {@link
 * FixtureGenerator#sq8Base()} and {@link FixtureGenerator#sq8Step()}, each item stored as its 8
 * bytes {@link FixtureGenerator#sq8Code}, which decode exactly to the hnsw set's float32 vector.
 */
final class HnswFixture {
  static final IndexSpec SPEC = IndexSpec.graph(2);
  static final IndexSpec SQ8_SPEC = IndexSpec.graph(2, IndexSpec.Encoding.SQ8);
  static final int COUNT = 20;

  private HnswFixture() {}

  /** The long-ids set's ids, ascending: ordinal o is the o-th. */
  static long[] ids() {
    return Stream.of(LONG_IDS_BY_LIST).flatMapToLong(Arrays::stream).sorted().toArray();
  }

  /**
   * M = 2 over 20 nodes, three levels. Level 0 (rows of 4): node i links to i+1, i-1, i+2, i-2
   * (mod 20), except node 7, which keeps two links and two -1s of padding. Level 1: nodes 0, 5,
   * 10, 15 in a ring. Level 2: nodes 0 and 10, one link each. Entry point 10.
   */
  static HnswSection graph() {
    int[] level0 = new int[COUNT * 4];
    for (int i = 0; i < COUNT; i++) {
      int[] row = i == 7 ? new int[] {8, 6, -1, -1}
          : new int[] {(i + 1) % COUNT, (i + 19) % COUNT, (i + 2) % COUNT, (i + 18) % COUNT};
      System.arraycopy(row, 0, level0, 4 * i, 4);
    }
    return HnswSection.of(2, 40, 10, COUNT, level0,
        new int[][] {{0, 5, 10, 15}, {0, 10}},
        new int[][] {{5, 15, 0, 10, 5, 15, 10, 0}, {10, -1, 0, -1}});
  }

  /** SQ8's model parameters: base, then step. */
  static float[] sq8Parameters() {
    float[] p = Arrays.copyOf(FixtureGenerator.sq8Base(), 2 * DIM);
    System.arraycopy(FixtureGenerator.sq8Step(), 0, p, DIM, DIM);
    return p;
  }

  /** The hnsw set ({@code sq8} false) or the hnsw-sq8 set. */
  static Map<String, byte[]> generate(boolean sq8) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    int[] modelCrc = new int[1];
    IndexSpec spec = sq8 ? SQ8_SPEC : SPEC;
    files.put(ModelFile.NAME, TestFiles.write(out -> modelCrc[0] = ModelFile.write(out,
        Metric.L2, DIM, spec.base(), new float[DIM], sq8 ? sq8Parameters() : null, null, null)));
    long[] ids = ids();
    files.put(ShardFile.fileName(0), TestFiles.write(out -> {
      ShardFileWriter w = new ShardFileWriter(out, 0, 1, DIM, spec.codeSize(DIM), false,
          IdType.LONG, modelCrc[0], new long[] {COUNT});
      for (int o = 0; o < COUNT; o++) {
        if (sq8) {
          w.add(0, ids[o], FixtureGenerator.sq8Code(o));
          continue;
        }
        ByteBuffer code = ByteBuffer.allocate(DIM * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        code.asFloatBuffer().put(FixtureGenerator.refineVector(o));
        w.add(0, ids[o], code.array());
      }
      w.finish();
    }));
    files.put(GraphFile.fileName(0),
        TestFiles.write(out -> GraphFile.write(out, 0, modelCrc[0], graph())));
    files.put(IndexLayout.MANIFEST, FixtureGenerator.manifest(FixtureGenerator.NAME
        + (sq8 ? "hnsw-sq8" : "hnsw"), spec, Metric.L2, "long", new int[] {COUNT}, files, null));
    return files;
  }
}
