package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build for real: a Spark standalone master and two workers (scripts/local-cluster.sh), the
 * application jar submitted by scripts/kiln-submit, against the same build in local mode
 * (scripts/kiln), which must publish byte-identical model and shard files, also when a JVM of the
 * build is killed part-way:
 *
 * <ul>
 *   <li>the driver (the kiln-submit JVM), once it has staged: nothing is published, LATEST
 *       stays, the executors go, and the re-run on the cluster publishes the same bytes as the
 *       local build ({@code PublishFailuresTest} kills a local-mode build later, while it
 *       writes its model);
 *   <li>an executor, once training is done (the model file is staged): its cached items,
 *       encoded items and shuffle output are lost and recomputed, the build completes, and its
 *       files are the local build's, byte for byte.
 * </ul>
 *
 * The kills wait for the build to reach a point (a file in its staging directory, the
 * application's executors in the process table), never for a fixed time. Every step is a
 * subprocess with a bounded wait; the cluster is stopped afterwards even when a step fails
 * (unless it was already running before this test, then it is left as it was).
 */
class LocalClusterIT {
  private static final String MASTER = "spark://127.0.0.1:7077";
  private static final int WORKERS = 2;
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(12);
  /** The version the local build publishes, which the cluster builds are compared with. */
  private static final String REFERENCE = "local";
  private static final Map<String, String> SMALL_HEAP = Map.of("KILN_JAVA_OPTS", "-Xmx2g");

  private static Path root;
  private static Path logs;
  private static boolean startedCluster;
  private static int uiPort;

  /** Sample data (data/base.parquet) and the local-mode build of it (local/). */
  @TempDir static Path work;

  @BeforeAll
  static void startClusterAndBuildLocally() throws Exception {
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
    } else {
      uiPort = freePort();
      startedCluster = true; // from here on, @AfterAll stops whatever came up
      Result start = run("cluster-start", Duration.ofMinutes(4), root,
          Map.of("KILN_MASTER_UI_PORT", Integer.toString(uiPort)),
          script("local-cluster.sh"), "start");
      assertEquals(0, start.code(), "scripts/local-cluster.sh start failed:\n" + start.output());
    }

    Result sample = run("sample", Duration.ofMinutes(3), work, SMALL_HEAP, script("kiln"),
        "sample", "--out", "data", "--n", "20000", "--queries", "10", "--dim", "32",
        "--seed", "42");
    assertEquals(0, sample.code(), sample.output());
    Result convert = run("convert", Duration.ofMinutes(4), work, SMALL_HEAP, script("kiln"),
        "convert", "--fvecs", "data/base.fvecs", "--out", "data/base.parquet");
    assertEquals(0, convert.code(), convert.output());

    List<String> local = new ArrayList<>(List.of(script("kiln"), "build", "--output", "local"));
    local.addAll(buildOptions(REFERENCE));
    Result inLocalMode = run("build-local", Duration.ofMinutes(8), work, SMALL_HEAP,
        local.toArray(String[]::new));
    assertEquals(0, inLocalMode.code(), "kiln build failed:\n" + inLocalMode.output());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (startedCluster) {
      Result stop = run("cluster-stop", Duration.ofMinutes(2), root, Map.of(),
          script("local-cluster.sh"), "stop");
      assertEquals(0, stop.code(), "scripts/local-cluster.sh stop failed:\n" + stop.output());
    }
  }

  /** Relative paths on purpose: executors on a cluster do not share the driver's directory. */
  private static List<String> buildOptions(String version) {
    return List.of("--input", "data/base.parquet", "--index", "IVF64,PQ8", "--metric", "l2",
        "--version", version, "--seed", "7", "--shards", "3");
  }

  /** kiln-submit to the cluster: {@code build --output OUTPUT --version VERSION more...}. */
  private static String[] submit(String output, String version, String... more) {
    List<String> cmd = new ArrayList<>(List.of(script("kiln-submit"), "--master", MASTER,
        "--conf", "spark.driver.memory=2g", "build", "--output", output));
    cmd.addAll(buildOptions(version));
    cmd.addAll(List.of(more));
    return cmd.toArray(String[]::new);
  }

  @Test
  void aKilledDriverPublishesNothingAndItsReRunMatchesTheLocalBuild() throws Exception {
    String version = "it-driver-" + System.currentTimeMillis(); // unique app name on a shared master
    Path out = work.resolve("driver-killed");
    // A version already published and named by LATEST, which the killed build must not disturb.
    copyTree(work.resolve("local").resolve(IndexLayout.versionDir(REFERENCE)),
        out.resolve(IndexLayout.versionDir(REFERENCE)));
    Files.writeString(out.resolve(IndexLayout.LATEST), REFERENCE + "\n");

    Process driver = start("build-driver-killed", work, submit("driver-killed", version));
    // The input read and staging begun: training is next, with executors at work.
    Path alive = await(driver, "build-driver-killed", () -> staged(out, version, "_alive"),
        "a staging directory");
    String appId = activeAppId("kiln-build " + version);
    List<ProcessHandle> executors = executorsOf(appId);
    assertEquals(WORKERS, executors.size(), "executors of " + appId);
    driver.destroyForcibly(); // SIGKILL: no shutdown hook runs, nothing is cleaned up
    assertTrue(driver.waitFor(1, TimeUnit.MINUTES), "the killed driver did not exit");
    for (ProcessHandle e : executors) {
      // The cluster takes the application's executors down with its driver.
      e.onExit().get(2, TimeUnit.MINUTES);
    }

    assertFalse(Files.exists(out.resolve(IndexLayout.versionDir(version))),
        "the killed build must publish nothing");
    assertEquals(REFERENCE + "\n", Files.readString(out.resolve(IndexLayout.LATEST)), "LATEST");
    assertTrue(Files.isDirectory(alive.getParent()), "its staging directory is left behind");
    try (KilnIndex index = KilnIndex.open(out)) {
      assertEquals(REFERENCE, index.version());
    }

    // The same command again (no other build runs, so no grace period is needed).
    Result again = run("build-driver-rerun", BUILD_TIMEOUT, work, Map.of(),
        submit("driver-killed", version, "--staging-grace", "0s"));
    assertEquals(0, again.code(), "the re-run failed:\n" + again.output());
    assertRanOnTheCluster("kiln-build " + version);
    assertEquals(version + "\n", Files.readString(out.resolve(IndexLayout.LATEST)), "LATEST");
    assertEquals(List.of(), list(out.resolve(IndexLayout.STAGING)), "staging leftovers");
    assertSameIndexFiles(out.resolve(IndexLayout.versionDir(version)));
  }

  @Test
  void anExecutorKilledMidBuildChangesNoByte() throws Exception {
    String version = "it-executor-" + System.currentTimeMillis();
    Path out = work.resolve("executor-killed");
    Process driver = start("build-executor-killed", work, submit("executor-killed", version));
    await(driver, "build-executor-killed", () -> staged(out, version, ModelFile.NAME),
        "staged model.kiln");
    String appId = activeAppId("kiln-build " + version);
    List<ProcessHandle> executors = executorsOf(appId);
    assertEquals(WORKERS, executors.size(), "executors of " + appId);
    ProcessHandle victim = executors.get(0);
    String victimId = executorId(victim);
    assertFalse(Files.exists(out.resolve(IndexLayout.versionDir(version))), "already published");
    victim.destroyForcibly(); // SIGKILL, as the OOM killer or a lost node would
    victim.onExit().get(1, TimeUnit.MINUTES);

    assertTrue(driver.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
        "the build did not finish in " + BUILD_TIMEOUT);
    String log = tail(logs.resolve("build-executor-killed.log"), Integer.MAX_VALUE);
    assertEquals(0, driver.exitValue(), "the build failed:\n" + log);
    assertTrue(log.contains("Lost executor " + victimId + " "),
        "the driver must have seen executor " + victimId + " go:\n" + log);
    assertRanOnTheCluster("kiln-build " + version);
    assertSameIndexFiles(out.resolve(IndexLayout.versionDir(version)));
  }

  /** Model and shard files byte-identical to the local build's, and listed alike. */
  private static void assertSameIndexFiles(Path versionDir) throws IOException {
    Path local = work.resolve("local").resolve(IndexLayout.versionDir(REFERENCE));
    Manifest ma = manifest(versionDir);
    Manifest mb = manifest(local);
    assertEquals(3, ma.shards());
    assertEquals(20_000, ma.count());
    assertEquals(mb.files(), ma.files(), "manifests list different files, sizes or CRCs");
    List<String> names = ma.files().stream().map(Manifest.FileEntry::name).toList();
    assertEquals(List.of(ModelFile.NAME, ShardFile.fileName(0), ShardFile.fileName(1),
        ShardFile.fileName(2)), names);
    for (String name : names) {
      assertArrayEquals(Files.readAllBytes(local.resolve(name)),
          Files.readAllBytes(versionDir.resolve(name)),
          name + " differs between the cluster build and the local-mode build");
    }
  }

  /** The master's view: GET /json/. */
  private static JsonNode master() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body());
  }

  /** The id of the running application with this name. */
  private static String activeAppId(String appName) throws Exception {
    JsonNode m = master();
    for (JsonNode app : m.path("activeapps")) {
      if (appName.equals(app.path("name").asText())) {
        return app.path("id").asText();
      }
    }
    return fail("the master has no running application named '" + appName + "':\n" + m);
  }

  /**
   * The master lists the application as finished (the latest of that name, when a killed run
   * came before), with one core from each worker.
   */
  private static void assertRanOnTheCluster(String appName) throws Exception {
    JsonNode m = master();
    JsonNode latest = null;
    for (JsonNode app : m.path("completedapps")) {
      if (appName.equals(app.path("name").asText())
          && (latest == null || app.path("starttime").asLong() > latest.path("starttime").asLong())) {
        latest = app;
      }
    }
    assertTrue(latest != null, "the master has no completed application named '" + appName
        + "':\n" + m);
    assertEquals("FINISHED", latest.path("state").asText(), latest.toString());
    assertEquals(WORKERS, latest.path("cores").asInt(), latest.toString());
  }

  /** The executor JVMs the workers started for an application, by executor id. */
  private static List<ProcessHandle> executorsOf(String appId) {
    return ProcessHandle.allProcesses()
        .filter(p -> {
          List<String> args = arguments(p);
          return args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")
              && args.contains(appId);
        })
        .sorted(Comparator.comparing(LocalClusterIT::executorId))
        .toList();
  }

  private static String executorId(ProcessHandle p) {
    List<String> args = arguments(p);
    int i = args.indexOf("--executor-id");
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "?";
  }

  private static List<String> arguments(ProcessHandle p) {
    return p.info().arguments().map(List::of).orElse(List.of());
  }

  /** {@code OUTPUT/_staging/VERSION-<uuid>/NAME} of a build in progress, or null. */
  private static Path staged(Path output, String version, String name) {
    Path staging = output.resolve(IndexLayout.STAGING);
    if (!Files.isDirectory(staging)) {
      return null;
    }
    try (Stream<Path> s = Files.list(staging)) {
      return s.filter(p -> p.getFileName().toString().startsWith(version + "-"))
          .map(p -> p.resolve(name)).filter(Files::exists).findFirst().orElse(null);
    } catch (IOException e) {
      return null; // the directory changed under the listing: look again
    }
  }

  /** Polls until {@code probe} finds something; fails if the build ends or takes too long. */
  private static <T> T await(Process build, String logName, Supplier<T> probe, String what)
      throws Exception {
    long deadline = System.nanoTime() + BUILD_TIMEOUT.toNanos();
    while (true) {
      T found = probe.get();
      if (found != null) {
        return found;
      }
      if (!build.isAlive()) {
        fail("the build ended (exit " + build.exitValue() + ") before " + what + " was seen:\n"
            + tail(logs.resolve(logName + ".log"), 60));
      }
      if (System.nanoTime() > deadline) {
        build.descendants().forEach(ProcessHandle::destroyForcibly);
        build.destroyForcibly();
        fail("no " + what + " within " + BUILD_TIMEOUT);
      }
      Thread.sleep(20); // poll
    }
  }

  private static Manifest manifest(Path versionDir) throws IOException {
    Path p = versionDir.resolve(IndexLayout.MANIFEST);
    try (InputStream in = Files.newInputStream(p)) {
      return Manifest.read(in, p.toString());
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
          .toList();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q);
        }
      }
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

  /** Starts a command with stdout and stderr to {@code logs/NAME.log}. */
  private static Process start(String name, Path cwd, Map<String, String> env, String... command)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static Process start(String name, Path cwd, String... command) throws IOException {
    return start(name, cwd, Map.of(), command);
  }

  /**
   * Runs a command with stdout and stderr to {@code logs/NAME.log}; kills it and its children
   * and fails if it has not finished within {@code timeout}.
   */
  private static Result run(String name, Duration timeout, Path cwd, Map<String, String> env,
      String... command) throws IOException, InterruptedException {
    Path log = logs.resolve(name + ".log");
    Process p = start(name, cwd, env, command);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      fail(name + " did not finish within " + timeout + ": " + String.join(" ", command)
          + "\n" + tail(log, 60));
    }
    return new Result(p.exitValue(), tail(log, 60));
  }

  private static String tail(Path log, int lines) throws IOException {
    if (!Files.isRegularFile(log)) {
      return "";
    }
    List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
