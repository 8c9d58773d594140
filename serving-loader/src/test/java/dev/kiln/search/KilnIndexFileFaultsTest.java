package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.search.TestIndexes.Published;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, items 5, 6 and 12: a file of a version that is not a regular file, or a LATEST or
 * manifest of absurd size, fails the open with a {@link CorruptIndexException} naming it, and
 * never hangs (a FIFO blocks its reader until a writer comes) or exhausts the heap. Each test has
 * a timeout, run on its own thread, so a hang fails the test rather than the build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KilnIndexFileFaultsTest {
  private static final int D = 8;
  private static final String NOT_REGULAR =
      ": is a FIFO, socket or device, not a regular file: refusing to open it";

  @TempDir Path root;
  @TempDir Path elsewhere;

  /** String ids and an SQ8 refine stage: every kind of file a version can hold. */
  private Published publish() throws IOException {
    Random rnd = new Random(1);
    return TestIndexes.index(TestIndexes.gaussian(rnd, 300, D), Metric.L2,
            IndexSpec.pq(4, 2).withRefine(IndexSpec.Refine.SQ8))
        .keys(TestIndexes.randomKeys(rnd, 300)).shards(2).version("v1").publish(root);
  }

  private static void assertRefused(Path open, String message) {
    for (boolean verify : new boolean[] {false, true}) {
      CorruptIndexException e = assertThrows(CorruptIndexException.class,
          () -> KilnIndex.open(open, new OpenOptions(verify)).close());
      assertEquals(message, e.getMessage());
    }
  }

  /** Before: every binary file hung the open; a FIFO manifest was "not a Kiln index". */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"manifest.json", "model.kiln", "shard-00001.kiln", "keys-00001.kiln",
      "refine-00001.kiln"})
  void fifoInPlaceOfAVersionFileIsRefused(String name) throws Exception {
    Published p = publish();
    Path file = p.versionDir().resolve(name);
    TestFiles.replaceByFifo(file);
    assertRefused(root, file + NOT_REGULAR);
    assertRefused(p.versionDir(), file + NOT_REGULAR);
  }

  @Test
  void fifoAsLatestIsRefusedNamingLatest() throws Exception {
    publish();
    Path latest = root.resolve(IndexLayout.LATEST);
    TestFiles.replaceByFifo(latest);
    // Before: "ROOT: not a Kiln index: neither manifest.json nor LATEST is there".
    assertRefused(root, latest + NOT_REGULAR);
  }

  @Test
  void directoryInPlaceOfTheModelIsRefused() throws Exception {
    Published p = publish();
    Path model = p.versionDir().resolve(ModelFile.NAME);
    Files.delete(model);
    Files.createDirectory(model);
    assertRefused(root, model + ": is a directory, not a regular file: refusing to open it");
  }

  /** Symbolic links are followed: to a regular file they serve, to a FIFO they are refused. */
  @Test
  void symlinksAreJudgedByTheirTarget() throws Exception {
    Published p = publish();
    Path model = p.versionDir().resolve(ModelFile.NAME);
    Path moved = Files.move(model, elsewhere.resolve(ModelFile.NAME));
    Files.createSymbolicLink(model, moved);
    float[] q = TestIndexes.gaussian(new Random(2), D);
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(10, index.search(q, 10, SearchParams.nprobe(4)).size());
    }
    Path fifo = elsewhere.resolve("fifo");
    TestFiles.replaceByFifo(fifo);
    Files.delete(model);
    Files.createSymbolicLink(model, fifo);
    assertRefused(root, model + NOT_REGULAR);
  }

  /** Before: Files.readString of 3 GiB threw OutOfMemoryError. */
  @Test
  void hugeLatestIsRefusedBeforeItIsRead() throws Exception {
    publish();
    Path latest = root.resolve(IndexLayout.LATEST);
    TestFiles.replaceBySparse(latest, 3L << 30);
    assertRefused(root, latest + ": has 3221225472 bytes; a LATEST file may have at most 4096 bytes");
    // Up to the cap, whitespace around the id is fine.
    Files.writeString(latest, " ".repeat(4000) + "v1\n" + " ".repeat(90));
    KilnIndex.open(root).close();
  }

  /** Before: a sparse manifest failed as "not a valid manifest" only after Jackson read it. */
  @Test
  void hugeManifestIsRefusedBeforeItIsRead() throws Exception {
    Published p = publish();
    Path manifest = p.versionDir().resolve(IndexLayout.MANIFEST);
    TestFiles.replaceBySparse(manifest, 5L << 30);
    assertRefused(root, manifest + ": has 5368709120 bytes; a manifest may have at most 67108864 bytes");
  }

  /**
   * Before: a valid manifest after 64 MiB of whitespace was read whole and the version served.
   * (Jackson's own 20 M-character limit on one string stops only some large manifests.)
   */
  @Test
  void validManifestAboveTheCapIsRefused() throws Exception {
    Published p = publish();
    Path path = p.versionDir().resolve(IndexLayout.MANIFEST);
    byte[] json = Files.readAllBytes(path);
    try (OutputStream out = Files.newOutputStream(path)) {
      out.write(" ".repeat(64 << 20).getBytes(StandardCharsets.US_ASCII));
      out.write(json);
    }
    long size = Files.size(path);
    assertRefused(root, path + ": has " + size + " bytes; a manifest may have at most 67108864"
        + " bytes");
  }
}
