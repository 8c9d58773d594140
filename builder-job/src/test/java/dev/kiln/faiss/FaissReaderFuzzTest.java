package dev.kiln.faiss;

import dev.kiln.search.OpenOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import dev.kiln.format.fuzz.FuzzTarget;
import dev.kiln.format.fuzz.FuzzTarget.Seed;
import dev.kiln.format.fuzz.Fuzzer;
import dev.kiln.format.fuzz.Mutator;
import dev.kiln.quantize.IndexModel;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-faiss}'s reader of Faiss index files under the {@link Fuzzer}'s seeded mutation
 * loop: a damaged file either parses into an index whose every list reads back, or fails with
 * the documented {@link InvalidInputException} (exit 3) whose message starts with the file's
 * path. A sample of the inputs also goes through the whole import: published and opened with
 * verified checksums, or refused with nothing published. Seeds: Kiln's exports of the v1
 * fixtures ({@code IwPQ} with sparse list sizes, {@code IwFl} with full ones), each also inside
 * an {@code IndexIDMap} and an {@code IndexIDMap2}. No Spark, no Python.
 */
class FaissReaderFuzzTest {
  private static final Path FIXTURES = Path.of("../index-format/src/test/resources/fixtures/v1");

  @TempDir static Path tmp;

  @TestFactory
  Stream<DynamicTest> fuzz() throws IOException {
    List<Seed> seeds = seeds();
    FuzzTarget reader = new FuzzTarget("faiss", seeds, Mutator.bytes(),
        FaissReaderFuzzTest::read, FaissReaderFuzzTest::rejected, 10_000);
    FuzzTarget importer = new FuzzTarget("import-faiss", seeds, Mutator.bytes(),
        FaissReaderFuzzTest::importAndOpen, FaissReaderFuzzTest::rejected, 150);
    return Stream.of(reader, importer)
        .map(t -> DynamicTest.dynamicTest(t.name(), () -> Fuzzer.run(t)));
  }

  static boolean rejected(Seed seed, Throwable t) {
    return t instanceof InvalidInputException k
        && k.getMessage().startsWith(tmp.resolve("input.faissindex") + ": ");
  }

  private static Path write(byte[] input) throws IOException {
    Path file = tmp.resolve("input.faissindex");
    Files.write(file, input);
    return file;
  }

  /** Parse, then what the importer does with what was parsed: the model, and every list. */
  static void read(Seed seed, byte[] input, Random r) throws IOException {
    try (FaissInput in = new FaissInput(write(input))) {
      FaissIvf ivf = FaissIndexReader.read(in);
      new IndexModel(ivf.metric(), ivf.spec(), ivf.dim(), ivf.centroids(), ivf.codebooks());
      assertEquals(ivf.ntotal(), Arrays.stream(ivf.listSizes()).sum());
      long max = Arrays.stream(ivf.listSizes()).max().orElse(0);
      byte[] codes = new byte[(int) (max * ivf.codeSize())];
      long[] ids = new long[(int) max];
      for (int l = 0; l < ivf.nlist(); l++) {
        ivf.readList(in, l, codes, ids);
      }
    }
  }

  /** The whole import: published and served as verified, or refused with nothing published. */
  static void importAndOpen(Seed seed, byte[] input, Random r) throws IOException {
    Path root = Files.createTempDirectory(tmp, "root");
    Path file = write(input);
    FaissImporter.Result result;
    try {
      result = FaissImporter.run(new Configuration(), file, root.toString(), "v1",
          1 + r.nextInt(2), Duration.ofHours(1));
    } catch (KilnException e) {
      assertTrue(!Files.exists(root.resolve("versions")) || isEmpty(root.resolve("versions")),
          "nothing published after " + e.getMessage());
      throw e;
    }
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(result.manifest().count(), index.count());
      float[] q = new float[index.dim()];
      Arrays.fill(q, 0.25f);
      Neighbors n = index.search(q, 10, SearchParams.nprobe(index.spec().nlist()));
      assertTrue(n.size() <= Math.min(10, index.count()));
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  // ------------------------------------------------------------------ seeds

  static List<Seed> seeds() throws IOException {
    List<Seed> seeds = new ArrayList<>();
    for (String set : List.of("long-ids", "string-ids")) {
      Path out = tmp.resolve(set + ".faissindex");
      FaissIndexWriter.export(FIXTURES.resolve(set), out, null);
      byte[] plain = Files.readAllBytes(out);
      String type = set.equals("long-ids") ? "IndexIVFPQ, sparse list sizes"
          : "IndexIVFFlat (ip), full list sizes";
      seeds.add(new Seed("export of " + set + ": " + type, plain));
      seeds.add(new Seed("IndexIDMap(" + type + ")", idMap("IxMp", plain, out)));
      seeds.add(new Seed("IndexIDMap2(" + type + ")", idMap("IxM2", plain, out)));
    }
    return seeds;
  }

  /**
   * {@code plain} inside an IndexIDMap: the lists hold internal ids 0..n-1 (in list order) and
   * the id_map the original ids, as Faiss writes an IDMap around an IVF index.
   */
  private static byte[] idMap(String tag, byte[] plain, Path file) throws IOException {
    FaissIvf ivf;
    try (FaissInput in = new FaissInput(file)) {
      ivf = FaissIndexReader.read(in);
    }
    byte[] inner = plain.clone();
    ByteBuffer b = ByteBuffer.wrap(inner).order(ByteOrder.LITTLE_ENDIAN);
    long[] original = new long[(int) ivf.ntotal()];
    int internal = 0;
    for (int l = 0; l < ivf.nlist(); l++) {
      long idsAt = ivf.listOffsets()[l] + ivf.listSizes()[l] * ivf.codeSize();
      for (int i = 0; i < ivf.listSizes()[l]; i++, internal++) {
        original[internal] = b.getLong((int) idsAt + 8 * i);
        b.putLong((int) idsAt + 8 * i, internal);
      }
    }
    ByteBuffer out = ByteBuffer.allocate(4 + 33 + inner.length + 8 + 8 * original.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(tag.getBytes(StandardCharsets.US_ASCII));
    out.put(inner, 4, 33); // the inner index's header: d, ntotal, two dummies, is_trained, metric
    out.put(inner);
    out.putLong(original.length);
    for (long id : original) {
      out.putLong(id);
    }
    return out.array();
  }
}
