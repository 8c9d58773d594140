package dev.kiln.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the checked-in format fixtures of the current format version: four tiny, fully
 * deterministic index versions (see FORMAT.md, "Fixtures"). The v1 fixtures, written by this
 * class before version 2, are the same sets without the shard's L2 terms. Every value comes
 * from a closed formula or a literal here, never from a random source or the clock, so rerunning
 * the generator reproduces the files byte for byte.
 *
 * <ul>
 *   <li>{@value #LONG_IDS}: IVF4,PQ2, d=8, l2, with the precomputed L2 table; one shard of 20
 *       items with int64 ids and (v2) their L2 terms; the first and last lists are empty.
 *   <li>{@value #STRING_IDS}: IVF4,Flat, d=8, cosine; one shard of 20 items with string keys
 *       (including an empty and non-ASCII keys); the second list is empty.
 *   <li>{@value #REFINE_FLAT}: IVF4,PQ2,RFlat: the model and shard of {@value #LONG_IDS}, byte
 *       for byte, plus {@code refine-00000.kiln} holding the 20 vectors as float32.
 *   <li>{@value #REFINE_SQ8}: IVF4,PQ2,Refine(SQ8): likewise, the same 20 vectors as SQ8 codes;
 *       they decode exactly to the float32 ones of {@value #REFINE_FLAT}.
 *   <li>{@value #COARSE_GRAPH} (from v3): IVF4_HNSW2,PQ2: {@value #LONG_IDS} with the HNSW graph
 *       {@link #graph()} in its model (so the shard records another model checksum).
 *   <li>{@value #FAST_SCAN} (v3, from the fast-scan forms on): IVF4,PQ2x4fs, the long-ids items
 *       with 4-bit codes in fast-scan blocks ({@link FastScanFixture}).
 * </ul>
 *
 * <p>Usage: {@code FixtureGenerator DIR} writes {@code DIR/long-ids/...}, {@code
 * DIR/string-ids/...}, {@code DIR/refine-flat/...} and {@code DIR/refine-sq8/...}.
 */
public final class FixtureGenerator {
  public static final String LONG_IDS = "long-ids";
  public static final String STRING_IDS = "string-ids";
  public static final String REFINE_FLAT = "refine-flat";
  public static final String REFINE_SQ8 = "refine-sq8";
  /** From version 3: the long-ids set as IVF4_HNSW2,PQ2, its model carrying {@link #graph()}. */
  public static final String COARSE_GRAPH = "coarse-graph";
  /** Version 3, from the fast-scan forms on: IVF4,PQ2x4fs ({@link FastScanFixture}). */
  public static final String FAST_SCAN = "fast-scan";
  /** Version 3, from the graph forms on: HNSW2 ({@link HnswFixture}). */
  public static final String HNSW = "hnsw";
  /** Version 3, from HNSW{M},SQ8 on: HNSW2,SQ8 ({@link HnswFixture}). */
  public static final String HNSW_SQ8 = "hnsw-sq8";
  public static final List<String> SETS = List.of(LONG_IDS, STRING_IDS, REFINE_FLAT, REFINE_SQ8,
      COARSE_GRAPH, FAST_SCAN, HNSW, HNSW_SQ8);

  static final int DIM = 8;
  static final int NLIST = 4;
  static final int PQ_M = 2;
  static final int KSUB = 256;
  static final String CREATED_AT = "2025-01-01T00:00:00Z";
  /** Version ids of the sets start with this: fixture-v2-long, and so on. */
  static final String NAME = "fixture-v" + FileFormat.CURRENT_VERSION + "-";

  // --- long-ids: IVF4,PQ2 l2 ---

  static final IndexSpec PQ_SPEC = IndexSpec.pq(NLIST, PQ_M);

  /** Ids per list, ascending as signed int64; the extremes pin signedness and width. */
  static final long[][] LONG_IDS_BY_LIST = {
    {},
    {Long.MIN_VALUE, -5_000_000_000L, -1, 0, 1, 7, 42, 1L << 40, Long.MAX_VALUE},
    {3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377},
    {},
  };

  /** Dyadic values (k/4) so that the L2 table below is exact whatever the summation order. */
  static float[] pqCentroids() {
    float[] c = new float[NLIST * DIM];
    for (int l = 0; l < NLIST; l++) {
      for (int i = 0; i < DIM; i++) {
        c[l * DIM + i] = ((l * 7 + i * 3) % 9 - 4) / 4f;
      }
    }
    return c;
  }

  /** M x 256 x d/M, dyadic values (k/8). */
  static float[] pqCodebooks() {
    int dsub = DIM / PQ_M;
    float[] cb = new float[PQ_M * KSUB * dsub];
    for (int m = 0; m < PQ_M; m++) {
      for (int c = 0; c < KSUB; c++) {
        for (int k = 0; k < dsub; k++) {
          cb[(m * KSUB + c) * dsub + k] = (((m * KSUB + c) * 5 + k * 3) % 17 - 8) / 8f;
        }
      }
    }
    return cb;
  }

  /** The table as FORMAT.md defines it: ||pq[m][c]||^2 + 2 <centroid_l[m], pq[m][c]>. */
  static float[] l2Table(float[] centroids, float[] codebooks) {
    return l2Table(centroids, codebooks, PQ_M, KSUB);
  }

  /** {@link #l2Table(float[], float[])} for {@code pqM} sub-spaces of {@code ksub} codewords. */
  static float[] l2Table(float[] centroids, float[] codebooks, int pqM, int ksub) {
    int dsub = DIM / pqM;
    float[] t = new float[NLIST * pqM * ksub];
    for (int l = 0; l < NLIST; l++) {
      for (int m = 0; m < pqM; m++) {
        for (int c = 0; c < ksub; c++) {
          double norm = 0;
          double dot = 0;
          for (int k = 0; k < dsub; k++) {
            double p = codebooks[(m * ksub + c) * dsub + k];
            norm += p * p;
            dot += centroids[l * DIM + m * dsub + k] * p;
          }
          t[(l * pqM + m) * ksub + c] = (float) (norm + 2 * dot);
        }
      }
    }
    return t;
  }

  /**
   * The L2 term (version 2) of the item with this ordinal in list l: its codes' entries of the
   * L2 table, summed; exact, as the entries are dyadic.
   */
  static float l2Term(float[] table, int l, int ordinal) {
    byte[] code = pqCode(ordinal);
    float s = 0;
    for (int m = 0; m < PQ_M; m++) {
      s += table[(l * PQ_M + m) * KSUB + (code[m] & 0xff)];
    }
    return s;
  }

  /** The PQ code of the item with this ordinal; both bytes range over 0..255 (unsigned). */
  static byte[] pqCode(int ordinal) {
    return new byte[] {(byte) (ordinal * 37 + 11), (byte) (255 - ordinal * 53)};
  }

  // --- string-ids: IVF4,Flat cosine ---

  static final IndexSpec FLAT_SPEC = IndexSpec.flat(NLIST);

  /** Keys per list; the shard stores them in this order (the ordinal order). */
  static final String[][] KEYS_BY_LIST = {
    {"", "a", "item-0001", "item-0002", "with space"},
    {},
    {"é", "ß", "日本語", "🔥", "Ωmega", "naïve", "ключ", "z"},
    {"0", "00", "000", "x/y", "a,b", "\"quoted\"", "last"},
  };

  /** A unit vector (four entries of +-0.5) for row {@code r}, as cosine expects. */
  static float[] unitVector(int r) {
    float[] v = new float[DIM];
    for (int j = 0; j < 4; j++) {
      // Offsets 0, 3, 6, 9 are distinct mod 8, so the norm is exactly 4 x 0.25 = 1.
      v[(r + 3 * j) % DIM] = ((r >> j) & 1) == 0 ? 0.5f : -0.5f;
    }
    return v;
  }

  static float[] flatCentroids() {
    float[] c = new float[NLIST * DIM];
    for (int l = 0; l < NLIST; l++) {
      System.arraycopy(unitVector(100 + l), 0, c, l * DIM, DIM);
    }
    return c;
  }

  /** The stored vector of the item with this ordinal. */
  static float[] flatVector(int ordinal) {
    return unitVector(ordinal);
  }

  static byte[] flatCode(int ordinal) {
    ByteBuffer b = ByteBuffer.allocate(4 * DIM).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(flatVector(ordinal));
    return b.array();
  }

  // --- refine-flat, refine-sq8: IVF4,PQ2 l2 with a refine stage ---

  /** SQ8 base of component j: dyadic, so every decoded value is exact. */
  static float[] sq8Base() {
    float[] base = new float[DIM];
    for (int j = 0; j < DIM; j++) {
      base[j] = (j - 3) / 8f;
    }
    return base;
  }

  /** SQ8 step of component j: dyadic; the last component is constant (step 0). */
  static float[] sq8Step() {
    float[] step = new float[DIM];
    for (int j = 0; j < DIM - 1; j++) {
      step[j] = (j + 1) / 64f;
    }
    return step;
  }

  /** The SQ8 code of the item with this ordinal: signed bytes, -128 and 127 among them. */
  static byte[] sq8Code(int ordinal) {
    byte[] code = new byte[DIM];
    for (int j = 0; j < DIM; j++) {
      code[j] = (byte) ((ordinal * 29 + j * 67) % 256 - 128);
    }
    return code;
  }

  /** The refine vector of the item with this ordinal: its SQ8 code decoded, base + b x step. */
  static float[] refineVector(int ordinal) {
    float[] base = sq8Base();
    float[] step = sq8Step();
    byte[] code = sq8Code(ordinal);
    float[] v = new float[DIM];
    for (int j = 0; j < DIM; j++) {
      v[j] = base[j] + code[j] * step[j];
    }
    return v;
  }

  static byte[] littleEndian(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  // --- writing ---

  static long[] sizes(int[] lengths) {
    long[] s = new long[lengths.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = lengths[i];
    }
    return s;
  }

  static int[] lengths(Object[][] byList) {
    int[] n = new int[byList.length];
    for (int i = 0; i < n.length; i++) {
      n[i] = byList[i].length;
    }
    return n;
  }

  static int[] lengths(long[][] byList) {
    int[] n = new int[byList.length];
    for (int i = 0; i < n.length; i++) {
      n[i] = byList[i].length;
    }
    return n;
  }

  /** The files of one fixture set, by name, in writing order; manifest.json last. */
  public static Map<String, byte[]> generate(String set) throws IOException {
    switch (set) {
      case LONG_IDS:
        return longIds();
      case STRING_IDS:
        return stringIds();
      case REFINE_FLAT:
        return refine(IndexSpec.Refine.FLAT);
      case REFINE_SQ8:
        return refine(IndexSpec.Refine.SQ8);
      case COARSE_GRAPH:
        return longIds(PQ_SPEC.withHnsw(2), graph(), NAME + "graph");
      case FAST_SCAN:
        return FastScanFixture.generate();
      case HNSW:
        return HnswFixture.generate(false);
      case HNSW_SQ8:
        return HnswFixture.generate(true);
      default:
        throw new IllegalArgumentException("no fixture set " + set);
    }
  }

  /**
   * The graph of {@value #COARSE_GRAPH}, M = 2: on level 0 every list links to the other three
   * (nearest by centroid first would not matter here), lists 0 and 2 make level 1, entry 2.
   */
  static HnswSection graph() {
    return HnswSection.of(2, 40, 2, NLIST,
        new int[] {1, 2, 3, -1, 0, 2, 3, -1, 3, 1, 0, -1, 2, 1, 0, -1},
        new int[][] {{0, 2}}, new int[][] {{2, -1, 0, -1}});
  }

  private static Map<String, byte[]> longIds() throws IOException {
    return longIds(PQ_SPEC, null, NAME + "long");
  }

  private static Map<String, byte[]> longIds(IndexSpec spec, HnswSection graph, String version)
      throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    float[] centroids = pqCentroids();
    float[] codebooks = pqCodebooks();
    int[] modelCrc = new int[1];
    files.put(ModelFile.NAME, TestFiles.write(out -> modelCrc[0] = ModelFile.write(
        out, Metric.L2, DIM, spec, centroids, codebooks, l2Table(centroids, codebooks), graph)));
    int[] lengths = lengths(LONG_IDS_BY_LIST);
    files.put(ShardFile.fileName(0), TestFiles.write(out -> {
      ShardFileWriter w = new ShardFileWriter(out, 0, 1, DIM, PQ_SPEC.codeSize(DIM), true,
          IdType.LONG, modelCrc[0], sizes(lengths));
      float[] table = l2Table(centroids, codebooks);
      int ordinal = 0;
      for (int l = 0; l < NLIST; l++) {
        for (long id : LONG_IDS_BY_LIST[l]) {
          w.add(l, id, pqCode(ordinal), l2Term(table, l, ordinal));
          ordinal++;
        }
      }
      w.finish();
    }));
    Map<String, Object> quality = new LinkedHashMap<>();
    quality.put("recallAt10", 1.0);
    quality.put("nprobe", 4);
    quality.put("queries", 0);
    files.put(IndexLayout.MANIFEST, manifest(
        version, spec, Metric.L2, "long", lengths, files, quality));
    return files;
  }

  private static Map<String, byte[]> stringIds() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    int[] modelCrc = new int[1];
    files.put(ModelFile.NAME, TestFiles.write(out -> modelCrc[0] = ModelFile.write(
        out, Metric.COSINE, DIM, FLAT_SPEC, flatCentroids(), null, null, null)));
    int[] lengths = lengths(KEYS_BY_LIST);
    files.put(ShardFile.fileName(0), TestFiles.write(out -> {
      ShardFileWriter w = new ShardFileWriter(
          out, 0, 1, DIM, FLAT_SPEC.codeSize(DIM), false, IdType.STRING, modelCrc[0],
          sizes(lengths));
      int ordinal = 0;
      for (int l = 0; l < NLIST; l++) {
        for (int i = 0; i < KEYS_BY_LIST[l].length; i++) {
          w.add(l, flatCode(ordinal++));
        }
      }
      w.finish();
    }));
    List<String> keys = allKeys();
    long keyBytes = 0;
    for (String k : keys) {
      keyBytes += k.getBytes(StandardCharsets.UTF_8).length;
    }
    long dataLength = keyBytes;
    files.put(KeysFile.fileName(0), TestFiles.write(out -> {
      KeysFile.Writer w = new KeysFile.Writer(out, 0, keys.size(), dataLength);
      for (String k : keys) {
        w.add(k);
      }
      w.finish();
    }));
    files.put(IndexLayout.MANIFEST, manifest(
        NAME + "string", FLAT_SPEC, Metric.COSINE, "string", lengths, files, null));
    return files;
  }

  private static Map<String, byte[]> refine(IndexSpec.Refine refine) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    // A refine stage adds a file and changes none: the model and shard are long-ids' own.
    Map<String, byte[]> longIds = longIds();
    files.put(ModelFile.NAME, longIds.get(ModelFile.NAME));
    files.put(ShardFile.fileName(0), longIds.get(ShardFile.fileName(0)));
    int modelCrc = FileFormat.storedChecksum(ByteBuffer.wrap(files.get(ModelFile.NAME)));
    int[] lengths = lengths(LONG_IDS_BY_LIST);
    int count = java.util.Arrays.stream(lengths).sum();
    boolean sq8 = refine == IndexSpec.Refine.SQ8;
    files.put(RefineFile.fileName(0), TestFiles.write(out -> {
      RefineFile.Writer w = new RefineFile.Writer(out, 0, DIM, refine, modelCrc, count,
          sq8 ? sq8Base() : null, sq8 ? sq8Step() : null);
      for (int ordinal = 0; ordinal < count; ordinal++) {
        w.add(sq8 ? sq8Code(ordinal) : littleEndian(refineVector(ordinal)), 0);
      }
      w.finish();
    }));
    String version = sq8 ? NAME + "refine-sq8" : NAME + "refine-flat";
    files.put(IndexLayout.MANIFEST, manifest(
        version, PQ_SPEC.withRefine(refine), Metric.L2, "long", lengths, files, null));
    return files;
  }

  /** Every key in ordinal order. */
  static List<String> allKeys() {
    List<String> keys = new ArrayList<>();
    for (String[] list : KEYS_BY_LIST) {
      keys.addAll(List.of(list));
    }
    return keys;
  }

  /**
   * The manifest the build would publish for these files, without its {@code quality} object
   * (the long-ids fixtures carry a placeholder of a shape {@link Quality} does not write).
   */
  static Manifest expectedManifest(
      String version,
      IndexSpec spec,
      Metric metric,
      String idType,
      int[] lengths,
      Map<String, byte[]> files) {
    List<Manifest.FileEntry> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      entries.add(Manifest.FileEntry.of(
          f.getKey(), f.getValue().length, FileFormat.storedChecksum(ByteBuffer.wrap(f.getValue()))));
    }
    int count = 0;
    int min = Integer.MAX_VALUE;
    int max = 0;
    int empty = 0;
    for (int n : lengths) {
      count += n;
      min = Math.min(min, n);
      max = Math.max(max, n);
      empty += n == 0 ? 1 : 0;
    }
    ListStats lists = new ListStats(empty, (long) max,
        (double) count / lengths.length, (long) min, null, null);
    BuildInfo build =
        BuildInfo.builder().input("FixtureGenerator").seed(0L).kiln("0.1.0").build();
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("train", 0.0);
    timings.put("encode", 0.0);
    return Manifest.builder().formatVersion(FileFormat.CURRENT_VERSION).version(version)
        .createdAt(CREATED_AT).index(spec.toString()).metric(metric.cliName()).dim(DIM)
        .count(count).idType(idType).shards(1).files(entries).lists(lists).build(build)
        .timings(timings).create();
  }

  static byte[] manifest(
      String version,
      IndexSpec spec,
      Metric metric,
      String idType,
      int[] lengths,
      Map<String, byte[]> files,
      Map<String, Object> quality)
      throws IOException {
    Manifest m = expectedManifest(version, spec, metric, idType, lengths, files);
    if (quality == null) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      m.write(out);
      return out.toByteArray();
    }
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper()
        .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
    com.fasterxml.jackson.databind.node.ObjectNode n =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(m.toJson());
    n.set("quality", json.valueToTree(quality));
    return json.writeValueAsBytes(n);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println(
          "usage: FixtureGenerator DIR   (e.g. index-format/src/test/resources/fixtures/v3)");
      System.exit(2);
    }
    Path root = Path.of(args[0]);
    for (String set : SETS) {
      Path dir = Files.createDirectories(root.resolve(set));
      for (Map.Entry<String, byte[]> f : generate(set).entrySet()) {
        Files.write(dir.resolve(f.getKey()), f.getValue());
        System.out.println(dir.resolve(f.getKey()) + " " + f.getValue().length + " bytes");
      }
    }
  }
}
