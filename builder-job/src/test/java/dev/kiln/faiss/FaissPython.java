package dev.kiln.faiss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Python interpreter with Faiss (Debian's {@code python3-faiss} lives in the system
 * interpreter, {@code /usr/bin/python3}, which may not be the first {@code python3} on PATH).
 * Without one, tests that need it are skipped, except on CI ({@code CI=true}), where
 * {@code .ci/run} installs it and its absence is a failure.
 */
final class FaissPython {
  static final Path SCRIPT = Path.of("src/test/python/faiss_check.py").toAbsolutePath();
  private static final List<String> CANDIDATES = List.of("/usr/bin/python3", "python3");

  private FaissPython() {}

  /** The interpreter that imports faiss; skips (or on CI fails) the test when there is none. */
  static String require() {
    for (String py : CANDIDATES) {
      if (importsFaiss(py)) {
        return py;
      }
    }
    String why = "no Python with faiss (tried " + CANDIDATES + "); install python3-faiss"
        + " (apt-get install python3-faiss libopenblas0-pthread)";
    if ("true".equals(System.getenv("CI"))) {
      fail(why + " -- required on CI");
    }
    Assumptions.abort(why);
    return null;
  }

  private static boolean importsFaiss(String py) {
    try {
      Process p = new ProcessBuilder(py, "-c", "import faiss").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs {@code faiss_check.py job}; its output goes to {@code log}; fails on a non-zero exit. */
  static void run(String python, Path job, Path log) throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(SCRIPT), "missing " + SCRIPT);
    ProcessBuilder pb = new ProcessBuilder(python, SCRIPT.toString(), job.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    // One thread: the cores are shared with the JVM, and OpenBLAS's idle threads spin.
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("faiss_check.py did not finish in 10 minutes; output in " + log);
    }
    assertEquals(0, p.exitValue(),
        () -> "faiss_check.py failed:\n" + readQuietly(log));
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }
}
