package dev.kiln.job.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.testing.FaultyFileSystem;
import dev.kiln.testing.KilnTestData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publish step's own failures, through {@link FaultyFileSystem} in this JVM (no Spark): a
 * failed rename of LATEST leaves no temporary file behind, and an output root that cannot be one
 * is refused before anything is read or staged.
 */
class PublisherFailuresTest {
  private static final Path FIXTURE = Path.of("../index-format/src/test/resources/fixtures/v1/long-ids");

  @TempDir Path tmp;

  private static Configuration faultyConf() {
    return FaultyFileSystem.conf();
  }

  @Test
  void aFailedLatestRenameLeavesNoTemporaryFile() throws IOException {
    Path root = tmp.resolve("root");
    Files.createDirectories(root);
    Files.writeString(root.resolve(IndexLayout.LATEST), "v0\n", StandardCharsets.UTF_8);
    Manifest manifest;
    try (InputStream in = Files.newInputStream(FIXTURE.resolve(IndexLayout.MANIFEST))) {
      manifest = Manifest.read(in, "fixture");
    }
    String output = FaultyFileSystem.SCHEME + "://" + root;
    Publisher pub = Publisher.prepare(faultyConf(), output, "v1", Duration.ofHours(1));
    System.setProperty(FaultyFileSystem.FAIL_RENAME_TO, IndexLayout.LATEST);
    try {
      IOException e = assertThrows(IOException.class, () -> pub.publish(manifest));
      assertTrue(e.getMessage().contains("injected failure"), e.toString());
    } finally {
      System.clearProperty(FaultyFileSystem.FAIL_RENAME_TO);
      pub.abort();
    }
    // The version was renamed in (a re-run makes LATEST name it); LATEST is as it was, and
    // nothing is left in _staging for the grace-period cleanup.
    assertTrue(Files.isDirectory(KilnTestData.versionDir(root, "v1")));
    assertEquals("v0\n", KilnTestData.latest(root));
    Path staging = root.resolve(IndexLayout.STAGING);
    assertEquals(Set.of(), Files.exists(staging) ? KilnTestData.list(staging) : Set.of(),
        "leftovers in _staging");
  }

  @Test
  void anOutputThatCannotBeARootIsAUsageError() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Path hasVersionsFile = Files.createDirectories(tmp.resolve("r1"));
    Files.writeString(hasVersionsFile.resolve(IndexLayout.VERSIONS), "x");
    Path hasStagingFile = Files.createDirectories(tmp.resolve("r2"));
    Files.writeString(hasStagingFile.resolve(IndexLayout.STAGING), "x");
    Path latestDir = Files.createDirectories(tmp.resolve("r3").resolve(IndexLayout.LATEST));
    Map<String, String> cases = Map.of(
        file.toString(), "is a file, not a directory",
        file.resolve("sub").toString(), file + " is a file",
        hasVersionsFile.toString(), IndexLayout.VERSIONS + " is a file",
        hasStagingFile.toString(), IndexLayout.STAGING + " is a file",
        latestDir.getParent().toString(), IndexLayout.LATEST + " is not a file",
        FIXTURE.toString(), "is a version directory");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      for (boolean prepare : new boolean[] {false, true}) {
        KilnException e = assertThrows(KilnException.class, () -> {
          if (prepare) {
            Publisher.prepare(new Configuration(), c.getKey(), "v1", Duration.ofHours(1));
          } else {
            Publisher.findPublished(new Configuration(), c.getKey(), "v1", Map.of());
          }
        }, c.getKey());
        assertInstanceOf(InvalidOptionException.class, e, e.getMessage());
        assertTrue(e.getMessage().startsWith("--output " + c.getKey()), e.getMessage());
        assertTrue(e.getMessage().contains(c.getValue()), e.getMessage());
      }
    }
    assertEquals("x", Files.readString(file));
    assertFalse(Files.exists(hasVersionsFile.resolve(IndexLayout.STAGING)), "nothing staged");
  }
}
