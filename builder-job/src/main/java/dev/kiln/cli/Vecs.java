package dev.kiln.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The SIFT corpus files ({@code .fvecs}, {@code .ivecs}): per vector, a little-endian int32
 * dimension followed by that many float32 (or int32) values.
 */
public final class Vecs {
  private Vecs() {}

  /** Number of vectors and their dimension in an fvecs/ivecs file. */
  public record Shape(int count, int dim) {}

  public static Shape shape(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      if (ch.read(head, 0) < 4) {
        throw new IOException(file + ": empty, not an fvecs/ivecs file");
      }
      int dim = head.getInt(0);
      long row = 4L + 4L * dim;
      if (dim < 1 || ch.size() % row != 0) {
        throw new IOException(file + ": first dimension " + dim + " does not divide the file size "
            + ch.size() + "; not an fvecs/ivecs file");
      }
      return new Shape(Math.toIntExact(ch.size() / row), dim);
    }
  }

  /** Reads rows [from, from+n) of an fvecs file. */
  public static float[][] readFloats(Path file, int from, int n) throws IOException {
    Shape s = shape(file);
    int count = Math.min(n, s.count() - from);
    float[][] out = new float[Math.max(0, count)][];
    ByteBuffer b = slice(file, s, from, out.length);
    for (int i = 0; i < out.length; i++) {
      checkDim(file, from + i, b.getInt(), s.dim());
      out[i] = new float[s.dim()];
      b.asFloatBuffer().get(out[i]);
      b.position(b.position() + 4 * s.dim());
    }
    return out;
  }

  public static float[][] readFloats(Path file) throws IOException {
    return readFloats(file, 0, Integer.MAX_VALUE);
  }

  public static int[][] readInts(Path file) throws IOException {
    Shape s = shape(file);
    int[][] out = new int[s.count()][];
    ByteBuffer b = slice(file, s, 0, s.count());
    for (int i = 0; i < out.length; i++) {
      checkDim(file, i, b.getInt(), s.dim());
      out[i] = new int[s.dim()];
      b.asIntBuffer().get(out[i]);
      b.position(b.position() + 4 * s.dim());
    }
    return out;
  }

  /**
   * Writes {@code rows} as an fvecs file (created or truncated). Every row must have the same
   * dimension, at least 1.
   */
  public static void writeFloats(Path file, float[][] rows) throws IOException {
    int dim = checkRows(file, rows, r -> ((float[]) r).length);
    try (Writer w = new Writer(file, dim)) {
      for (float[] row : rows) {
        w.row().asFloatBuffer().put(row);
      }
    }
  }

  /** Writes {@code rows} as an ivecs file (created or truncated), as {@link #writeFloats}. */
  public static void writeInts(Path file, int[][] rows) throws IOException {
    int dim = checkRows(file, rows, r -> ((int[]) r).length);
    try (Writer w = new Writer(file, dim)) {
      for (int[] row : rows) {
        w.row().asIntBuffer().put(row);
      }
    }
  }

  private static int checkRows(Path file, Object[] rows, java.util.function.ToIntFunction<Object> len) {
    if (rows.length == 0) {
      throw new IllegalArgumentException(file + ": no rows to write");
    }
    int dim = len.applyAsInt(rows[0]);
    if (dim < 1) {
      throw new IllegalArgumentException(file + ": rows must have at least one value");
    }
    for (int i = 1; i < rows.length; i++) {
      if (len.applyAsInt(rows[i]) != dim) {
        throw new IllegalArgumentException(file + ": row " + i + " has dimension "
            + len.applyAsInt(rows[i]) + ", row 0 has " + dim);
      }
    }
    return dim;
  }

  /** Buffers whole rows (int32 dimension, then the values) and writes them in large chunks. */
  private static final class Writer implements AutoCloseable {
    private final FileChannel ch;
    private final ByteBuffer buf;
    private final int dim;
    private final int rowBytes;

    Writer(Path file, int dim) throws IOException {
      this.ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING);
      this.dim = dim;
      this.rowBytes = Math.addExact(4, Math.multiplyExact(4, dim));
      this.buf = ByteBuffer.allocate(Math.max(rowBytes, 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Room for one row with its dimension written; returns a view for the values. */
    ByteBuffer row() throws IOException {
      if (buf.remaining() < rowBytes) {
        flush();
      }
      buf.putInt(dim);
      ByteBuffer values = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
      buf.position(buf.position() + 4 * dim);
      return values;
    }

    private void flush() throws IOException {
      buf.flip();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      buf.clear();
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        ch.close();
      }
    }
  }

  private static ByteBuffer slice(Path file, Shape s, int from, int n) throws IOException {
    long row = 4L + 4L * s.dim();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, from * row, n * row)
          .order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  private static void checkDim(Path file, int row, int dim, int expected) throws IOException {
    if (dim != expected) {
      throw new IOException(file + ": row " + row + " has dimension " + dim + ", expected " + expected);
    }
  }
}
