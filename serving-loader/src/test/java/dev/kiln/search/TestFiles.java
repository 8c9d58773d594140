package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Hostile files for loader tests: real FIFOs (mkfifo) and huge sparse files. */
public final class TestFiles {
  private TestFiles() {}

  /** Replaces {@code file} (if any) by a FIFO: opening it for reading blocks until a writer. */
  public static void replaceByFifo(Path file) throws IOException, InterruptedException {
    Files.deleteIfExists(file);
    Process p = new ProcessBuilder("mkfifo", file.toString()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "mkfifo did not finish");
    assertEquals(0, p.exitValue(), () -> "mkfifo failed: " + output(p));
    assertTrue(Files.exists(file) && !Files.isRegularFile(file), "not a FIFO: " + file);
  }

  /** Replaces {@code file} by a sparse file of {@code bytes} zeros (no disk space used). */
  public static void replaceBySparse(Path file, long bytes) throws IOException {
    Files.deleteIfExists(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(bytes);
    }
  }

  private static String output(Process p) {
    try {
      return new String(p.getInputStream().readAllBytes());
    } catch (IOException e) {
      return e.toString();
    }
  }
}
