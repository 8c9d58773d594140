package dev.kiln.store;

import dev.kiln.search.OpenOptions;
import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.VersionConflictException;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.errors.KilnException;
import dev.kiln.search.KilnIndex;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Copy-and-verify: one published version from any Hadoop file system into a local index root,
 * so that the mmap loader can serve it ({@code kiln sync}).
 *
 * <p>The files are streamed into {@code ROOT/_staging/sync-ID-*}, each one's length and CRC32C
 * checked against the manifest while it streams; the copy is then opened with {@link KilnIndex}
 * verifying every checksum again, renamed to {@code ROOT/versions/ID} in one step, and
 * {@code ROOT/LATEST} is replaced by a rename. On any mismatch the staged copy is deleted and
 * nothing under {@code versions} or {@code LATEST} changes. A version that is already there and
 * verifies is not copied again. Only the manifest and the files it lists are copied.
 */
public final class VersionCopy {
  /** The crc32c field: the last 4 bytes of every Kiln binary file, covering all bytes before it. */
  private static final int CRC_BYTES = 4;
  private static final int BUFFER_BYTES = FormatOutput.CHUNK;

  private VersionCopy() {}

  /** What a sync did. {@code copied} is false when the version was already there and verified. */
  public record Result(String versionId, String source, java.nio.file.Path versionDir,
      boolean copied, int files, long bytes) {}

  /**
   * Copies a version from {@code from} (a root or a version directory) into the local index root
   * {@code root}, which the caller has checked and created.
   *
   * @param requestedVersion the version to take from a root, or null for its LATEST
   * @throws KilnException exit code 3 naming the file when the source does not match its
   *     manifest; 2 for bad options; 4 when the target holds another version of the same id
   */
  public static Result sync(Configuration conf, String from, java.nio.file.Path root,
      String requestedVersion) throws IOException {
    Path src = new Path(from);
    try (FileSystem fs = SourceVersion.open(conf, src, from)) {
      SourceVersion source = SourceVersion.resolve(fs, fs.makeQualified(src), requestedVersion);
      java.nio.file.Path target = root.resolve(IndexLayout.VERSIONS).resolve(source.id());
      if (Files.exists(target)) {
        return existing(root, target, source);
      }
      Result r = copy(fs, root, target, source);
      promoteLatest(root, source.id());
      return r;
    }
  }

  /** The version is already there: same manifest and every file verifies, or an error. */
  private static Result existing(java.nio.file.Path root, java.nio.file.Path target,
      SourceVersion source) throws IOException {
    java.nio.file.Path mp = target.resolve(IndexLayout.MANIFEST);
    Manifest local;
    try (InputStream in = Files.newInputStream(mp)) {
      local = Manifest.read(in, mp.toString());
    } catch (IOException e) {
      throw new VersionConflictException(target + " exists but is not a complete"
          + " version (" + e.getMessage() + "); remove it and sync again");
    }
    if (!local.equals(source.manifest())) {
      throw new VersionConflictException(target + " exists and differs from "
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
      throw new InvalidInputException(e.getMessage() + " (the local copy " + target
          + " is damaged: remove it and sync again)");
    }
    promoteLatest(root, source.id());
    return new Result(source.id(), source.dir().toString(), target, false,
        local.files().size(), source.totalBytes());
  }

  /** {@code ROOT/LATEST} = id, durably, by a rename; {@code _staging} removed once empty. */
  private static void promoteLatest(java.nio.file.Path root, String id) throws IOException {
    IndexRoot local = IndexRoot.local(root);
    try {
      local.promoteLatest(id, true);
    } finally {
      local.removeStagingIfEmpty();
    }
  }

  /** The loader's own checks, every CRC32C included. */
  private static void verifyByOpening(java.nio.file.Path versionDir) throws IOException {
    try (KilnIndex index = KilnIndex.open(versionDir, new OpenOptions(true))) {
      index.count();
    }
  }

  private static Result copy(FileSystem fs, java.nio.file.Path root, java.nio.file.Path target,
      SourceVersion source) throws IOException {
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
          throw new InvalidInputException(p + ": missing (the manifest lists it)");
        }
        if (!st.isFile() || st.getLen() != f.bytes()) {
          throw new InvalidInputException(p + ": has " + st.getLen() + " bytes, the manifest says "
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
        throw new InvalidInputException(
            e.getMessage().replace(tmp.toString(), source.dir().toString()));
      }
      AtomicFile.syncDirectory(tmp);
      java.nio.file.Path versions = target.getParent();
      Files.createDirectories(versions);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // Another sync put it there meanwhile: check theirs instead.
        deleteTree(tmp);
        return existing(root, target, source);
      }
      AtomicFile.syncDirectory(versions);
      return new Result(source.id(), source.dir().toString(), target, true, files.size() + 1,
          source.totalBytes() + source.manifestBytes().length);
    } catch (KilnException e) {
      deleteTree(tmp);
      throw e.withMessage(e.getMessage() + "; nothing was synced");
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
   * section 3, as {@code FileFormat.verifyChecksum}), and that must equal the manifest's.
   */
  public static void copyVerified(FileSystem fs, Path src, java.nio.file.Path dst,
      Manifest.FileEntry f) throws IOException {
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
      while ((n = fill(in, buf)) > 0) {
        if (pos + n > expected) {
          throw new InvalidInputException(src + ": longer than the " + expected
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
        throw new InvalidInputException(src + ": has " + pos + " bytes, the manifest says "
            + expected + " (truncated or replaced)");
      }
      out.force(true);
    } catch (ChecksumException e) {
      // The file system's own block checksums failed (every replica, on HDFS).
      throw new InvalidInputException(src + ": " + e.getMessage());
    }
    int stored = ByteBuffer.wrap(footerCrc).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int content = (int) crc.getValue();
    if (content != stored) {
      throw new InvalidInputException(String.format(Locale.ROOT,
          "%s: checksum mismatch (footer %08x, content %08x): the file is damaged",
          src, stored, content));
    }
    if (stored != f.crc32cValue()) {
      throw new InvalidInputException(String.format(Locale.ROOT,
          "%s: checksum %08x differs from the manifest's %s: the file was replaced",
          src, stored, f.crc32c()));
    }
  }

  /**
   * Reads until {@code buf} is full or the stream ends, so the copy's writes are whole chunks
   * at multiples of the chunk, which leave the page cache in huge pages ({@link
   * FormatOutput#CHUNK}).
   *
   * @return the bytes read, 0 at the end of the stream
   */
  static int fill(InputStream in, byte[] buf) throws IOException {
    int n = 0;
    while (n < buf.length) {
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }

  private static void writeFully(FileChannel out, byte[] b, int n) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b, 0, n);
    while (bb.hasRemaining()) {
      out.write(bb);
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
