package dev.kiln.job.publish;

import dev.kiln.errors.KilnException;
import dev.kiln.errors.VersionConflictException;
import dev.kiln.job.write.WrittenFile;
import dev.kiln.store.IndexRoot;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages a version's files in a private directory and makes them visible in two steps: the
 * staging directory, manifest (written last) inside, is renamed to {@code versions/ID}, then
 * {@code LATEST} is replaced by a rename. Until then nothing a reader looks at has changed; on
 * failure the staging directory is deleted. See {@code docs/PUBLISHING.md}.
 *
 * <ul>
 *   <li><b>Re-runs.</b> {@link #findPublished} tells a version built from the same input and
 *       parameters (a re-run: nothing to do) from anything else under {@code versions/ID} (a
 *       conflict). A published version is never modified.
 *   <li><b>Stale staging.</b> A build that is killed leaves its staging directory behind. While
 *       a build runs it rewrites {@code _alive} in its staging directory every
 *       {@link #heartbeatInterval}; {@link #prepare} removes every other entry of
 *       {@code _staging} that nothing has modified for the grace period.
 * </ul>
 */
public final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** The liveness file of a running build, in its staging directory; gone before publish. */
  static final String ALIVE = "_alive";

  private final IndexRoot store;
  private final FileSystem fs;
  private final Path versionDir;
  private final Path staging;
  private final String versionId;
  private final List<Manifest.FileEntry> files = new ArrayList<>();
  private ScheduledExecutorService heartbeat;

  private Publisher(IndexRoot store, String versionId) {
    this.store = store;
    this.fs = store.fs();
    this.versionId = versionId;
    this.versionDir = store.versionDir(versionId);
    this.staging = store.newStagingDir(versionId);
  }

  /** A version that is already published, found by a re-run. */
  public record Published(Path versionDir, Manifest manifest, String latest) {}

  /**
   * Looks for {@code versions/ID} before a build does any work.
   *
   * <p>When it exists, has a valid manifest, every file the manifest lists has the listed size,
   * and the manifest's {@code build.fingerprint} equals {@code fingerprint}, the build is a
   * re-run of one that published: it returns the version, after making {@code LATEST} name it
   * if {@code LATEST} is missing, names a version that is not there, or names a version
   * published before it (the earlier run stopped between its two renames). {@code LATEST} is
   * left alone when it already names the version or names one published after it (a re-run
   * never moves {@code LATEST} back in time).
   *
   * @return null when the version does not exist
   * @throws KilnException (conflict) when the version exists but differs or is damaged
   */
  public static Published findPublished(Configuration conf, String output, String versionId,
      Map<String, String> fingerprint) throws IOException {
    IndexRoot store = IndexRoot.of(conf, output);
    FileSystem fs = store.fs();
    OutputRoot.check(fs, store.path(), output);
    Publisher p = new Publisher(store, versionId);
    if (!fs.exists(p.versionDir)) {
      return null;
    }
    Manifest m = p.validManifest(p.versionDir, versionId);
    Map<String, String> was = m.build() == null ? null : m.build().fingerprint();
    if (was == null) {
      throw p.conflict("records no build fingerprint (an older Kiln built it), so a re-run"
          + " cannot tell whether it was built from the same input and parameters");
    }
    List<String> diffs = BuildFingerprint.differences(was, fingerprint);
    if (!diffs.isEmpty()) {
      throw p.conflict("was built from other input or parameters (" + String.join("; ", diffs)
          + ")");
    }
    return new Published(p.versionDir, m, p.catchUpLatest(m));
  }

  private KilnException conflict(String what) {
    return new VersionConflictException("version " + versionId + " already exists at "
        + versionDir + " and " + what + "; published versions are never modified: choose another"
        + " --version");
  }

  /** The manifest of a version directory that is complete, or a conflict naming what is wrong. */
  private Manifest validManifest(Path dir, String id) throws IOException {
    Path path = new Path(dir, IndexLayout.MANIFEST);
    Manifest m;
    try (InputStream in = store.openSmall(path)) {
      m = Manifest.read(in, path.toString());
    } catch (FileNotFoundException e) {
      throw conflict("has no " + IndexLayout.MANIFEST + " (a damaged or foreign directory:"
          + " remove it by hand if no reader uses it)");
    } catch (IOException e) {
      throw conflict("has no valid " + IndexLayout.MANIFEST + " (" + oneLine(e.getMessage())
          + ")");
    }
    if (!id.equals(m.version())) {
      throw conflict("its manifest names version " + m.version());
    }
    for (Manifest.FileEntry f : m.files()) {
      Path file = new Path(dir, f.name());
      long len;
      try {
        len = fs.getFileStatus(file).getLen();
      } catch (FileNotFoundException e) {
        throw conflict("is damaged: " + f.name() + ", which its manifest lists, is missing");
      }
      if (len != f.bytes()) {
        throw conflict("is damaged: " + f.name() + " has " + len + " bytes, its manifest lists "
            + f.bytes());
      }
    }
    return m;
  }

  /** Moves LATEST to this re-run's version unless it names it or a later one; says what it did. */
  private String catchUpLatest(Manifest m) throws IOException {
    String current = store.readLatest();
    if (versionId.equals(current)) {
      return "LATEST names it";
    }
    Instant mine = instant(m.createdAt());
    Instant theirs = current == null ? null : createdAt(current);
    if (theirs != null && (mine == null || !theirs.isBefore(mine))) {
      return "LATEST left at " + current + ", published after it";
    }
    store.promoteLatest(versionId, false);
    return "LATEST moved to it" + (current == null ? "" : " from " + current);
  }

  /**
   * The manifest of the version {@code LATEST} names now (before this build publishes), for the
   * report's comparison; null when there is none or it cannot be read.
   */
  public Manifest latestManifest() {
    try {
      String id = store.readLatest();
      if (id == null) {
        return null;
      }
      Path path = new Path(store.versionDir(id), IndexLayout.MANIFEST);
      try (InputStream in = store.openSmall(path)) {
        return Manifest.read(in, path.toString());
      }
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  /** When version {@code id} was published, or null if it has no readable manifest. */
  private Instant createdAt(String id) {
    try {
      Path path = new Path(store.versionDir(id), IndexLayout.MANIFEST);
      try (InputStream in = store.openSmall(path)) {
        return instant(Manifest.read(in, path.toString()).createdAt());
      }
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private static Instant instant(String s) {
    try {
      return s == null ? null : Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Checks the version id is free, creates the staging directory (with its {@code _alive}
   * file, rewritten every {@link #heartbeatInterval} until publish or abort), and removes the
   * entries of {@code _staging} that have not been modified for {@code grace}.
   *
   * @throws KilnException when the version is already published (published versions are
   *     immutable)
   */
  public static Publisher prepare(Configuration conf, String output, String versionId,
      Duration grace) throws IOException {
    IndexRoot store = IndexRoot.of(conf, output);
    FileSystem fs = store.fs();
    OutputRoot.check(fs, store.path(), output);
    Publisher p = new Publisher(store, versionId);
    if (fs.exists(p.versionDir)) {
      throw p.conflict("was published by another build meanwhile");
    }
    if (!fs.mkdirs(p.staging)) {
      throw new IOException("cannot create staging directory " + p.staging);
    }
    try {
      p.touchAlive();
      p.startHeartbeat(heartbeatInterval(grace));
      // The file system's clock, not this host's: our own fresh _alive file's modification time.
      long now = fs.getFileStatus(new Path(p.staging, ALIVE)).getModificationTime();
      p.removeStale(now > 0 ? now : System.currentTimeMillis(), grace);
    } catch (IOException | RuntimeException e) {
      p.abort();
      throw e;
    }
    return p;
  }

  /** A quarter of the grace period, between 1 second and 1 minute. */
  static Duration heartbeatInterval(Duration grace) {
    Duration d = grace.dividedBy(4);
    Duration min = Duration.ofSeconds(1);
    Duration max = Duration.ofMinutes(1);
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  private void touchAlive() throws IOException {
    fs.create(new Path(staging, ALIVE), true).close();
  }

  private void startHeartbeat(Duration every) {
    heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kiln-staging-heartbeat");
      t.setDaemon(true);
      return t;
    });
    heartbeat.scheduleWithFixedDelay(() -> {
      try {
        touchAlive();
      } catch (IOException | RuntimeException e) {
        LOG.warn("cannot touch {}: {}", new Path(staging, ALIVE), e.toString());
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void stopHeartbeat() {
    if (heartbeat != null) {
      heartbeat.shutdownNow();
      try {
        heartbeat.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      heartbeat = null;
    }
  }

  /** Removes the staging entries killed builds left (see {@link StaleStaging}). */
  List<Path> removeStale(long now, Duration grace) {
    return StaleStaging.remove(fs, store.stagingRoot(), staging.getName(), now,
        grace);
  }

  public Path staging() {
    return staging;
  }

  public Path versionDir() {
    return versionDir;
  }

  /**
   * Where tasks write their attempt files: fully qualified, because executors resolve a
   * relative path against their own working directory (on a cluster, not the driver's).
   */
  public Path attemptDir() {
    return fs.makeQualified(new Path(staging, "_attempts"));
  }

  /** Opens a file in the staging directory; {@link #record} it once written. */
  public FormatOutput create(String name) throws IOException {
    return new FormatOutput(fs.create(new Path(staging, name), false));
  }

  /**
   * Writes a file that ships with the version but is not part of the index ({@code report.html}):
   * not listed in the manifest, so neither the loader nor {@code sync} looks at it.
   */
  public void writeUnlisted(String name, byte[] content) throws IOException {
    try (OutputStream out = fs.create(new Path(staging, name), false)) {
      out.write(content);
    }
  }

  public void record(String name, long bytes, int crc32c) {
    files.add(Manifest.FileEntry.of(name, bytes, crc32c));
  }

  /** Moves each task's committed attempt file to its final name in the staging directory. */
  public void commit(List<WrittenFile> written) throws IOException {
    for (WrittenFile w : written) {
      Path from = new Path(w.attemptPath());
      Path to = new Path(staging, w.name());
      long len = fs.getFileStatus(from).getLen();
      if (len != w.bytes()) {
        throw new IOException(from + " has " + len + " bytes, its task wrote " + w.bytes());
      }
      if (!fs.rename(from, to)) {
        throw new IOException("cannot rename " + from + " to " + to);
      }
      record(w.name(), w.bytes(), w.crc32c());
    }
    fs.delete(attemptDir(), true); // leftovers of failed or speculative attempts
  }

  /** The files recorded so far, model first, then shards and keys by name. */
  public List<Manifest.FileEntry> files() {
    List<Manifest.FileEntry> out = new ArrayList<>(files);
    out.sort(Comparator.comparing((Manifest.FileEntry f) -> !f.name().startsWith("model"))
        .thenComparing(Manifest.FileEntry::name));
    return out;
  }

  /** Writes the manifest (the version's commit point), renames the version in, moves LATEST. */
  public void publish(Manifest manifest) throws IOException {
    stopHeartbeat();
    fs.delete(new Path(staging, ALIVE), false);
    try (OutputStream out = fs.create(new Path(staging, IndexLayout.MANIFEST), false)) {
      manifest.write(out);
    }
    try {
      store.commit(staging, versionId);
    } catch (FileAlreadyExistsException e) {
      throw conflict("was published by another build meanwhile");
    }
    store.promoteLatest(versionId, false);
  }

  /** Deletes the staging directory; what was published before stays as it was. */
  public void abort() {
    stopHeartbeat();
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      // Best effort: a later build removes stale staging directories.
    }
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }
}
