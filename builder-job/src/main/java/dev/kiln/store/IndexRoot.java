package dev.kiln.store;

import dev.kiln.format.IndexLayout;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An index root on any Hadoop file system: {@code versions/ID}, {@code _staging} and
 * {@code LATEST} (docs/PUBLISHING.md). A version is staged in a private directory under
 * {@code _staging}, committed by renaming that directory to {@code versions/ID} (which fails if
 * the version exists), and made current by replacing {@code LATEST} in one rename.
 */
public final class IndexRoot {
  private final Configuration conf;
  private final FileSystem fs;
  private final Path root;

  public IndexRoot(Configuration conf, FileSystem fs, Path root) {
    this.conf = conf;
    this.fs = fs;
    this.root = root;
  }

  /** The root {@code output} names (any Hadoop URI), on its file system. */
  public static IndexRoot of(Configuration conf, String output) throws IOException {
    Path root = new Path(output);
    return new IndexRoot(conf, withoutChecksumFiles(root.getFileSystem(conf)), root);
  }

  /**
   * The file system, told not to write Hadoop's {@code .crc} side files (the local file system
   * writes one beside every file): a published version holds exactly its manifest's files, each
   * with its own CRC32C. A no-op on file systems without side files (HDFS, S3).
   */
  public static FileSystem withoutChecksumFiles(FileSystem fs) {
    fs.setWriteChecksum(false);
    return fs;
  }

  /** A root on the local disk, without Hadoop's {@code .crc} side files (what the loader maps). */
  public static IndexRoot local(java.nio.file.Path dir) throws IOException {
    FileSystem fs = AtomicFile.localDisk();
    return new IndexRoot(fs.getConf(), fs, new Path(dir.toAbsolutePath().toUri()));
  }

  public FileSystem fs() {
    return fs;
  }

  public Path path() {
    return root;
  }

  public Path versionDir(String id) {
    return new Path(root, IndexLayout.versionDir(id));
  }

  public Path stagingRoot() {
    return new Path(root, IndexLayout.STAGING);
  }

  /** A fresh, unique staging directory name for version {@code id} (not yet created). */
  public Path newStagingDir(String id) {
    return new Path(root, IndexLayout.STAGING + "/" + id + "-" + UUID.randomUUID());
  }

  /**
   * Renames a staged version directory to {@code versions/ID}. FileContext's rename, unlike
   * FileSystem's, fails when the target exists instead of moving the source inside it
   * (atomically so on HDFS).
   *
   * @throws org.apache.hadoop.fs.FileAlreadyExistsException when the version exists
   */
  public void commit(Path staged, String id) throws IOException {
    fs.mkdirs(new Path(root, IndexLayout.VERSIONS));
    FileContext.getFileContext(root.toUri(), conf).rename(staged, versionDir(id));
  }

  /**
   * Makes {@code LATEST} name {@code id}, replaced by a rename so readers see the old id or the
   * new one, never a mix. Its temporary file is under {@code _staging}, never left behind.
   *
   * @param durable forced to the device before and after the rename (see {@link AtomicFile})
   */
  public void promoteLatest(String id, boolean durable) throws IOException {
    AtomicFile.replace(fs, new Path(root, IndexLayout.LATEST), stagingRoot(), durable,
        out -> out.write((id + "\n").getBytes(StandardCharsets.UTF_8)));
  }

  /** LATEST's version id (trimmed, unchecked), or null when there is no LATEST. */
  public String readLatest() throws IOException {
    try (InputStream in = openSmall(new Path(root, IndexLayout.LATEST))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  /**
   * Opens a small file to read without Hadoop's local checksum files: LATEST may have been
   * written by hand (a rollback), which leaves its {@code .LATEST.crc} stale; a manifest is
   * checked by parsing it.
   */
  public InputStream openSmall(Path path) throws IOException {
    return (fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs).open(path);
  }

  /** Removes {@code _staging} if nothing is in it (another build or sync may be staging). */
  public void removeStagingIfEmpty() {
    try {
      Path staging = stagingRoot();
      if (fs.exists(staging) && fs.listStatus(staging).length == 0) {
        fs.delete(staging, false);
      }
    } catch (IOException e) {
      // Not empty, or not removable now: leave it.
    }
  }
}
