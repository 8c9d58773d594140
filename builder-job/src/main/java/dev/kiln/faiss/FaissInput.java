package dev.kiln.faiss;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a Faiss index file with positional reads: little-endian values by C++ type size, and
 * every count read from the file checked against the bytes that remain before anything is
 * allocated for it, so a damaged or foreign file fails with one line naming the file, the
 * offset and the problem ({@link dev.kiln.errors.InvalidInputException}), never with an OutOfMemoryError.
 */
final class FaissInput implements Closeable {
  private final FileChannel ch;
  private final String name;
  private final long size;
  private final ByteBuffer small = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
  private long pos;

  FaissInput(Path path) throws IOException {
    this.name = path.toString();
    this.ch = FileChannel.open(path, StandardOpenOption.READ);
    this.size = ch.size();
  }

  String name() {
    return name;
  }

  long size() {
    return size;
  }

  long position() {
    return pos;
  }

  long remaining() {
    return size - pos;
  }

  /** A user-facing error about this file: {@code NAME: problem}. */
  KilnException error(String problem) {
    return new InvalidInputException(name + ": " + problem);
  }

  private void need(long n, String what) {
    if (n > size - pos) {
      throw error("truncated: " + what + " needs " + n + " bytes at offset " + pos + " but the"
          + " file ends at " + size);
    }
  }

  private ByteBuffer readSmall(int n, String what) throws IOException {
    need(n, what);
    small.clear().limit(n);
    readFully(small, pos);
    small.flip();
    pos += n;
    return small;
  }

  int tag(String what) throws IOException {
    return readSmall(4, what).getInt();
  }

  int int32(String what) throws IOException {
    return readSmall(4, what).getInt();
  }

  long int64(String what) throws IOException {
    return readSmall(8, what).getLong();
  }

  int int8(String what) throws IOException {
    return readSmall(1, what).get() & 0xff;
  }

  float float32(String what) throws IOException {
    return readSmall(4, what).getFloat();
  }

  /**
   * Reads a {@code size_t} element count and checks that {@code count x elementBytes} bytes
   * remain in the file (and that the count fits a Java array when {@code forArray}).
   */
  long count(String what, int elementBytes, boolean forArray) throws IOException {
    long at = pos;
    long n = int64(what + " count");
    if (n < 0 || n > remaining() / elementBytes) {
      throw error("bad " + what + " count " + Long.toUnsignedString(n) + " at offset " + at
          + ": only " + remaining() + " bytes follow (truncated or not a Faiss index)");
    }
    if (forArray && n > Integer.MAX_VALUE - 8) {
      throw error(what + " at offset " + at + " has " + n + " elements, more than Kiln can hold");
    }
    return n;
  }

  float[] floats(int n, String what) throws IOException {
    float[] out = new float[n];
    chunked(n, what, (b, done, k) -> b.asFloatBuffer().get(out, done, k));
    return out;
  }

  int[] ints(int n, String what) throws IOException {
    int[] out = new int[n];
    chunked(n, what, (b, done, k) -> b.asIntBuffer().get(out, done, k));
    return out;
  }

  /** Where {@link #chunked} hands each chunk: {@code k} 4-byte values, from element {@code done}. */
  private interface Chunk {
    void take(ByteBuffer b, int done, int k);
  }

  /** Reads {@code n} 4-byte values at the position in chunks of at most 1 MiB. */
  private void chunked(int n, String what, Chunk sink) throws IOException {
    need(4L * n, what);
    ByteBuffer b = ByteBuffer.allocate(Math.min(1 << 20, 4 * Math.max(n, 1)))
        .order(ByteOrder.LITTLE_ENDIAN);
    int done = 0;
    while (done < n) {
      int k = Math.min(n - done, b.capacity() / 4);
      b.clear().limit(4 * k);
      readFully(b, pos);
      b.flip();
      sink.take(b, done, k);
      pos += 4L * k;
      done += k;
    }
  }

  long[] longs(int n, String what) throws IOException {
    need(8L * n, what);
    long[] out = new long[n];
    readLongs(pos, out, n);
    pos += 8L * n;
    return out;
  }

  void skip(long n, String what) {
    need(n, what);
    pos += n;
  }

  /** Reads {@code n} bytes at an absolute offset (already checked to lie in the file). */
  void readBytes(long at, byte[] dst, int n) throws IOException {
    readFully(ByteBuffer.wrap(dst, 0, n), at);
  }

  /** Reads {@code n} little-endian int64 at an absolute offset (already checked). */
  void readLongs(long at, long[] dst, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.min(1 << 20, 8 * Math.max(n, 1)))
        .order(ByteOrder.LITTLE_ENDIAN);
    int done = 0;
    while (done < n) {
      int k = Math.min(n - done, b.capacity() / 8);
      b.clear().limit(8 * k);
      readFully(b, at + 8L * done);
      b.flip();
      b.asLongBuffer().get(dst, done, k);
      done += k;
    }
  }

  private void readFully(ByteBuffer dst, long at) throws IOException {
    long p = at;
    while (dst.hasRemaining()) {
      int r = ch.read(dst, p);
      if (r < 0) {
        throw error("truncated: the file ended at offset " + p + " while reading");
      }
      p += r;
    }
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
