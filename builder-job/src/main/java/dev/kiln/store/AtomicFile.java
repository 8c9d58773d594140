package dev.kiln.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a file in one rename: its content is written to a temporary file first, so a reader
 * (or a crash) meets the old content or the new, never a part. The one implementation of
 * "write a temporary file, then rename it" in Kiln: {@code LATEST}, {@code report.html}, the
 * Faiss export.
 */
public final class AtomicFile {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicFile.class);

  private AtomicFile() {}

  /** Writes the new content; the stream is closed by {@link AtomicFile}. */
  @FunctionalInterface
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /** The local disk without Hadoop's {@code .crc} side files: for paths the user names. */
  public static FileSystem localDisk() throws IOException {
    return FileSystem.getLocal(new Configuration()).getRawFileSystem();
  }

  /** {@link #replace(FileSystem, Path, Path, boolean, Body)} on the local disk, temp beside it. */
  public static void replace(java.nio.file.Path target, Body body) throws IOException {
    java.nio.file.Path abs = target.toAbsolutePath();
    Path t = new Path(abs.toUri());
    replace(localDisk(), t, t.getParent(), false, body);
  }

  /**
   * Writes {@code target} through a temporary file in {@code tempDir} (on the same file system
   * and volume, so the rename is one step), then renames it over {@code target}. On failure the
   * temporary file is removed and {@code target} is as it was.
   *
   * @param durable force the content to the device before the rename, and the directory entry
   *     after it (a local disk only: elsewhere the store's own rename is durable)
   */
  public static void replace(FileSystem fs, Path target, Path tempDir, boolean durable, Body body)
      throws IOException {
    // Hidden (leading dot) so a listing of the target's directory does not offer it.
    Path tmp = new Path(tempDir, "." + target.getName() + ".tmp-" + UUID.randomUUID());
    boolean renamed = false;
    try {
      try (FSDataOutputStream out = fs.create(tmp, false)) {
        body.write(out);
        if (durable) {
          out.hsync();
        }
      }
      rename(fs, tmp, target);
      renamed = true;
      if (durable && isLocal(fs)) {
        java.io.File f = fs instanceof LocalFileSystem l ? l.pathToFile(target)
            : ((RawLocalFileSystem) fs).pathToFile(target);
        syncDirectory(f.getAbsoluteFile().getParentFile().toPath());
      }
    } finally {
      if (!renamed) {
        deleteQuietly(fs, tmp);
      }
    }
  }

  /**
   * Renames {@code from} over {@code to}, replacing it in one step. On a local disk that is
   * rename(2); FileContext's OVERWRITE rename is generic code there (it deletes the target, then
   * renames, so a reader or a crash can meet no file). Elsewhere (HDFS) FileContext's rename is
   * the atomic replace.
   */
  static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (isLocal(fs)) {
      if (!fs.rename(from, to)) {
        throw new IOException("cannot rename " + from + " to " + to);
      }
    } else {
      FileContext.getFileContext(fs.makeQualified(to).toUri(), fs.getConf())
          .rename(from, to, Options.Rename.OVERWRITE);
    }
  }

  static boolean isLocal(FileSystem fs) {
    return fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
  }

  /** Makes a rename durable (best effort: not every platform can open a directory). */
  public static void syncDirectory(java.nio.file.Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not supported here; the rename itself is still atomic.
    }
  }

  private static void deleteQuietly(FileSystem fs, Path p) {
    try {
      fs.delete(p, false);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot remove {}: {}", p, e.toString());
    }
  }
}
