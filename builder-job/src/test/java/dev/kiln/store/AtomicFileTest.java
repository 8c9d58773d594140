package dev.kiln.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.FaultyFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
  @TempDir Path tmp;

  @Test
  void replacesTheFileAndLeavesNothingElse() throws IOException {
    Path file = tmp.resolve("report.html");
    Files.writeString(file, "old");
    AtomicFile.replace(file, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
    assertEquals("new", Files.readString(file));
    // The local disk without Hadoop's .crc side files: only the file itself.
    assertEquals(Set.of("report.html"), everything(tmp));
  }

  @Test
  void aFailingWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path file = tmp.resolve("report.html");
    Files.writeString(file, "old");
    IOException e = assertThrows(IOException.class, () -> AtomicFile.replace(file, out -> {
      out.write("half".getBytes(StandardCharsets.UTF_8));
      throw new IOException("disk full");
    }));
    assertEquals("disk full", e.getMessage());
    assertEquals("old", Files.readString(file));
    assertEquals(Set.of("report.html"), everything(tmp));
  }

  @Test
  void aFailingRenameLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    IndexRoot root = FaultyRoots.root(tmp);
    Path file = tmp.resolve("target");
    Files.writeString(file, "old");
    Path temps = tmp.resolve("temps");
    Files.createDirectories(temps);
    System.setProperty(FaultyFileSystem.FAIL_RENAME_TO, "target");
    try {
      IOException e = assertThrows(IOException.class, () -> AtomicFile.replace(root.fs(),
          new org.apache.hadoop.fs.Path(root.path(), "target"),
          new org.apache.hadoop.fs.Path(root.path(), "temps"), true,
          out -> out.write('x')));
      assertTrue(e.getMessage().contains("injected failure"), e.toString());
    } finally {
      System.clearProperty(FaultyFileSystem.FAIL_RENAME_TO);
    }
    assertEquals("old", Files.readString(file));
    assertEquals(Set.of(), everything(temps), "temporary file left behind");
  }

  /** Every name in dir, hidden ones included. */
  static Set<String> everything(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
