package dev.kiln.cli;

import dev.kiln.job.KilnException;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.FileFormat;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.search.KilnIndex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln sync}: copies one published version from any Hadoop file system to a local index
 * root, so that the mmap loader can serve it. No Spark.
 *
 * <p>The version is the source root's {@code LATEST}, or {@code --version}, or the version
 * directory given itself. Its files are streamed into {@code DIR/_staging/sync-ID-*}, each one's
 * length and CRC32C checked against the manifest while it streams; the copy is then opened with
 * {@link KilnIndex} verifying every checksum again, renamed to {@code DIR/versions/ID} in one
 * step, and {@code DIR/LATEST} is replaced by a rename. On any mismatch the staged copy is
 * deleted and nothing under {@code DIR/versions} or {@code DIR/LATEST} changes. A version that
 * is already in {@code DIR/versions} and verifies is not copied again.
 *
 * <p>Only the manifest and the files it lists are copied ({@code _rejects/} is not).
 */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Copy a published version from a Hadoop file system (hdfs://, file://, s3a://)",
      "to a local index root, checking every file against the manifest (size, CRC32C),",
      "so the loader can map it. The version goes to DIR/versions/ID; DIR/LATEST then",
      "names it. A version already there that verifies is not copied again."
    })
final class SyncCommand implements Callable<Integer> {
  /** The crc32c field: the last 4 bytes of every Kiln binary file, covering all bytes before it. */
  private static final int CRC_BYTES = 4;
  /** The smallest possible Kiln binary file: the 12-byte header start and the footer. */
  private static final int MIN_FILE_BYTES = 12 + FileFormat.FOOTER_BYTES;
  /** Manifests are small; refuse anything absurd rather than filling the heap. */
  private static final int MAX_MANIFEST_BYTES = 64 << 20;
  private static final int BUFFER_BYTES = 1 << 20;

  @Option(names = "--from", required = true, paramLabel = "URI",
      description = "Index root (follows its LATEST) or version directory, any Hadoop URI.")
  String from;

  @Option(names = "--to", required = true, paramLabel = "DIR",
      description = "Local index root to copy into (created if missing).")
  String to;

