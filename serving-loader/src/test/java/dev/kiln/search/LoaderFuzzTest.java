package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import dev.kiln.format.fuzz.FuzzTarget;
import dev.kiln.format.fuzz.FuzzTarget.Seed;
import dev.kiln.format.fuzz.Fuzzer;
import dev.kiln.format.fuzz.Mutator;
import dev.kiln.search.OpenOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KilnIndex#open} on whole version directories with one file damaged (the
 * {@link Fuzzer}'s seeded mutation loop over every file of five versions), each input opened
 * twice:
 *
 * <ul>
 *   <li>with {@code verifyChecksums}: any change to a binary file is refused, naming that file.
 *       This is the guard against a silent wrong answer: a flipped byte in a list's codes, a
 *       centroid or an id changes no header, so nothing short of the checksum can see it;
 *   <li>without: refused with a {@link CorruptIndexException} naming a file of the version, or
 *       opened, and then every search answers without crashing, at most k results, best first;
 *       damage to the model or the manifest never yields an item twice, and a manifest that
 *       opens gives exactly the intact version's answers.
 * </ul>
 *
 * <p>Half of the damaged binary files come with the manifest's size for them updated, so
 * truncations and extensions reach the file's own checks rather than the size check.
 */
class LoaderFuzzTest {
  private static final Pattern NAMES_A_FILE = Pattern.compile(
      ".*/in-\\d+/(manifest\\.json|model\\.kiln|(shard|keys|refine)-\\d{5}\\.kiln): .+", Pattern.DOTALL);

  @TempDir static Path tmp;

  /** A valid version: its files, and the intact version's answers to a few queries. */
  private record Version(String label, Path dir, Map<String, byte[]> files, int dim, int nlist,
      float[][] queries, Map<String, Neighbors> answers) {}

  private final Map<String, Version> versions = new LinkedHashMap<>();
  private long inputs;

  @TestFactory
  Stream<DynamicTest> fuzz() throws IOException {
    addFixture("v1 long-ids", "/fixtures/v1/long-ids/", List.of("model.kiln", "shard-00000.kiln"));
    addFixture("v1 string-ids", "/fixtures/v1/string-ids/",
        List.of("model.kiln", "shard-00000.kiln", "keys-00000.kiln"));
    Random rnd = new Random(7);
    add("l2 PQ, 2 shards", TestIndexes.index(TestIndexes.gaussian(rnd, 60, 8), Metric.L2,
        IndexSpec.pq(4, 4)).shards(2).publish(tmp.resolve("a")).versionDir());
    add("cosine Flat, string ids, 2 shards", TestIndexes.index(TestIndexes.gaussian(rnd, 40, 4),
        Metric.COSINE, IndexSpec.flat(3)).keys(TestIndexes.randomKeys(rnd, 40)).shards(2)
        .publish(tmp.resolve("b")).versionDir());
    Path ip = TestIndexes.index(TestIndexes.gaussian(rnd, 50, 6), Metric.IP, IndexSpec.pq(5, 2))
        .withoutL2Table().publish(tmp.resolve("c")).versionDir();
    withQuality(ip);
    add("ip PQ, no L2 table, measured curve", ip);
    add("l2 PQ, SQ8 refine, 2 shards", TestIndexes.index(TestIndexes.gaussian(rnd, 60, 8),
        Metric.L2, IndexSpec.pq(4, 4).withRefine(IndexSpec.Refine.SQ8)).shards(2)
        .publish(tmp.resolve("d")).versionDir());
    add("ip PQ, float32 refine, string ids", TestIndexes.index(TestIndexes.gaussian(rnd, 40, 4),
        Metric.IP, IndexSpec.pq(3, 2).withRefine(IndexSpec.Refine.FLAT))
        .keys(TestIndexes.randomKeys(rnd, 40)).publish(tmp.resolve("e")).versionDir());

    List<Seed> seeds = new ArrayList<>();
    for (Version v : versions.values()) {
      for (Map.Entry<String, byte[]> f : v.files().entrySet()) {
        seeds.add(new Seed(v.label() + "/" + f.getKey(), f.getValue()));
      }
    }
    Mutator mutator = (seed, r, log) -> (seed.length > 0 && seed[0] == '{'
        ? Mutator.json() : Mutator.bytes()).mutate(seed, r, log);
    FuzzTarget loader = new FuzzTarget("loader", seeds, mutator, this::openDamaged,
        LoaderFuzzTest::rejected, 10_000);
    return Stream.of(DynamicTest.dynamicTest(loader.name(), () -> Fuzzer.run(loader)));
  }

