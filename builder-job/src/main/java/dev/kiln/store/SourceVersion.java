package dev.kiln.store;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.FileFormat;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * A published version to copy, on any Hadoop file system: its id, its directory, and its
 * manifest as read (bytes and parsed, every entry checked).
 */
record SourceVersion(String id, Path dir, byte[] manifestBytes, Manifest manifest) {
  /** The smallest possible Kiln binary file: the 12-byte header start and the footer. */
  static final int MIN_FILE_BYTES = 12 + FileFormat.FOOTER_BYTES;
  /** Manifests are small; refuse anything absurd rather than filling the heap. */
  private static final int MAX_MANIFEST_BYTES = 64 << 20;

  /** A private instance of {@code src}'s file system ({@code from} as the user gave it). */
  static FileSystem open(Configuration conf, Path src, String from) throws IOException {
    FileSystem fs;
    try {
      fs = FileSystem.newInstance(src.toUri(), conf);
    } catch (UnsupportedFileSystemException e) {
      throw new InvalidOptionException("cannot read " + from + ": " + e.getMessage()
          + " (s3a:// needs hadoop-aws and its SDK on the classpath)");
    }
    if (fs instanceof ChecksumFileSystem) {
      // file://: the manifest's CRC32Cs check every byte anyway, and on a .crc mismatch
      // Hadoop's LocalFileSystem would move the source file away to a bad_files directory.
      fs.setVerifyChecksum(false);
    }
    return fs;
  }

  /** The version at {@code src}: a version directory, or a root's {@code requested} or LATEST. */
  static SourceVersion resolve(FileSystem fs, Path src, String requested) throws IOException {
    String id;
    Path dir;
    if (isFile(fs, new Path(src, IndexLayout.MANIFEST))) {
      id = src.getName();
      try {
        IndexLayout.checkVersionId(id);
      } catch (IllegalArgumentException e) {
        throw new InvalidOptionException("cannot take a version id from the directory " + src + ": "
            + e.getMessage());
      }
      if (requested != null && !requested.equals(id)) {
        throw new InvalidOptionException("--version " + requested + " does not match the version"
            + " directory " + src + " given in --from");
      }
      dir = src;
    } else {
      id = requested != null ? requested : latest(fs, src);
      dir = new Path(src, IndexLayout.versionDir(id));
    }
    Path manifestPath = new Path(dir, IndexLayout.MANIFEST);
    if (!isFile(fs, manifestPath)) {
      throw new InvalidInputException(manifestPath + ": missing: " + dir
          + " is not a published version");
    }
    byte[] bytes = readSmall(fs, manifestPath, MAX_MANIFEST_BYTES);
    Manifest m;
    try {
      // Manifest.read checks the entries: plain names, once each, sane sizes and CRCs.
      m = Manifest.read(new ByteArrayInputStream(bytes), manifestPath.toString());
    } catch (CorruptIndexException e) {
      throw new InvalidInputException(e.getMessage());
    }
    for (Manifest.FileEntry f : m.files()) {
      // Stricter than the manifest's own rule: every file Kiln lists has a header and a footer.
      if (f.bytes() < MIN_FILE_BYTES) {
        throw new InvalidInputException(manifestPath + ": lists " + f.name() + " with " + f.bytes()
            + " bytes, too few for a Kiln file");
      }
    }
    return new SourceVersion(id, dir, bytes, m);
  }

  /** The id that {@code ROOT/LATEST} names. */
  private static String latest(FileSystem fs, Path root) throws IOException {
    Path latest = new Path(root, IndexLayout.LATEST);
    if (!isFile(fs, latest)) {
      if (!fs.exists(root)) {
        throw new InvalidInputException(root + ": not found");
      }
      throw new InvalidInputException(root + ": not a Kiln index: neither "
          + IndexLayout.MANIFEST + " nor " + IndexLayout.LATEST + " is there");
    }
    String id = new String(readSmall(fs, latest, 4096), StandardCharsets.UTF_8).trim();
    try {
      return IndexLayout.checkVersionId(id);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(latest + ": " + e.getMessage());
    }
  }

  Path file(String name) {
    return new Path(dir, name);
  }

  long totalBytes() {
    return manifest.files().stream().mapToLong(Manifest.FileEntry::bytes).sum();
  }

  private static boolean isFile(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p).isFile();
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  private static byte[] readSmall(FileSystem fs, Path p, int limit) throws IOException {
    try (InputStream in = fs.open(p)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        if (out.size() > limit) {
          throw new InvalidInputException(p + ": larger than " + limit + " bytes");
        }
      }
      return out.toByteArray();
    }
  }
}
