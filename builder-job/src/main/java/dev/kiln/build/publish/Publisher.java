package dev.kiln.build.publish;

import dev.kiln.build.KilnException;
import dev.kiln.build.write.WrittenFile;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Stages a version's files in a private directory and makes them visible in two atomic steps:
 * the staging directory is renamed to {@code versions/ID} (its manifest, written last, is
 * already inside), then {@code LATEST} is replaced by a rename. Until then nothing a reader
 * looks at has changed; on failure the staging directory is deleted.
 */
public final class Publisher {
  private final Configuration conf;
  private final FileSystem fs;
  private final Path root;
  private final Path versionDir;
  private final Path staging;
  private final String versionId;
  private final List<Manifest.FileEntry> files = new ArrayList<>();

  private Publisher(Configuration conf, FileSystem fs, Path root, String versionId) {
    this.conf = conf;
    this.fs = fs;
    this.root = root;
    this.versionId = versionId;
    this.versionDir = new Path(root, IndexLayout.versionDir(versionId));
    this.staging = new Path(root, IndexLayout.STAGING + "/" + versionId + "-" + UUID.randomUUID());
  }

  /**
   * Checks the version id is free and creates the staging directory.
   *
   * @throws KilnException when the version is already published (published versions are
   *     immutable)
   */
  public static Publisher prepare(Configuration conf, String output, String versionId)
      throws IOException {
    Path root = new Path(output);
    FileSystem fs = root.getFileSystem(conf);
    Publisher p = new Publisher(conf, fs, root, versionId);
    if (fs.exists(p.versionDir)) {
      throw new KilnException(KilnException.CONFLICT,
          "version " + versionId + " already exists at " + p.versionDir
              + "; published versions are immutable: choose another --version");
    }
    if (!fs.mkdirs(p.staging)) {
      throw new IOException("cannot create staging directory " + p.staging);
    }
    return p;
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
    try (OutputStream out = fs.create(new Path(staging, IndexLayout.MANIFEST), false)) {
      manifest.write(out);
    }
    fs.mkdirs(new Path(root, IndexLayout.VERSIONS));
    if (!fs.rename(staging, versionDir)) {
      throw new KilnException(KilnException.CONFLICT,
          "cannot publish " + versionDir + " (did another build publish it meanwhile?)");
    }
    Path tmp = new Path(root, IndexLayout.STAGING + "/LATEST-" + UUID.randomUUID());
    try (OutputStream out = fs.create(tmp, false)) {
      out.write((versionId + "\n").getBytes(StandardCharsets.UTF_8));
    }
    FileContext.getFileContext(root.toUri(), conf)
        .rename(tmp, new Path(root, IndexLayout.LATEST), Options.Rename.OVERWRITE);
  }

  /** Deletes the staging directory; what was published before stays as it was. */
  public void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      // Best effort: a later build cleans stale staging directories.
    }
  }
}
