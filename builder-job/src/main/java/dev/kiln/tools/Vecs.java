package dev.kiln.tools;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import dev.kiln.search.QueryCheck;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The SIFT corpus files ({@code .fvecs}, {@code .ivecs}): per vector, a little-endian int32
 * dimension followed by that many float32 (or int32) values.
 */
public final class Vecs {
  private Vecs() {}

  /**
   * The largest dimension read from a file: a header above it is damage, not data (real
   * embeddings have a few thousand components; this is 4 MiB per record).
   */
  public static final int MAX_DIM = 1 << 20;

  /** Number of vectors and their dimension in an fvecs/ivecs file. */
  public record Shape(int count, int dim) {
    public long recordBytes() {
      return 4L + 4L * dim;
    }
  }

  /**
   * The shape of a file whose records all have the first record's dimension (checked as each
   * record is read). Every figure is checked before anything is allocated from it.
   *
   * @throws KilnException (bad input, naming the file and the record) for an empty file, a
   *     dimension below 1 or above {@link #MAX_DIM}, or a size that is not a whole number of
   *     records (truncated, or not an fvecs/ivecs file)
   */
  public static Shape shape(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      // A directory fails to read; a FIFO would block the open forever.
      throw new InvalidInputException(file + ": " + (Files.exists(file) ? "not a regular file"
          : "no such file"));
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new InvalidInputException(file + ": empty, no vectors");
      }
      ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
        // a 4-byte read may come back short
      }
      if (head.hasRemaining()) {
        throw new InvalidInputException(file + ": " + size + " bytes, too short for a record's"
            + " 4-byte dimension; not an fvecs/ivecs file");
      }
      int dim = head.getInt(0);
      if (dim < 1 || dim > MAX_DIM) {
        throw new InvalidInputException(file + ": record 0 has dimension " + dim + ", expected 1 to "
            + MAX_DIM + "; not an fvecs/ivecs file, or damaged");
      }
      Shape s = new Shape(0, dim);
      long row = s.recordBytes();
      if (size % row != 0) {
        throw new InvalidInputException(file + ": " + size + " bytes is not a whole number of "
            + row + "-byte records (dimension " + dim + "): record " + size / row
            + " is truncated, or the records differ in dimension");
      }
      if (size / row > Integer.MAX_VALUE) {
        throw new InvalidInputException(file + ": " + size / row + " records, more than "
            + Integer.MAX_VALUE);
      }
      return new Shape((int) (size / row), dim);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    }
  }

  /** Reads rows [from, from+n) of an fvecs file. */
  public static float[][] readFloats(Path file, int from, int n) throws IOException {
    Shape s = shape(file);
    int count = Math.max(0, Math.min(n, s.count() - from));
    checkHeap(file, count, s);
    float[][] out = new float[count][];
    forEachRecord(file, s, from, count, (i, b) -> {
      out[i] = new float[s.dim()];
      b.asFloatBuffer().get(out[i]);
    });
    return out;
  }

  public static float[][] readFloats(Path file) throws IOException {
    return readFloats(file, 0, Integer.MAX_VALUE);
  }

  /**
   * Reads a whole fvecs file of queries, refusing (exit 3, naming the file and the query) any
   * that the loader would refuse: a NaN or infinite value, or a norm so large that its distances
   * overflow float ({@link QueryCheck}, the loader's own rule).
   */
  public static float[][] readQueries(Path file) throws IOException {
    float[][] q = readFloats(file);
    for (int i = 0; i < q.length; i++) {
      try {
        QueryCheck.check(q[i], "query " + i);
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(file + ": " + e.getMessage());
      }
    }
    return q;
  }

  public static int[][] readInts(Path file) throws IOException {
    Shape s = shape(file);
    checkHeap(file, s.count(), s);
    int[][] out = new int[s.count()][];
    forEachRecord(file, s, 0, s.count(), (i, b) -> {
      out[i] = new int[s.dim()];
      b.asIntBuffer().get(out[i]);
    });
    return out;
  }

  /** Refuses a read that could not fit in the heap, with the figure, instead of dying of it. */
  private static void checkHeap(Path file, int count, Shape s) {
    long need = (long) count * (16 + 4L * s.dim()); // an array header per record
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (need > free) {
      throw new InvalidInputException(String.format(java.util.Locale.ROOT,
          "%s: %,d records of dimension %d need %,d MiB of heap, %,d MiB are free", file, count,
          s.dim(), need >> 20, free >> 20));
    }
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

  private interface RecordReader {
    /** Reads the values of the i-th record asked for; {@code values} starts at the first. */
    void read(int i, ByteBuffer values);
  }

  /**
   * Maps records [from, from+n) in pieces of at most {@link #MAP_BYTES} (one mapping holds at
   * most 2 GiB) and hands each record's values to {@code reader}, its dimension checked first.
   */
  private static void forEachRecord(Path file, Shape s, int from, int n, RecordReader reader)
      throws IOException {
    long row = s.recordBytes();
    int perMap = (int) Math.max(1, MAP_BYTES / row);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int done = 0; done < n; ) {
        int m = Math.min(perMap, n - done);
        ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, (from + done) * row, m * row)
            .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < m; i++) {
          checkDim(file, from + done + i, b.getInt(), s.dim());
          reader.read(done + i, b.slice().order(ByteOrder.LITTLE_ENDIAN));
          b.position(b.position() + 4 * s.dim());
        }
        done += m;
      }
    }
  }

  private static final long MAP_BYTES = 1L << 30;

  private static void checkDim(Path file, int record, int dim, int expected) {
    if (dim != expected) {
      throw new InvalidInputException(file + ": record " + record + " has dimension " + dim
          + ", record 0 has " + expected + " (damaged, or not an fvecs/ivecs file)");
    }
  }
}
