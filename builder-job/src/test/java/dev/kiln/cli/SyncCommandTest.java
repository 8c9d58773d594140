package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.assertExactTopK;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.isChecksum;
import static dev.kiln.testing.KilnTestData.list;
import static dev.kiln.testing.KilnTestData.rowOfId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln sync} from file:// sources: a real build's root (Hadoop's LocalFileSystem, with its
 * {@code .crc} side files) copied to a local root and opened by the loader; re-syncing copies
 * nothing; any byte that does not match the manifest fails with exit code 3, one line naming the
 * file, and leaves nothing in the target's {@code versions/}. Spark only builds the fixtures.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SyncCommandTest {
  private static final int N = 600;
  private static final int DIM = 16;

  /** A root with v1 and v2 (string ids, so keys files too); LATEST = v2. */
  private Path source;
  private float[][] vectors;
  private Object[] stringIds;

  @TempDir Path tmp;

  @BeforeAll
  void buildSource(SparkSession spark, @TempDir Path data) throws IOException {
    vectors = gaussian(new Random(5), N, DIM, 1);
    stringIds = KilnTestData.stringIds(N);
    String input = KilnTestData.writeVectors(spark, data.resolve("items"), stringIds, vectors);
    source = data.resolve("root");
    new KilnBuildJob(spark, BuildConfig.defaults(input, source.toUri().toString(), "v2",
        IndexSpec.flat(4), Metric.L2).withShards(2).withTraining(3, 256, 4, 65_536, 4)).run();
    // v1: the same files published earlier under another id (one Spark build is enough here).
    Path v2 = source.resolve("versions/v2");
    Path v1 = Files.createDirectories(source.resolve("versions/v1"));
    Manifest m = KilnTestData.readManifest(v2);
    for (Manifest.FileEntry f : m.files()) {
      Files.copy(v2.resolve(f.name()), v1.resolve(f.name()));
    }
    Manifest older = m.toBuilder().version("v1").createdAt("2020-01-01T00:00:00Z").create();
    try (OutputStream out = Files.newOutputStream(v1.resolve(IndexLayout.MANIFEST))) {
      older.write(out);
    }
  }

  private static CliRun sync(String... args) {
    return cli(Stream.concat(Stream.of("sync"), Stream.of(args)).toArray(String[]::new));
  }

  /** A new directory for one test's local root (tests may share the class's temp dir). */
  private Path local() throws IOException {
    return Files.createTempDirectory(tmp, "case").resolve("local");
  }

  /** A private copy of the source root (with its .crc files) that a test may damage. */
  private Path copyOfSource() throws IOException {
    Path copy = Files.createTempDirectory(tmp, "src").resolve("root");
    try (Stream<Path> s = Files.walk(source)) {
      for (Path p : s.toList()) {
        Path to = copy.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    return copy;
  }

  private static void assertSynced(Path local, Path sourceVersion, String version)
      throws IOException {
    assertEquals(version + "\n", KilnTestData.latest(local), "LATEST");
    Path dir = local.resolve(IndexLayout.versionDir(version));
    Manifest m = KilnTestData.readManifest(dir);
    Set<String> expected = new java.util.TreeSet<>(Set.of(IndexLayout.MANIFEST));
    m.files().forEach(f -> expected.add(f.name()));
    assertEquals(expected, list(dir), "exactly the manifest and its files, no _rejects or .crc");
    for (String name : expected) {
      assertArrayEquals(Files.readAllBytes(sourceVersion.resolve(name)),
          Files.readAllBytes(dir.resolve(name)), name);
    }
    assertFalse(Files.exists(local.resolve(IndexLayout.STAGING)), "staging left behind");
  }

  /** Exit code 3, one "kiln: error:" line naming the file, nothing in versions/, no staging. */
  private static String assertRejected(CliRun run, Path local, String... mentions) {
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), "one error line:\n" + run.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("kiln: error: "), line);
    for (String m : mentions) {
      assertTrue(line.contains(m), "'" + line + "' should mention " + m);
    }
    assertFalse(run.out().contains("synced"), run.out());
    Path versions = local.resolve(IndexLayout.VERSIONS);
    assertTrue(!Files.exists(versions) || list(versions).isEmpty(), "versions/ must stay empty");
    assertFalse(Files.exists(local.resolve(IndexLayout.LATEST)), "LATEST must not exist");
    assertFalse(Files.exists(local.resolve(IndexLayout.STAGING)), "staging left behind");
    return line;
  }

  @Test
  void copiesLatestAndTheLoaderServesIt() throws IOException {
    Path local = local();
    CliRun run = sync("--from", source.toUri().toString(), "--to", local.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("synced v2 from "), run.out());
    assertTrue(run.out().contains("checksums verified; LATEST = v2"), run.out());
    assertSynced(local, source.resolve("versions/v2"), "v2");

    Map<String, Integer> rows = rowOfId(stringIds);
    try (KilnIndex index = KilnIndex.open(local, new OpenOptions(true))) {
      assertEquals("v2", index.version());
      assertEquals(N, index.count());
      for (float[] q : gaussian(new Random(9), 20, DIM, 1.2)) {
        assertExactTopK(Metric.L2, vectors, rows, q, 10, index.search(q, 10, SearchParams.nprobe(4)));
      }
    }
  }

  @Test
  void explicitVersionAndVersionDirectory() throws IOException {
    Path local = local();
    // A plain path (no scheme) is a file on Hadoop's default file system: local here.
    CliRun first = sync("--from", source.toString(), "--to", local.toString(), "--version", "v1");
    assertEquals(0, first.exitCode(), first.err());
    assertSynced(local, source.resolve("versions/v1"), "v1");

    CliRun second = sync("--from", source.resolve("versions/v2").toUri().toString(),
        "--to", local.toUri().toString());
    assertEquals(0, second.exitCode(), second.err());
    assertSynced(local, source.resolve("versions/v2"), "v2");
    assertEquals(Set.of("v1", "v2"), list(local.resolve(IndexLayout.VERSIONS)));
    try (KilnIndex a = KilnIndex.open(local.resolve("versions/v1"));
        KilnIndex b = KilnIndex.open(source.resolve("versions/v1"))) {
      float[] q = vectors[7];
      assertEquals(b.search(q, 5, SearchParams.nprobe(4)), a.search(q, 5, SearchParams.nprobe(4)));
    }

    CliRun mismatch = sync("--from", source.resolve("versions/v2").toString(),
        "--to", local.toString(), "--version", "v1");
    assertEquals(ExitCodes.USAGE, mismatch.exitCode(), mismatch.err());
    CliRun badId = sync("--from", source.toString(), "--to", local.toString(), "--version", "../x");
    assertEquals(ExitCodes.USAGE, badId.exitCode(), badId.err());
    CliRun remoteTarget = sync("--from", source.toString(), "--to", "hdfs://nn:8020/srv/index");
    assertEquals(ExitCodes.USAGE, remoteTarget.exitCode(), remoteTarget.err());
    CliRun unknownScheme = sync("--from", "nosuchfs://bucket/index", "--to", local.toString());
    assertEquals(ExitCodes.USAGE, unknownScheme.exitCode(), unknownScheme.err());
    assertEquals(1, unknownScheme.errLines().size(), unknownScheme.err());
    assertTrue(unknownScheme.errLines().get(0).contains("nosuchfs"), unknownScheme.err());
    CliRun intoVersionDir = sync("--from", source.toString(), "--to",
        local.resolve("versions/v1").toString());
    assertEquals(ExitCodes.USAGE, intoVersionDir.exitCode(), intoVersionDir.err());
  }

  @Test
  void resyncIsIdempotent() throws IOException {
    Path local = local();
    assertEquals(0, sync("--from", source.toString(), "--to", local.toString()).exitCode());
    Path shard = local.resolve("versions/v2/shard-00000.kiln");
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(shard, old);
    Object inode = Files.readAttributes(shard, "unix:ino").get("ino");

    CliRun again = sync("--from", source.toString(), "--to", local.toString());
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().contains("already at") && again.out().contains("nothing copied"),
        again.out());
    assertEquals(old, Files.getLastModifiedTime(shard), "the file was rewritten");
    assertEquals(inode, Files.readAttributes(shard, "unix:ino").get("ino"), "the file was replaced");
    assertSynced(local, source.resolve("versions/v2"), "v2");

    // Moving LATEST back and forth between versions already there copies nothing either.
    assertEquals(0, sync("--from", source.toString(), "--to", local.toString(),
        "--version", "v1").exitCode());
    CliRun back = sync("--from", source.toString(), "--to", local.toString());
    assertTrue(back.out().contains("nothing copied"), back.out());
    assertEquals("v2\n", KilnTestData.latest(local));
  }

  @Test
  void aDamagedLocalCopyIsReportedNotServed() throws IOException {
    Path local = local();
    assertEquals(0, sync("--from", source.toString(), "--to", local.toString()).exitCode());
    flipByte(local.resolve("versions/v2/keys-00001.kiln"), 70);
    CliRun run = sync("--from", source.toString(), "--to", local.toString());
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    assertTrue(run.errLines().get(0).contains("keys-00001.kiln"), run.err());
    assertTrue(run.errLines().get(0).contains("remove it and sync again"), run.err());
  }

  @Test
  void anotherBuildUnderTheSameIdIsAConflict() throws IOException {
    Path local = local();
    assertEquals(0, sync("--from", source.toString(), "--to", local.toString()).exitCode());
    // The local v1 directory holds v2's files: same id, other manifest.
    Path copy = copyOfSource();
    Files.move(local.resolve("versions/v2"), local.resolve("versions/v1"));
    CliRun run = sync("--from", copy.toString(), "--to", local.toString(), "--version", "v1");
    assertEquals(ExitCodes.CONFLICT, run.exitCode(), run.err());
    assertTrue(run.errLines().get(0).contains("differs from"), run.err());
  }

  @Test
  void aFlippedByteFailsNamingTheFile() throws IOException {
    Path copy = copyOfSource();
    Path shard = copy.resolve("versions/v2/shard-00001.kiln");
    byte[] original = Files.readAllBytes(shard);
    flipByte(shard, original.length / 2);
    // The Hadoop .crc side file is now stale too; sync must neither trip over it nor let
    // Hadoop move the source file away (LocalFileSystem's bad_files).
    Path local = local();
    CliRun run = sync("--from", copy.toString(), "--to", local.toString());
    assertRejected(run, local, "shard-00001.kiln", "checksum mismatch", "nothing was synced");
    assertTrue(Files.exists(shard), "the source file must stay where it is");
  }

  @Test
  void aDamagedFooterChecksumFails() throws IOException {
    Path copy = copyOfSource();
    Path model = copy.resolve("versions/v2/model.kiln");
    flipByte(model, (int) Files.size(model) - 1);
    Path local = local();
    assertRejected(sync("--from", copy.toString(), "--to", local.toString()), local,
        "model.kiln", "checksum mismatch");
  }

  @Test
  void aSelfConsistentReplacementFailsAgainstTheManifest() throws IOException {
    // The file's own footer checksum is right, but it is not the file the manifest lists.
    Path copy = copyOfSource();
    Path shard = copy.resolve("versions/v2/shard-00000.kiln");
    flipByte(shard, (int) Files.size(shard) / 2);
    rewriteFooterChecksum(shard);
    Path local = local();
    assertRejected(sync("--from", copy.toString(), "--to", local.toString()), local,
        "shard-00000.kiln", "differs from the manifest's");
  }

  @Test
  void aTruncatedFileFails() throws IOException {
    Path copy = copyOfSource();
    Path keys = copy.resolve("versions/v2/keys-00000.kiln");
    try (FileChannel ch = FileChannel.open(keys, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1);
    }
    Path local = local();
    assertRejected(sync("--from", copy.toString(), "--to", local.toString()), local,
        "keys-00000.kiln", "bytes, the manifest says");
  }

  @Test
  void aFailureLeavesTheVersionsAlreadyThereAlone() throws IOException {
    Path local = local();
    assertEquals(0, sync("--from", source.toString(), "--to", local.toString(),
        "--version", "v1").exitCode());
    Path copy = copyOfSource();
    flipByte(copy.resolve("versions/v2/shard-00000.kiln"), 100);
    CliRun run = sync("--from", copy.toString(), "--to", local.toString());
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    assertTrue(run.errLines().get(0).contains("shard-00000.kiln"), run.err());
    assertEquals(Set.of("v1"), list(local.resolve(IndexLayout.VERSIONS)));
    assertEquals("v1\n", KilnTestData.latest(local));
    assertFalse(Files.exists(local.resolve(IndexLayout.STAGING)));
  }

  @Test
  void missingManifest() throws IOException {
    Path copy = copyOfSource();
    Files.delete(copy.resolve("versions/v2/manifest.json"));
    Files.deleteIfExists(copy.resolve("versions/v2/.manifest.json.crc"));
    Path local = local();
    assertRejected(sync("--from", copy.toString(), "--to", local.toString()), local,
        "versions/v2/manifest.json", "missing");
    assertRejected(sync("--from", copy.resolve("versions/v2").toString(), "--to", local.toString()),
        local, "versions/v2", "not a Kiln index");
    assertRejected(sync("--from", copy.resolve("nowhere").toString(), "--to", local.toString()),
        local, "nowhere", "not found");
  }

  @Test
  void aFileTheManifestListsIsMissing() throws IOException {
    Path copy = copyOfSource();
    Files.delete(copy.resolve("versions/v1/shard-00001.kiln"));
    Path local = local();
    assertRejected(sync("--from", copy.toString(), "--to", local.toString(), "--version", "v1"),
        local, "shard-00001.kiln", "missing");
  }

  @Test
  void streamingChecksumAgreesWithTheFormatModule() throws IOException {
    // A file whose footer checksum is right: streaming verification passes, as verifyChecksum.
    Path dir = source.resolve("versions/v2");
    Manifest m = KilnTestData.readManifest(dir);
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(conf);
    Path out = tmp.resolve("copies");
    Files.createDirectories(out);
    for (Manifest.FileEntry f : m.files()) {
      Path p = dir.resolve(f.name());
      dev.kiln.store.VersionCopy.copyVerified(fs, new org.apache.hadoop.fs.Path(p.toUri()), out.resolve(f.name()), f);
      byte[] bytes = Files.readAllBytes(p);
      dev.kiln.format.FileFormat.verifyChecksum(ByteBuffer.wrap(bytes), f.name());
      assertEquals(f.crc32cValue(), dev.kiln.format.FileFormat.storedChecksum(ByteBuffer.wrap(bytes)));
      assertArrayEquals(bytes, Files.readAllBytes(out.resolve(f.name())));
    }
    assertTrue(list(out).stream().noneMatch(n -> isChecksum(Path.of(n))));
  }

  static void flipByte(Path file, int at) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[at] ^= 0x5a;
    Files.write(file, b);
  }

  /** Recomputes the footer's CRC32C over bytes [0, len-4), as a writer would. */
  static void rewriteFooterChecksum(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
    Files.write(file, b);
  }
}