  /**
   * Documented: a CorruptIndexException naming a file of the version; or, damage to key offsets
   * found by the search that reads them (FORMAT.md, "Checks at open").
   */
  static boolean rejected(Seed seed, Throwable t) {
    return t instanceof CorruptIndexException && NAMES_A_FILE.matcher(t.getMessage()).matches()
        || t instanceof IllegalStateException && seed.label().contains("/keys-")
            && t.getMessage().matches("(?s).*/in-\\d+/keys-\\d{5}\\.kiln: damaged offsets for key .+");
  }

  private void openDamaged(Seed seed, byte[] input, Random r) throws IOException {
    int slash = seed.label().lastIndexOf('/');
    Version v = versions.get(seed.label().substring(0, slash));
    String damaged = seed.label().substring(slash + 1);
    boolean binary = !damaged.equals(IndexLayout.MANIFEST);
    boolean resized = binary && input.length != seed.bytes().length && r.nextBoolean();
    Path dir = Files.createDirectories(tmp.resolve("in-" + inputs++));
    try {
      for (Map.Entry<String, byte[]> f : v.files().entrySet()) {
        Path p = dir.resolve(f.getKey());
        if (f.getKey().equals(damaged)) {
          Files.write(p, input);
        } else if (resized && f.getKey().equals(IndexLayout.MANIFEST)) {
          Files.write(p, withSize(v, damaged, input.length));
        } else {
          Files.createLink(p, v.dir().resolve(f.getKey()));
        }
      }
      if (binary && !Arrays.equals(input, seed.bytes())) {
        CorruptIndexException e = assertThrows(CorruptIndexException.class,
            () -> KilnIndex.open(dir, new OpenOptions(true)).close(),
            "damage to " + damaged + " passed verification");
        assertTrue(e.getMessage().startsWith(dir.resolve(damaged) + ": "), e.getMessage());
      } else {
        try (KilnIndex index = KilnIndex.open(dir, new OpenOptions(true))) {
          search(index, v, damaged);
        } catch (CorruptIndexException e) {
          assertTrue(rejected(seed, e), e.getMessage());
        }
      }
      try (KilnIndex index = KilnIndex.open(dir, OpenOptions.defaults())) {
        search(index, v, damaged);
      }
    } finally {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  /** Searches that must answer whatever the damage the open let through. */
  private static void search(KilnIndex index, Version v, String damaged) {
    assertEquals(v.dim(), index.dim());
    assertEquals(index.count(), Arrays.stream(index.listSizes()).asLongStream().sum());
    boolean noDuplicates = damaged.equals(IndexLayout.MANIFEST) || damaged.equals("model.kiln");
    for (int qi = 0; qi < v.queries().length; qi++) {
      float[] q = v.queries()[qi];
      for (int nprobe : new int[] {1, v.nlist()}) {
        Neighbors n = index.search(q, 10, SearchParams.nprobe(nprobe));
        check(index, n, 10, noDuplicates);
        if (damaged.equals(IndexLayout.MANIFEST)) {
          assertEquals(v.answers().get(qi + "/" + nprobe), n, "answers of a version whose"
              + " manifest opened");
        }
      }
      int all = (int) Math.min(Integer.MAX_VALUE - 1, index.count() + 3);
      check(index, index.search(q, all, SearchParams.nprobe(v.nlist())), all, noDuplicates);
      if (index.manifest().measuredQuality() != null) {
        check(index, index.search(q, 10, SearchParams.targetRecall(0.9)), 10, noDuplicates);
      }
    }
  }

  private static void check(KilnIndex index, Neighbors n, int k, boolean noDuplicates) {
    assertTrue(n.size() <= Math.min(k, index.count()), () -> n.size() + " results for k=" + k);
    boolean strings = index.idType() == IdType.STRING;
    assertEquals(strings, n.hasStringIds());
    assertEquals(n.size(), strings ? n.keys().length : n.ids().length);
    float[] s = n.scores();
    for (int i = 1; i < s.length; i++) {
      int at = i;
      assertTrue(index.metric().higherIsBetter() ? s[i - 1] >= s[i] : s[i - 1] <= s[i],
          () -> "not best first at " + at + ": " + n);
    }
    if (noDuplicates) {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < n.size(); i++) {
        String id = n.idString(i);
        assertTrue(seen.add(id), () -> id + " twice in " + n);
      }
    }
  }

  // ------------------------------------------------------------------ versions

  private void addFixture(String label, String resource, List<String> binaries)
      throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(label.replace(' ', '_')));
    for (String name : concat(binaries, IndexLayout.MANIFEST)) {
      try (InputStream in = LoaderFuzzTest.class.getResourceAsStream(resource + name)) {
        Files.write(dir.resolve(name), in.readAllBytes());
      }
    }
    add(label, dir);
  }

  private void add(String label, Path dir) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    Manifest m = TestIndexes.readManifest(dir);
    for (Manifest.FileEntry f : m.files()) {
      files.put(f.name(), Files.readAllBytes(dir.resolve(f.name())));
    }
    files.put(IndexLayout.MANIFEST, Files.readAllBytes(dir.resolve(IndexLayout.MANIFEST)));
    Random rnd = new Random(label.hashCode());
    float[][] queries = TestIndexes.gaussian(rnd, 2, m.dim());
    int nlist = m.spec().nlist();
    Map<String, Neighbors> answers = new LinkedHashMap<>();
    try (KilnIndex index = KilnIndex.open(dir, new OpenOptions(true))) {
      for (int qi = 0; qi < queries.length; qi++) {
        for (int nprobe : new int[] {1, nlist}) {
          answers.put(qi + "/" + nprobe, index.search(queries[qi], 10, SearchParams.nprobe(nprobe)));
        }
      }
    }
    versions.put(label, new Version(label, dir, files, m.dim(), nlist, queries, answers));
  }

  private static void withQuality(Path dir) throws IOException {
    Manifest m = TestIndexes.readManifest(dir);
    Quality q = new Quality(50, Quality.INPUT_SAMPLE, 10, "scalar", 1, List.of(
        new Quality.Point(1, 0.6, 0.01, 0.02, 9000), new Quality.Point(2, 0.95, 0.02, 0.03, 5000)),
        null);
    write(dir, m.toBuilder().quality(q).create());
  }

  /** The intact manifest with the size of {@code name} changed, so the size check passes. */
  private static byte[] withSize(Version v, String name, long bytes) throws IOException {
    Manifest m = TestIndexes.readManifest(v.dir());
    List<Manifest.FileEntry> files = new ArrayList<>(m.files());
    files.replaceAll(f -> f.name().equals(name) ? new Manifest.FileEntry(name, bytes, f.crc32c()) : f);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.toBuilder().files(files).create().write(out);
    return out.toByteArray();
  }

  private static void write(Path dir, Manifest m) throws IOException {
    try (var out = Files.newOutputStream(dir.resolve(IndexLayout.MANIFEST))) {
      m.write(out);
    }
  }

  private static List<String> concat(List<String> a, String b) {
    List<String> out = new ArrayList<>(a);
    out.add(b);
    return out;
  }

}
