package dev.kiln.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Checks made on a file of an index before a reader opens it. Opening a FIFO for reading blocks
 * until a writer comes (forever, in practice), and a device or a sparse file can be of any size:
 * so every file the loader reads is first required to be a regular file, and the small text
 * files are read with a cap.
 *
 * <p>Symbolic links are followed: a link to a regular file is accepted (deployments link
 * versions or files into place), a link to anything else is refused like its target. The check
 * and the open are two steps: a file replaced by a FIFO between them can still block the open.
 */
public final class FileChecks {
  private FileChecks() {}

  /**
   * The attributes of {@code file} (following links) when it is a regular file.
   *
   * @param file the file to check
   * @return its attributes (of the link's target, for a symbolic link)
   * @throws java.nio.file.NoSuchFileException when it does not exist (callers name it missing)
   * @throws CorruptIndexException naming the file when it is a directory, FIFO, socket or device
   */
  public static BasicFileAttributes requireRegularFile(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new CorruptIndexException(file.toString(), "is "
          + (a.isDirectory() ? "a directory" : "a FIFO, socket or device")
          + ", not a regular file: refusing to open it");
    }
    return a;
  }

  /**
   * The bytes of regular file {@code file}, at most {@code limit} of them: a longer file is
   * refused before anything is allocated for it ({@code what} names the kind of file in the
   * message: "a LATEST file").
   *
   * @param file the file to read
   * @param limit the most bytes it may hold
   * @param what the kind of file, for the message
   * @return the file's bytes, at most {@code limit}
   * @throws java.nio.file.NoSuchFileException when it does not exist
   * @throws CorruptIndexException naming the file when it is not a regular file or holds more
   *     than {@code limit} bytes (also when it grows past them while being read)
   * @throws IOException when reading fails
   */
  public static byte[] readCapped(Path file, int limit, String what) throws IOException {
    long size = requireRegularFile(file).size();
    if (size > limit) {
      throw tooLarge(file.toString(), size + " bytes", limit, what);
    }
    try (InputStream in = Files.newInputStream(file)) {
      // Read one byte past the cap: the file may have grown since its size was read.
      byte[] b = in.readNBytes(limit + 1);
      if (b.length > limit) {
        throw tooLarge(file.toString(), "more than " + limit + " bytes", limit, what);
      }
      return b;
    }
  }

  static CorruptIndexException tooLarge(String file, String has, long limit, String what) {
    return new CorruptIndexException(file, "has " + has + "; " + what + " may have at most "
        + limit + " bytes");
  }

  /** {@code in}, failing with {@link CorruptIndexException} once more than {@code limit} bytes are read. */
  static InputStream capped(InputStream in, long limit, String file, String what) {
    return new InputStream() {
      private long read;

      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          count(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = in.read(buf, off, (int) Math.min(len, limit + 1 - read));
        if (n > 0) {
          count(n);
        }
        return n;
      }

      private void count(int n) throws CorruptIndexException {
        read += n;
        if (read > limit) {
          throw tooLarge(file, "more than " + limit + " bytes", limit, what);
        }
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }
}
