package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.fuzz.FuzzTarget;
import dev.kiln.format.fuzz.FuzzTarget.Rejection;
import dev.kiln.format.fuzz.FuzzTarget.Seed;
import dev.kiln.format.fuzz.Fuzzer;
import dev.kiln.format.fuzz.Mutator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reader of index-format under a seeded mutation loop ({@link Fuzzer}): damaged model,
 * shard and keys files and manifests either read into a usable object or fail with a
 * {@link CorruptIndexException} naming the file; with the checksum verified, every change to a
 * binary file is caught. Seeds are the checked-in fixtures of the current version and files the
 * current writers make in other shapes. One line per reader in {@link #targets()}.
 */
class FormatFuzzTest {
  static final String MODEL = "fuzz/model.kiln";
  static final String SHARD = "fuzz/shard-00000.kiln";
  static final String KEYS = "fuzz/keys-00000.kiln";
  static final String MANIFEST = "fuzz/manifest.json";
  static final String REFINE = "fuzz/refine-00000.kiln";

  static List<FuzzTarget> targets() throws IOException {
    List<Seed> models = models();
    List<Seed> shards = shards();
    List<Seed> keys = keys();
    List<Seed> refines = refines();
    List<Seed> binaries = new ArrayList<>(models);
    binaries.addAll(shards);
    binaries.addAll(keys);
    binaries.addAll(refines);
    return List.of(
        new FuzzTarget("model", models, Mutator.bytes(), FormatFuzzTest::readModel,
            Rejection.corruptIndex(s -> MODEL), 25_000),
        new FuzzTarget("shard", shards, Mutator.bytes(), FormatFuzzTest::readShard,
            Rejection.corruptIndex(s -> SHARD), 25_000),
        new FuzzTarget("keys", keys, Mutator.bytes(), FormatFuzzTest::readKeys,
            FormatFuzzTest::keysRejected, 15_000),
        new FuzzTarget("refine", refines, Mutator.bytes(), FormatFuzzTest::readRefine,
            Rejection.corruptIndex(s -> REFINE), 15_000),
        new FuzzTarget("manifest", manifests(), Mutator.json(), FormatFuzzTest::readManifest,
            Rejection.corruptIndex(s -> MANIFEST), 15_000),
        new FuzzTarget("verified", binaries, Mutator.bytes(), FormatFuzzTest::readVerified,
            Rejection.corruptIndex(FormatFuzzTest::nameOf), 10_000));
  }

  @TestFactory
  Stream<DynamicTest> fuzz() throws IOException {
    return targets().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> Fuzzer.run(t)));
  }

  // ------------------------------------------------------------------ reading

  static void readModel(Seed seed, byte[] input, Random r) throws IOException {
    ModelFile m = ModelFile.read(ByteBuffer.wrap(input), MODEL);
    IndexSpec spec = m.spec();
    m.spec().checkDimension(m.dim());
    assertEquals((long) spec.nlist() * m.dim(), m.centroids().length);
    if (spec.encoding() == IndexSpec.Encoding.PQ) {
      assertEquals((long) spec.pqCentroids() * m.dim(), m.codebooks().length);
    } else if (spec.encoding() == IndexSpec.Encoding.SQ8) {
      assertEquals(2L * m.dim(), m.codebooks().length, "SQ8's base and step");
    } else {
      assertNull(m.codebooks());
    }
    FloatBuffer table = m.l2Table();
    if (table != null) {
      assertEquals((long) spec.nlist() * spec.pqM() * spec.pqCentroids(), table.remaining());
      double sum = 0;
      while (table.hasRemaining()) {
        sum += table.get();
      }
      assertEquals(4L * (spec.nlist() * spec.pqM() * spec.pqCentroids()),
          m.l2TableBytes().remaining(), "table of " + sum);
    }
    assertSame(m.metric(), Metric.parse(m.metric().cliName()));
    assertEquals(FileFormat.storedChecksum(ByteBuffer.wrap(input)), m.checksum());
  }

  static void readShard(Seed seed, byte[] input, Random r) throws IOException {
    ShardFile s = ShardFile.open(ByteBuffer.wrap(input), SHARD);
    long total = 0;
    byte[] code = null;
    for (int l = 0; l < s.nlist(); l++) {
      int n = s.listSize(l);
      assertTrue(n >= 0, "list size " + n);
      assertEquals(total, s.firstOrdinal(l));
      if (n > 0 && code == null) {
        code = new byte[s.codeSize()]; // codeSize is bounded by the file once a list holds items
      }
      for (int i = 0; i < n; i++) {
        s.buffer().get(s.codesOffset(l) + i * s.codeSize(), code);
        if (s.idType() == IdType.LONG) {
          s.id(l, i);
        }
      }
      total += n;
    }
    assertEquals(s.count(), total);
    assertTrue(s.shard() >= 0 && s.shard() < s.shardCount());
  }

  static void readRefine(Seed seed, byte[] input, Random r) throws IOException {
    RefineFile f = RefineFile.open(ByteBuffer.wrap(input), REFINE);
    int bytes = f.encoding().bytesPerVector(f.dim());
    byte[] v = new byte[bytes]; // bounded by the file once a vector is there
    for (long o = 0; o < f.count(); o++) {
      f.buffer().get(f.vectorOffset(o), v);
    }
    if (f.encoding() == IndexSpec.Refine.SQ8) {
      assertEquals(f.dim(), f.sq8Base().length);
      assertEquals(f.dim(), f.sq8Step().length);
    } else {
      assertNull(f.sq8Base());
    }
  }

  static void readKeys(Seed seed, byte[] input, Random r) throws IOException {
    KeysFile k = KeysFile.open(ByteBuffer.wrap(input), KEYS);
    assertTrue(k.count() >= 0);
    for (long o = 0; o < k.count(); o++) {
      k.key(o);
    }
  }

  /**
   * Keys: damage at open as for every file; damaged key offsets only at lookup (FORMAT.md,
   * "Checks at open"), an IllegalStateException naming the file.
   */
  static boolean keysRejected(Seed seed, Throwable t) {
    return Rejection.corruptIndex(s -> KEYS).documented(seed, t)
        || t instanceof IllegalStateException
            && t.getMessage().startsWith(KEYS + ": damaged offsets for key ");
  }

  static void readManifest(Seed seed, byte[] input, Random r) throws IOException {
    Manifest m = Manifest.read(new ByteArrayInputStream(input), MANIFEST);
    assertTrue(FileFormat.readable(m.formatVersion()), "format version " + m.formatVersion());
    m.spec().checkDimension(m.dim());
    m.metricValue();
    m.idTypeValue();
    assertTrue(m.count() >= 0 && m.shards() >= 0, "count and shards");
    for (Manifest.FileEntry f : m.files()) {
      assertTrue(f.bytes() >= 0, "bytes of " + f.name());
      assertEquals(f.crc32c(), String.format("%08x", f.crc32cValue()));
      assertSame(f, m.file(f.name()), "names are unique");
    }
    Quality q = m.measuredQuality();
    if (q != null) {
      int nprobe = q.nprobeFor(0.5);
      assertTrue(nprobe >= 1, "nprobe " + nprobe);
      q.at(nprobe);
    }
    // What it writes reads back, the same in every field the loader uses.
    Manifest back = Manifest.read(new ByteArrayInputStream(m.toJson().getBytes()), MANIFEST);
    assertEquals(Arrays.asList(m.formatVersion(), m.version(), m.index(), m.metric(), m.dim(),
            m.count(), m.idType(), m.shards(), m.files()),
        Arrays.asList(back.formatVersion(), back.version(), back.index(), back.metric(), back.dim(),
            back.count(), back.idType(), back.shards(), back.files()), "reads back");
  }

  /** What the loader does with verifyChecksums: open, then the CRC; any change must be caught. */
  static void readVerified(Seed seed, byte[] input, Random r) throws IOException {
    String name = nameOf(seed);
    ByteBuffer b = ByteBuffer.wrap(input);
    switch (name) {
      case MODEL -> ModelFile.read(b, name);
      case SHARD -> ShardFile.open(b, name);
      case REFINE -> RefineFile.open(b, name);
      default -> KeysFile.open(b, name);
    }
    FileFormat.verifyChecksum(b, name);
    assertArrayEquals(seed.bytes(), input, "a damaged file passed the checksum");
  }

  static String nameOf(Seed seed) {
    String l = seed.label();
    return l.startsWith("model") ? MODEL : l.startsWith("shard") ? SHARD
        : l.startsWith("refine") ? REFINE : KEYS;
  }

  // ------------------------------------------------------------------ seeds

  private static Map<String, byte[]> fixture(String set) throws IOException {
    return FixtureCompatibilityTest.checkedIn(FileFormat.CURRENT_VERSION, set, set.equals(FixtureGenerator.LONG_IDS)
        ? FixtureCompatibilityTest.LONG_IDS_FILES : FixtureCompatibilityTest.STRING_IDS_FILES);
  }

  static List<Seed> models() throws IOException {
    Random rnd = new Random(1);
    return List.of(
        new Seed("model: fixture, IVF4,PQ2 l2 with L2 table",
            fixture(FixtureGenerator.LONG_IDS).get(ModelFile.NAME)),
        new Seed("model: fixture, IVF4,Flat cosine",
            fixture(FixtureGenerator.STRING_IDS).get(ModelFile.NAME)),
        new Seed("model: IVF5,PQ3 ip, d=6, no table", TestFiles.write(out -> ModelFile.write(out,
            Metric.IP, 6, IndexSpec.pq(5, 3), TestFiles.floats(rnd, 30),
            TestFiles.floats(rnd, 256 * 6), null, null))),
        new Seed("model: IVF1,Flat l2, d=1", TestFiles.write(out -> ModelFile.write(out,
            Metric.L2, 1, IndexSpec.flat(1), new float[] {0.5f}, null, null, null))),
        new Seed("model: IVF2,PQ1 l2, d=2, with table", TestFiles.write(out -> ModelFile.write(
            out, Metric.L2, 2, IndexSpec.pq(2, 1), TestFiles.floats(rnd, 4),
            TestFiles.floats(rnd, 512), TestFiles.floats(rnd, 512), null))));
  }

  static List<Seed> shards() throws IOException {
    Random rnd = new Random(2);
    long[] sizes = {0, 3, 0, 1, 2, 0};
    long[] none = {0, 0, 0};
    return List.of(
        new Seed("shard: fixture, int64 ids, PQ2",
            fixture(FixtureGenerator.LONG_IDS).get(ShardFile.fileName(0))),
        new Seed("shard: fixture, string ids, Flat d=8",
            fixture(FixtureGenerator.STRING_IDS).get(ShardFile.fileName(0))),
        new Seed("shard: 2 of 3, int64 ids, code size 3", TestFiles.write(out -> {
          ShardFileWriter w = new ShardFileWriter(out, 2, 3, 6, 3, false, IdType.LONG, 77, sizes);
          long id = -3;
          for (int l = 0; l < sizes.length; l++) {
            for (int i = 0; i < sizes[l]; i++) {
              w.add(l, id++, TestFiles.bytes(rnd, 3));
            }
          }
          w.finish();
        })),
        new Seed("shard: string ids, code size 5", TestFiles.write(out -> {
          ShardFileWriter w = new ShardFileWriter(out, 0, 1, 5, 5, false, IdType.STRING, 9, sizes);
          for (int l = 0; l < sizes.length; l++) {
            for (int i = 0; i < sizes[l]; i++) {
              w.add(l, TestFiles.bytes(rnd, 5));
            }
          }
          w.finish();
        })),
        new Seed("shard: empty, 3 lists", TestFiles.write(out ->
            new ShardFileWriter(out, 0, 2, 4, 4, false, IdType.LONG, 1, none).finish())));
  }

  static List<Seed> refines() throws IOException {
    Random rnd = new Random(3);
    return List.of(
        new Seed("refine: fixture, float32",
            FixtureCompatibilityTest.checkedIn(FileFormat.CURRENT_VERSION, FixtureGenerator.REFINE_FLAT,
                FixtureCompatibilityTest.REFINE_FILES).get(RefineFile.fileName(0))),
        new Seed("refine: fixture, SQ8",
            FixtureCompatibilityTest.checkedIn(FileFormat.CURRENT_VERSION, FixtureGenerator.REFINE_SQ8,
                FixtureCompatibilityTest.REFINE_FILES).get(RefineFile.fileName(0))),
        new Seed("refine: SQ8, d=3, five vectors", TestFiles.write(out -> {
          RefineFile.Writer w = new RefineFile.Writer(out, 1, 3, IndexSpec.Refine.SQ8, 5, 5,
              new float[] {0, 1, -1}, new float[] {0.5f, 0f, 2f});
          for (int i = 0; i < 5; i++) {
            w.add(TestFiles.bytes(rnd, 3), 0);
          }
          w.finish();
        })),
        new Seed("refine: float32, empty", TestFiles.write(out ->
            new RefineFile.Writer(out, 0, 4, IndexSpec.Refine.FLAT, 7, 0, null, null).finish())));
  }

  static List<Seed> keys() throws IOException {
    return List.of(
        new Seed("keys: fixture", fixture(FixtureGenerator.STRING_IDS).get(KeysFile.fileName(0))),
        new Seed("keys: none", TestFiles.write(out -> new KeysFile.Writer(out, 3, 0, 0).finish())),
        new Seed("keys: three, one long", TestFiles.write(out -> {
          String[] k = {"k", "ключ-" + "x".repeat(100), ""};
          long bytes = Arrays.stream(k).mapToLong(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
          KeysFile.Writer w = new KeysFile.Writer(out, 1, k.length, bytes);
          for (String s : k) {
            w.add(s);
          }
          w.finish();
        })));
  }

  static List<Seed> manifests() throws IOException {
    Quality quality = new Quality(100, Quality.INPUT_SAMPLE, 10, "scalar", 1, List.of(
        new Quality.Point(1, 0.5, 0.1, 0.2, 1000), new Quality.Point(4, 0.9, 0.3, 0.5, 400)),
        new Quality.Gate(0.8, 4, 0.9, true));
    Manifest measured = Manifest.builder().formatVersion(FileFormat.CURRENT_VERSION).version("v2")
        .createdAt("2025-01-01T00:00:00Z").index("IVF16,PQ4np").metric("cosine").dim(8).count(3)
        .idType("string").shards(3)
        .files(List.of(Manifest.FileEntry.of("model.kiln", 1000, 0x1234abcd),
            Manifest.FileEntry.of("shard-00000.kiln", 100, -1),
            Manifest.FileEntry.of("keys-00000.kiln", 100, 0)))
        .lists(new ListStats(1, 2L, 1.0, 0L, null, null))
        .build(BuildInfo.builder().seed(7L).build())
        .timings(Map.of("total", 1.5)).quality(quality).create();
    return List.of(
        new Seed("manifest: fixture, long ids", fixture(FixtureGenerator.LONG_IDS).get(IndexLayout.MANIFEST)),
        new Seed("manifest: fixture, string ids", fixture(FixtureGenerator.STRING_IDS).get(IndexLayout.MANIFEST)),
        new Seed("manifest: with a measured curve", measured.toJson().getBytes()));
  }
}
