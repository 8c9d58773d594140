package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build for real: a Spark standalone master and two workers (scripts/local-cluster.sh), the
 * application jar submitted by scripts/kiln-submit, and the same build in local mode
 * (scripts/kiln). Both must publish byte-identical model and shard files. Every step is a
 * subprocess with a bounded wait; the cluster is stopped afterwards even when a step fails
 * (unless it was already running before this test, then it is left as it was).
 */
class LocalClusterIT {
  private static final String MASTER = "spark://127.0.0.1:7077";
  private static final int WORKERS = 2;

  private static Path root;
  private static Path logs;
  private static boolean startedCluster;
  private static int uiPort;

  @BeforeAll
  static void startCluster() throws Exception {
    String r = System.getProperty("kiln.root");
    assertTrue(r != null, "system property kiln.root (the project directory) is not set");
    root = Path.of(r).toAbsolutePath().normalize();
    logs = Path.of(System.getProperty("kiln.it.logs", root + "/builder-job/target/it-logs"));
    Files.createDirectories(logs);

    Result status = run("cluster-status", Duration.ofMinutes(1), root, Map.of(),
        script("local-cluster.sh"), "status");
    if (status.code() == 0) {
      // Someone's cluster is up: use it, and leave it running.
      Matcher m = Pattern.compile("UI http://127\\.0\\.0\\.1:(\\d+)").matcher(status.output());
      assertTrue(m.find(), "cannot find the master's UI port in:\n" + status.output());
      uiPort = Integer.parseInt(m.group(1));
      return;
    }
    uiPort = freePort();
    startedCluster = true; // from here on, @AfterAll stops whatever came up
    Result start = run("cluster-start", Duration.ofMinutes(4), root,
        Map.of("KILN_MASTER_UI_PORT", Integer.toString(uiPort)),
        script("local-cluster.sh"), "start");
    assertEquals(0, start.code(), "scripts/local-cluster.sh start failed:\n" + start.output());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (startedCluster) {
      Result stop = run("cluster-stop", Duration.ofMinutes(2), root, Map.of(),
          script("local-cluster.sh"), "stop");
      assertEquals(0, stop.code(), "scripts/local-cluster.sh stop failed:\n" + stop.output());
    }
  }

  @Test
  void clusterBuildIsByteIdenticalToLocalBuild(@TempDir Path dir) throws Exception {
    String version = "it-" + System.currentTimeMillis(); // unique app name on a shared master
    Map<String, String> small = Map.of("KILN_JAVA_OPTS", "-Xmx2g");

    Result sample = run("sample", Duration.ofMinutes(3), dir, small, script("kiln"),
        "sample", "--out", "data", "--n", "20000", "--queries", "10", "--dim", "32",
        "--seed", "42");
    assertEquals(0, sample.code(), sample.output());
    Result convert = run("convert", Duration.ofMinutes(4), dir, small, script("kiln"),
        "convert", "--fvecs", "data/base.fvecs", "--out", "data/base.parquet");
    assertEquals(0, convert.code(), convert.output());

    // Relative paths on purpose: executors on a cluster do not share the driver's directory.
    List<String> build = List.of("--input", "data/base.parquet", "--index", "IVF64,PQ8",
        "--metric", "l2", "--version", version, "--seed", "7", "--shards", "3");
    List<String> submit = new ArrayList<>(List.of(script("kiln-submit"), "--master", MASTER,
        "--conf", "spark.driver.memory=2g", "build", "--output", "cluster"));
    submit.addAll(build);
    Result onCluster = run("build-cluster", Duration.ofMinutes(12), dir, Map.of(),
        submit.toArray(String[]::new));
    assertEquals(0, onCluster.code(), "kiln-submit failed:\n" + onCluster.output());
    assertRanOnTheCluster("kiln-build " + version);

    List<String> local = new ArrayList<>(List.of(script("kiln"), "build", "--output", "local"));
    local.addAll(build);
    Result inLocalMode = run("build-local", Duration.ofMinutes(8), dir, small,
        local.toArray(String[]::new));
    assertEquals(0, inLocalMode.code(), "kiln build failed:\n" + inLocalMode.output());

    Path a = dir.resolve("cluster").resolve(IndexLayout.versionDir(version));
    Path b = dir.resolve("local").resolve(IndexLayout.versionDir(version));
    Manifest ma = manifest(a);
    Manifest mb = manifest(b);
    assertEquals(3, ma.shards());
    assertEquals(20_000, ma.count());
    assertEquals(mb.files(), ma.files(), "manifests list different files, sizes or CRCs");

    List<String> names = ma.files().stream().map(Manifest.FileEntry::name).toList();
    assertEquals(List.of(ModelFile.NAME, ShardFile.fileName(0), ShardFile.fileName(1),
        ShardFile.fileName(2)), names);
    for (String name : names) {
      assertArrayEquals(Files.readAllBytes(b.resolve(name)), Files.readAllBytes(a.resolve(name)),
          name + " differs between the cluster build and the local-mode build");
    }
  }

  /** The master lists the application as finished, with one core from each worker. */
  private static void assertRanOnTheCluster(String appName) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode master = new ObjectMapper().readTree(r.body());
    for (JsonNode app : master.path("completedapps")) {
      if (appName.equals(app.path("name").asText())) {
        assertEquals("FINISHED", app.path("state").asText(), app.toString());
        assertEquals(WORKERS, app.path("cores").asInt(), app.toString());
        return;
      }
    }
    fail("the master has no completed application named '" + appName + "':\n" + r.body());
  }

  private static Manifest manifest(Path versionDir) throws IOException {
    Path p = versionDir.resolve(IndexLayout.MANIFEST);
    try (InputStream in = Files.newInputStream(p)) {
      return Manifest.read(in, p.toString());
    }
  }

  private static String script(String name) {
    return root.resolve("scripts").resolve(name).toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  record Result(int code, String output) {}

  /**
   * Runs a command with stdout and stderr to {@code logs/NAME.log}; kills it and its children
   * and fails if it has not finished within {@code timeout}.
   */
  private static Result run(String name, Duration timeout, Path cwd, Map<String, String> env,
      String... command) throws IOException, InterruptedException {
    Path log = logs.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      fail(name + " did not finish within " + timeout + ": " + String.join(" ", command)
          + "\n" + tail(log));
    }
    return new Result(p.exitValue(), tail(log));
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
