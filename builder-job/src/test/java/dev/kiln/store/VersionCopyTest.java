package dev.kiln.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.errors.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copy-and-verify from the fault-injecting file system to a local root. */
class VersionCopyTest {
  private static final Path FIXTURE =
      Path.of("../index-format/src/test/resources/fixtures/v1/long-ids");
  private static final String SHARD = "shard-00000.kiln";

  @TempDir Path tmp;
  Path source;
  Path version;
  Manifest manifest;

  @BeforeEach
  void sourceRoot() throws IOException {
    source = tmp.resolve("source");
    version = source.resolve(IndexLayout.versionDir("v1"));
    Files.createDirectories(version);
    try (var s = Files.list(FIXTURE)) {
      for (Path p : s.toList()) {
        Files.copy(p, version.resolve(p.getFileName()));
      }
    }
    Files.writeString(source.resolve(IndexLayout.LATEST), "v1\n");
    manifest = Manifest.read(version.resolve(IndexLayout.MANIFEST));
  }

  private String faultyUri(Path p) {
    return dev.kiln.testing.FaultyFileSystem.SCHEME + "://" + p.toAbsolutePath();
  }

  @Test
  void fillReadsUntilTheBufferIsFullOrTheStreamEnds() throws IOException {
    byte[] data = new byte[2500];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    // A stream that hands out at most 300 bytes a read, as network streams do.
    java.io.InputStream in = new java.io.ByteArrayInputStream(data) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 300));
      }
    };
    byte[] buf = new byte[1024];
    assertEquals(1024, VersionCopy.fill(in, buf));
    assertEquals(data[1023], buf[1023]);
    assertEquals(1024, VersionCopy.fill(in, buf));
    assertEquals(data[2047], buf[1023]);
    assertEquals(452, VersionCopy.fill(in, buf));
    assertEquals(data[2499], buf[451]);
    assertEquals(0, VersionCopy.fill(in, buf));
  }

  @Test
  void copiesTheVersionAndPromotesLatest() throws IOException {
    Path local = tmp.resolve("local");
    Files.createDirectories(local);
    VersionCopy.Result r = VersionCopy.sync(FaultyRoots.conf(), faultyUri(source), local, null);
    assertTrue(r.copied());
    assertEquals("v1\n", Files.readString(local.resolve(IndexLayout.LATEST)));
    for (Manifest.FileEntry f : manifest.files()) {
      assertEquals(-1, Files.mismatch(version.resolve(f.name()),
          local.resolve("versions/v1").resolve(f.name())), f.name());
    }
    assertFalse(Files.exists(local.resolve(IndexLayout.STAGING)), "staging left behind");
    // Again: already there and verifies, nothing copied.
    assertFalse(VersionCopy.sync(FaultyRoots.conf(), faultyUri(source), local, null).copied());
  }

  @Test
  void refusesAChecksumMismatchAndLeavesNothing() throws IOException {
    byte[] b = Files.readAllBytes(version.resolve(SHARD));
    b[b.length / 2] ^= 0x5a;
    Files.write(version.resolve(SHARD), b);
    Path local = tmp.resolve("local");
    Files.createDirectories(local);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> VersionCopy.sync(FaultyRoots.conf(), faultyUri(source), local, null));
    assertTrue(e.getMessage().contains(SHARD + ": checksum mismatch"), e.getMessage());
    assertTrue(e.getMessage().endsWith("; nothing was synced"), e.getMessage());
    assertEquals(Set.of(), AtomicFileTest.everything(local));
  }

  @Test
  void refusesAFileTheManifestDoesNotDescribe() throws IOException {
    Manifest.FileEntry shard = manifest.files().stream()
        .filter(f -> f.name().equals(SHARD)).findFirst().orElseThrow();
    // Intact file, but the manifest names another checksum: the file was replaced.
    Manifest.FileEntry other = new Manifest.FileEntry(SHARD, shard.bytes(),
        String.format("%08x", shard.crc32cValue() ^ 1));
    Path dst = tmp.resolve("copy");
    KilnException e = assertThrows(KilnException.class, () -> VersionCopy.copyVerified(
        FaultyRoots.root(tmp).fs(), new org.apache.hadoop.fs.Path(faultyUri(version.resolve(SHARD))),
        dst, other));
    assertTrue(e.getMessage().contains("differs from the manifest's"), e.getMessage());
  }
}