  @Option(names = "--version", paramLabel = "ID",
      description = "Version to copy from the root (default: the root's LATEST).")
  String version;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = "A Hadoop configuration property for the source file system (repeatable).")
  Map<String, String> hadoopConf = new LinkedHashMap<>();

  /** What a sync did. {@code copied} is false when the version was already there and verified. */
  record Result(String versionId, String source, java.nio.file.Path versionDir, boolean copied,
      int files, long bytes) {}

  @Override
  public Integer call() throws Exception {
    Configuration conf = new Configuration();
    hadoopConf.forEach(conf::set);
    Result r = sync(conf, from, localDir(to), version);
    if (r.copied()) {
      System.out.printf(Locale.ROOT,
          "synced %s from %s to %s: %d files, %,d bytes, checksums verified; LATEST = %s%n",
          r.versionId(), r.source(), r.versionDir(), r.files(), r.bytes(), r.versionId());
    } else {
      System.out.printf(Locale.ROOT,
          "%s is already at %s and verifies: nothing copied; LATEST = %s%n",
          r.versionId(), r.versionDir(), r.versionId());
    }
    return 0;
  }

  /** {@code --to} is a local path or a file: URI. */
  static java.nio.file.Path localDir(String to) {
    if (to.startsWith("file:")) {
      return java.nio.file.Path.of(URI.create(to));
    }
    if (to.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
      throw KilnException.usage("--to must be a local directory, not " + to
          + " (the loader maps local files)");
    }
    return java.nio.file.Path.of(to);
  }

  /**
   * Copies a version from {@code from} (a root or a version directory) into the local index root
   * {@code to}.
   *
   * @param requestedVersion the version to take from a root, or null for its LATEST
   * @throws KilnException exit code 3 naming the file when the source does not match its
   *     manifest; 2 for bad options; 4 when the target holds another version of the same id
   */
  static Result sync(Configuration conf, String from, java.nio.file.Path to, String requestedVersion)
      throws IOException {
    if (requestedVersion != null) {
      IndexLayout.checkVersionId(requestedVersion);
    }
    java.nio.file.Path root = to.toAbsolutePath().normalize();
    checkTarget(root);
    Path src = new Path(from);
    FileSystem sourceFs;
    try {
      sourceFs = FileSystem.newInstance(src.toUri(), conf);
    } catch (UnsupportedFileSystemException e) {
      throw KilnException.usage("cannot read " + from + ": " + e.getMessage()
          + " (s3a:// needs hadoop-aws and its SDK on the classpath)");
    }
    try (FileSystem fs = sourceFs) {
      if (fs instanceof ChecksumFileSystem) {
        // file://: the manifest's CRC32Cs check every byte anyway, and on a .crc mismatch
        // Hadoop's LocalFileSystem would move the source file away to a bad_files directory.
        fs.setVerifyChecksum(false);
      }
      Source source = Source.resolve(fs, fs.makeQualified(src), requestedVersion);
      java.nio.file.Path target = root.resolve(IndexLayout.VERSIONS).resolve(source.id());
      if (Files.exists(target)) {
        return existing(root, target, source);
      }
      Result r = copy(fs, root, target, source);
      writeLatest(root, source.id());
      return r;
    }
  }

  // ------------------------------------------------------------------ source

  /** The version to copy: its id, its directory, and its manifest as read (bytes and parsed). */
  private record Source(String id, Path dir, byte[] manifestBytes, Manifest manifest) {

    static Source resolve(FileSystem fs, Path src, String requested) throws IOException {
      String id;
      Path dir;
      if (isFile(fs, new Path(src, IndexLayout.MANIFEST))) {
        id = src.getName();
        try {
          IndexLayout.checkVersionId(id);
        } catch (IllegalArgumentException e) {
          throw KilnException.usage("cannot take a version id from the directory " + src + ": "
              + e.getMessage());
        }
        if (requested != null && !requested.equals(id)) {
          throw KilnException.usage("--version " + requested + " does not match the version"
              + " directory " + src + " given in --from");
        }
        dir = src;
      } else {
        id = requested != null ? requested : latest(fs, src);
        dir = new Path(src, IndexLayout.versionDir(id));
      }
      Path manifestPath = new Path(dir, IndexLayout.MANIFEST);
      if (!isFile(fs, manifestPath)) {
        throw KilnException.badInput(manifestPath + ": missing: " + dir
            + " is not a published version");
      }
      byte[] bytes = readSmall(fs, manifestPath, MAX_MANIFEST_BYTES);
      Manifest m;
      try {
        m = Manifest.read(new ByteArrayInputStream(bytes), manifestPath.toString());
      } catch (CorruptIndexException e) {
        throw KilnException.badInput(e.getMessage());
      }
      checkEntries(m, manifestPath.toString());
      return new Source(id, dir, bytes, m);
    }

    /** The id that {@code ROOT/LATEST} names. */
    private static String latest(FileSystem fs, Path root) throws IOException {
      Path latest = new Path(root, IndexLayout.LATEST);
      if (!isFile(fs, latest)) {
        if (!fs.exists(root)) {
          throw KilnException.badInput(root + ": not found");
        }
        throw KilnException.badInput(root + ": not a Kiln index: neither "
            + IndexLayout.MANIFEST + " nor " + IndexLayout.LATEST + " is there");
      }
      String id = new String(readSmall(fs, latest, 4096), StandardCharsets.UTF_8).trim();
      try {
        return IndexLayout.checkVersionId(id);
      } catch (IllegalArgumentException e) {
        throw KilnException.badInput(latest + ": " + e.getMessage());
      }
    }

    Path file(String name) {
      return new Path(dir, name);
    }

    long totalBytes() {
      return manifest.files().stream().mapToLong(Manifest.FileEntry::bytes).sum();
    }
  }

  /** Names that are plain file names in the version directory, once each; sane sizes and CRCs. */
  private static void checkEntries(Manifest m, String name) {
    Set<String> seen = new HashSet<>();
    for (Manifest.FileEntry f : m.files()) {
      String why = null;
      if (f == null || f.name() == null || f.name().isEmpty() || f.name().equals(".")
          || f.name().equals("..") || f.name().contains("/") || f.name().contains("\\")
          || f.name().equals(IndexLayout.MANIFEST)) {
        why = "lists a bad file name " + (f == null ? null : "'" + f.name() + "'");
      } else if (!seen.add(f.name())) {
        why = "lists " + f.name() + " twice";
      } else if (f.bytes() < MIN_FILE_BYTES) {
        why = "lists " + f.name() + " with " + f.bytes() + " bytes, too few for a Kiln file";
      } else if (f.crc32c() == null || !f.crc32c().matches("[0-9a-f]{8}")) {
        why = "lists " + f.name() + " with a bad crc32c '" + f.crc32c() + "'";
      }
      if (why != null) {
        throw KilnException.badInput(name + ": " + why);
      }
    }
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
          throw KilnException.badInput(p + ": larger than " + limit + " bytes");
        }
      }
      return out.toByteArray();
    }
  }

  // ------------------------------------------------------------------ target

  private static void checkTarget(java.nio.file.Path root) throws IOException {
    OutputPaths.checkIndexRoot("--to", root);
    Files.createDirectories(root);
  }

  /** The version is already there: same manifest and every file verifies, or an error. */
  private static Result existing(java.nio.file.Path root, java.nio.file.Path target, Source source)
      throws IOException {
    java.nio.file.Path mp = target.resolve(IndexLayout.MANIFEST);
    Manifest local;
    try (InputStream in = Files.newInputStream(mp)) {
      local = Manifest.read(in, mp.toString());
    } catch (IOException e) {
      throw new KilnException(KilnException.CONFLICT, target + " exists but is not a complete"
          + " version (" + e.getMessage() + "); remove it and sync again");
    }
    if (!local.equals(source.manifest())) {
      throw new KilnException(KilnException.CONFLICT, target + " exists and differs from "
          + source.dir() + " (versions are immutable): remove it to sync again");
    }
    try {
      for (Manifest.FileEntry f : local.files()) {
        java.nio.file.Path p = target.resolve(f.name());
        if (!Files.isRegularFile(p)) {
          throw new CorruptIndexException(p.toString(), "missing");
        }
      }
      verifyByOpening(target);
    } catch (CorruptIndexException e) {
      throw KilnException.badInput(e.getMessage() + " (the local copy " + target
          + " is damaged: remove it and sync again)");
    }
    writeLatest(root, source.id());
    return new Result(source.id(), source.dir().toString(), target, false,
        local.files().size(), source.totalBytes());
  }

  /** The loader's own checks, every CRC32C included. */
  private static void verifyByOpening(java.nio.file.Path versionDir) throws IOException {
    try (KilnIndex index = KilnIndex.open(versionDir, new KilnIndex.OpenOptions(true))) {
      index.count();
    }
  }

  // ------------------------------------------------------------------ copy

  private static Result copy(FileSystem fs, java.nio.file.Path root, java.nio.file.Path target,
      Source source) throws IOException {
    java.nio.file.Path staging = root.resolve(IndexLayout.STAGING);
    Files.createDirectories(staging);
    java.nio.file.Path tmp = Files.createTempDirectory(staging, "sync-" + source.id() + "-");
    try {
      List<Manifest.FileEntry> files = source.manifest().files();
      // Cheap checks first, so a truncated file fails before gigabytes are copied.
      for (Manifest.FileEntry f : files) {
        Path p = source.file(f.name());
        FileStatus st;
        try {
          st = fs.getFileStatus(p);
        } catch (FileNotFoundException e) {
          throw KilnException.badInput(p + ": missing (the manifest lists it)");
        }
        if (!st.isFile() || st.getLen() != f.bytes()) {
          throw KilnException.badInput(p + ": has " + st.getLen() + " bytes, the manifest says "
              + f.bytes() + " (truncated or replaced)");
        }
      }
      for (Manifest.FileEntry f : files) {
        copyVerified(fs, source.file(f.name()), tmp.resolve(f.name()), f);
      }
      try (FileChannel out = FileChannel.open(tmp.resolve(IndexLayout.MANIFEST),
          StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        writeFully(out, source.manifestBytes(), source.manifestBytes().length);
        out.force(true);
      }
      try {
        verifyByOpening(tmp);
      } catch (CorruptIndexException e) {
        // Name the source file, not the staged copy.
        throw KilnException.badInput(
            e.getMessage().replace(tmp.toString(), source.dir().toString()));
      }
      syncDirectory(tmp);
      java.nio.file.Path versions = target.getParent();
      Files.createDirectories(versions);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // Another sync put it there meanwhile: check theirs instead.
        deleteTree(tmp);
        return existing(root, target, source);
      }
      syncDirectory(versions);
      return new Result(source.id(), source.dir().toString(), target, true, files.size() + 1,
          source.totalBytes() + source.manifestBytes().length);
    } catch (KilnException e) {
      deleteTree(tmp);
      throw new KilnException(e.exitCode(), e.getMessage() + "; nothing was synced");
    } catch (IOException | RuntimeException | Error e) {
      deleteTree(tmp);
      throw e;
    } finally {
      deleteIfEmpty(staging);
    }
  }

  /**
   * Streams one file to a local path, computing its CRC32C on the way: the CRC32C of every byte
   * but the last 4 must equal the footer's crc32c (the last 4 bytes, little-endian; FORMAT.md
   * section 3, as {@link FileFormat#verifyChecksum}), and that must equal the manifest's.
   */
  static void copyVerified(FileSystem fs, Path src, java.nio.file.Path dst, Manifest.FileEntry f)
      throws IOException {
    long expected = f.bytes();
    long crcEnd = expected - CRC_BYTES;
    CRC32C crc = new CRC32C();
    byte[] footerCrc = new byte[CRC_BYTES];
    byte[] buf = new byte[BUFFER_BYTES];
    long pos = 0;
    try (FSDataInputStream in = fs.open(src);
        FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (pos + n > expected) {
          throw KilnException.badInput(src + ": longer than the " + expected
              + " bytes the manifest says (replaced while copying?)");
        }
        int body = (int) Math.max(0, Math.min(n, crcEnd - pos));
        crc.update(buf, 0, body);
        for (int i = body; i < n; i++) {
          footerCrc[(int) (pos + i - crcEnd)] = buf[i];
        }
        writeFully(out, buf, n);
        pos += n;
      }
      if (pos != expected) {
        throw KilnException.badInput(src + ": has " + pos + " bytes, the manifest says "
            + expected + " (truncated or replaced)");
      }
      out.force(true);
    } catch (ChecksumException e) {
      // The file system's own block checksums failed (every replica, on HDFS).
      throw KilnException.badInput(src + ": " + e.getMessage());
    }
    int stored = ByteBuffer.wrap(footerCrc).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int content = (int) crc.getValue();
    if (content != stored) {
      throw KilnException.badInput(String.format(Locale.ROOT,
          "%s: checksum mismatch (footer %08x, content %08x): the file is damaged",
          src, stored, content));
    }
    if (stored != f.crc32cValue()) {
      throw KilnException.badInput(String.format(Locale.ROOT,
          "%s: checksum %08x differs from the manifest's %s: the file was replaced",
          src, stored, f.crc32c()));
    }
  }

  private static void writeFully(FileChannel out, byte[] b, int n) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b, 0, n);
    while (bb.hasRemaining()) {
      out.write(bb);
    }
  }

  /** {@code ROOT/LATEST} = id, replaced in one rename. */
  private static void writeLatest(java.nio.file.Path root, String id) throws IOException {
    java.nio.file.Path staging = root.resolve(IndexLayout.STAGING);
    Files.createDirectories(staging);
    java.nio.file.Path tmp = Files.createTempFile(staging, "LATEST-", ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] b = (id + "\n").getBytes(StandardCharsets.UTF_8);
        writeFully(out, b, b.length);
        out.force(true);
      }
      Files.move(tmp, root.resolve(IndexLayout.LATEST), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(root);
    } finally {
      Files.deleteIfExists(tmp);
      deleteIfEmpty(staging);
    }
  }

  /** Makes a rename durable (best effort: not every platform can open a directory). */
  private static void syncDirectory(java.nio.file.Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not supported here; the rename itself is still atomic.
    }
  }

  private static void deleteIfEmpty(java.nio.file.Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Not empty (another sync or build is staging there): leave it.
    }
  }

  private static void deleteTree(java.nio.file.Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // Best effort; it is under _staging, which the loader never reads.
    }
  }
}
