package dev.kiln.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kiln} in a JVM of its own: {@code java <this JVM's flags> -cp <the test classpath>
 * dev.kiln.cli.KilnCli ...}, with stdout and stderr in a log file. For what one JVM cannot do
 * while the shared test session runs: another Spark master (task retries need
 * {@code local[N,F]}, fixed when a context starts), or a build to kill.
 */
public final class ChildKiln {
  private ChildKiln() {}

  /** A started child and the file its output goes to. */
  public record Child(Process process, Path log) {
    /** Waits for the exit code, failing (and killing the child) after {@code timeout}. */
    public int waitFor(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("kiln did not finish in " + timeout + "; its output:\n" + output());
      }
      return process.exitValue();
    }

    public String output() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }
  }

  /**
   * Starts {@code kiln args...}.
   *
   * @param systemProperties extra {@code -Dname=value} flags (Spark reads {@code spark.*} ones)
   */
  public static Child start(Path log, List<String> systemProperties, String... args)
      throws IOException {
    return start(log, List.of(), systemProperties, args);
  }

  /**
   * Starts {@code kiln args...} with extra JVM flags too ({@code -Xlog:...} and the like).
   *
   * @param jvmFlags flags passed to {@code java} as they are, after the test JVM's own
   * @param systemProperties extra {@code -Dname=value} flags (Spark reads {@code spark.*} ones)
   */
  public static Child start(Path log, List<String> jvmFlags, List<String> systemProperties,
      String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!flag.startsWith("-agentlib:jdwp") && !flag.startsWith("-Xmx")) {
        cmd.add(flag); // --add-opens, --add-modules and the like, as the test JVM got them
      }
    }
    cmd.add("-Xmx1g");
    cmd.addAll(jvmFlags);
    for (String p : systemProperties) {
      cmd.add("-D" + p);
    }
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add("dev.kiln.cli.KilnCli");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    return new Child(p, log);
  }

  /** Surefire runs tests from a manifest-only jar; it keeps the real classpath in a property. */
  static String classpath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
