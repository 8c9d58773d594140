package dev.kiln.faiss;

import dev.kiln.format.ShardFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files the Faiss checks exchange with {@code faiss_check.py}: fvecs in, raw arrays out. */
final class FaissFiles {
  private FaissFiles() {}

  static Path writeFvecs(Path p, float[][] rows) throws IOException {
    int d = rows[0].length;
    ByteBuffer b = ByteBuffer.allocate(rows.length * 4 * (d + 1)).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] r : rows) {
      b.putInt(d);
      for (float v : r) {
        b.putFloat(v);
      }
    }
    Files.write(p, b.array());
    return p;
  }

  /** Shard {@code s} of a version directory, mapped read-only. */
  static ShardFile openShard(Path version, int s) throws IOException {
    Path file = version.resolve(ShardFile.fileName(s));
    try (FileChannel ch = FileChannel.open(file)) {
      return ShardFile.open(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()),
          ShardFile.fileName(s));
    }
  }

  /** Little-endian int64s, as numpy's {@code astype("<i8").tofile}. */
  static long[] readLongs(Path p) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[b.remaining() / 8];
    b.asLongBuffer().get(out);
    return out;
  }

  /** Little-endian float32s, as numpy's {@code astype("<f4").tofile}. */
  static float[] readFloats(Path p) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }
}
