package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/kiln-submit} with the user's {@code SPARK_HOME}: the command it hands to that
 * Spark's {@code spark-submit} for YARN and Kubernetes, checked through a stand-in
 * {@code bin/spark-submit} that prints its arguments one per line (a dry run of the arguments:
 * no cluster here). The JVM flags travel as {@code defaultJavaOptions}, so the cluster's
 * {@code extraJavaOptions} and {@code spark-defaults.conf} stay in force.
 */
class KilnSubmitScriptTest {
  private static final Path SCRIPT = Path.of("..", "scripts", "kiln-submit").toAbsolutePath();

  @TempDir Path tmp;
  private Path sparkHome;

  /** The process's exit code and its output lines. */
  record Run(int code, List<String> out, String err) {}

  @BeforeEach
  void stubSpark() throws IOException {
    sparkHome = tmp.resolve("spark");
    Path bin = Files.createDirectories(sparkHome.resolve("bin"));
    Path submit = bin.resolve("spark-submit");
    Files.writeString(submit, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("SPARK_HOME");
    pb.environment().remove("KILN_SUBMIT_DRY_RUN");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out.lines().toList(), err);
  }

  /** The value after {@code flag} in the arguments (the first occurrence). */
  private static String after(List<String> args, String flag) {
    int i = args.indexOf(flag);
    assertTrue(i >= 0 && i + 1 < args.size(), flag + " in " + args);
    return args.get(i + 1);
  }

  private static void assertJvmFlags(List<String> args) {
    List<String> confs = new ArrayList<>();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--conf")) {
        confs.add(args.get(i + 1));
      }
    }
    for (String side : List.of("driver", "executor")) {
      String key = "spark." + side + ".defaultJavaOptions=";
      assertTrue(confs.stream().anyMatch(c -> c.startsWith(key)
          && c.contains("--add-modules=jdk.incubator.vector")
          && c.contains("--add-opens=java.base/java.nio=ALL-UNNAMED")), key + " in " + confs);
      assertFalse(confs.stream().anyMatch(c -> c.startsWith("spark." + side
          + ".extraJavaOptions")), "the cluster's extraJavaOptions are left alone: " + confs);
    }
  }

  @Test
  void yarnClusterModeGoesToTheUsersSparkSubmit() throws Exception {
    Run r = run(Map.of("SPARK_HOME", sparkHome.toString(), "KILN_APP_JAR", "/opt/kiln/app.jar"),
        "--master", "yarn", "--deploy-mode", "cluster", "--conf", "spark.yarn.queue=nightly",
        "build", "--input", "hdfs:///in", "--output", "hdfs:///out", "--index", "IVF1024,PQ16",
        "--version", "v1");
    assertEquals(0, r.code(), r.err());
    List<String> a = r.out();
    assertEquals("yarn", after(a, "--master"));
    assertEquals("cluster", after(a, "--deploy-mode"));
    assertEquals("kiln-build v1", after(a, "--name"));
    assertFalse(a.contains("--properties-file"), "the cluster's spark-defaults.conf stays: " + a);
    assertTrue(a.contains("spark.yarn.queue=nightly"), a.toString());
    assertJvmFlags(a);
    assertEquals("dev.kiln.cli.KilnCli", after(a, "--class"));
    int jar = a.indexOf("/opt/kiln/app.jar");
    assertEquals(List.of("build", "--input", "hdfs:///in", "--output", "hdfs:///out", "--index",
        "IVF1024,PQ16", "--version", "v1"), a.subList(jar + 1, a.size()));
  }

  @Test
  void kubernetesTakesAnImagesJarAndAPropertiesFileWhenGiven() throws Exception {
    Path props = Files.writeString(tmp.resolve("k8s.conf"), "spark.executor.instances 4\n");
    Run r = run(Map.of("SPARK_HOME", sparkHome.toString(),
            "KILN_APP_JAR", "local:///opt/kiln/kiln-app.jar"),
        "--master", "k8s://https://k8s.example:6443", "--deploy-mode", "cluster",
        "--properties-file", props.toString(),
        "--conf", "spark.kubernetes.container.image=registry/kiln:0.1",
        "build", "--input", "s3a://b/in", "--output", "s3a://b/out", "--index", "IVF8,Flat");
    assertEquals(0, r.code(), r.err());
    List<String> a = r.out();
    assertEquals("k8s://https://k8s.example:6443", after(a, "--master"));
    assertEquals(props.toString(), after(a, "--properties-file"));
    assertTrue(a.contains("spark.kubernetes.container.image=registry/kiln:0.1"), a.toString());
    assertJvmFlags(a);
    assertEquals("local:///opt/kiln/kiln-app.jar", a.get(a.indexOf("build") - 1));
  }

  @Test
  void aDryRunPrintsTheCommandAndRunsNothing() throws Exception {
    Run r = run(Map.of("SPARK_HOME", sparkHome.toString(), "KILN_SUBMIT_DRY_RUN", "1",
        "KILN_APP_JAR", "/opt/kiln/app.jar"), "--master", "yarn", "build", "--input", "x y");
    assertEquals(0, r.code(), r.err());
    assertEquals(1, r.out().size(), "one line: " + r.out());
    String line = r.out().get(0);
    assertTrue(line.startsWith(sparkHome.resolve("bin/spark-submit") + " --master yarn"
        + " --deploy-mode client"), line);
    assertTrue(line.endsWith("build --input x\\ y "), "shell-quoted: " + line);
  }

  @Test
  void helpExitsZeroAndBadOptionsTwo() throws Exception {
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.code());
    assertTrue(String.join("\n", help.out()).contains("KILN_SUBMIT_DRY_RUN"), help.out().toString());
    Run bad = run(Map.of("SPARK_HOME", sparkHome.toString()), "--deploy-mode", "remote", "build");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--deploy-mode is client or cluster, not 'remote'"), bad.err());
  }
}
