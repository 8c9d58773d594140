package dev.kiln.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexLayout;
import dev.kiln.testing.FaultyFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexRootTest {
  @TempDir Path tmp;

  @Test
  void promotingLatestReplacesItAndLeavesNoTemporaryFile() throws IOException {
    IndexRoot root = FaultyRoots.root(tmp);
    assertNull(root.readLatest());
    root.promoteLatest("v1", false);
    assertEquals("v1\n", Files.readString(tmp.resolve(IndexLayout.LATEST)));
    root.promoteLatest("v2", true);
    assertEquals("v2", root.readLatest());
    assertEquals(Set.of(), AtomicFileTest.everything(tmp.resolve(IndexLayout.STAGING)));
  }

  @Test
  void aFailedPromotionLeavesLatestAsItWas() throws IOException {
    IndexRoot root = FaultyRoots.root(tmp);
    root.promoteLatest("v1", false);
    System.setProperty(FaultyFileSystem.FAIL_RENAME_TO, IndexLayout.LATEST);
    try {
      assertThrows(IOException.class, () -> root.promoteLatest("v2", false));
    } finally {
      System.clearProperty(FaultyFileSystem.FAIL_RENAME_TO);
    }
    assertEquals("v1", root.readLatest());
    assertEquals(Set.of(), AtomicFileTest.everything(tmp.resolve(IndexLayout.STAGING)));
  }

  @Test
  void committingRenamesTheStagedVersionAndRefusesAnExistingOne() throws IOException {
    IndexRoot root = FaultyRoots.root(tmp);
    org.apache.hadoop.fs.Path staged = root.newStagingDir("v1");
    root.fs().mkdirs(staged);
    Files.writeString(Path.of(staged.toUri().getPath(), "a"), "x", StandardCharsets.UTF_8);
    root.commit(staged, "v1");
    assertEquals("x", Files.readString(tmp.resolve("versions/v1/a")));
    assertFalse(Files.exists(Path.of(staged.toUri().getPath())));

    org.apache.hadoop.fs.Path again = root.newStagingDir("v1");
    root.fs().mkdirs(again);
    assertThrows(FileAlreadyExistsException.class, () -> root.commit(again, "v1"));
    assertTrue(Files.isDirectory(Path.of(again.toUri().getPath())), "the staged copy stays");
    assertEquals(Set.of("a"), AtomicFileTest.everything(tmp.resolve("versions/v1")));
  }

  @Test
  void stagingIsRemovedOnlyWhenEmpty() throws IOException {
    IndexRoot root = IndexRoot.local(tmp);
    Files.createDirectories(tmp.resolve(IndexLayout.STAGING).resolve("other-build"));
    root.removeStagingIfEmpty();
    assertTrue(Files.isDirectory(tmp.resolve(IndexLayout.STAGING)));
    Files.delete(tmp.resolve(IndexLayout.STAGING).resolve("other-build"));
    root.removeStagingIfEmpty();
    assertFalse(Files.exists(tmp.resolve(IndexLayout.STAGING)));
  }
}
