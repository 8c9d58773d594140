package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class FormatOutputTest {
  /** A stream that keeps its bytes and the length of every write it was given. */
  static final class RecordingStream extends ByteArrayOutputStream {
    final List<Integer> writes = new ArrayList<>();

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      writes.add(len);
      super.write(b, off, len);
    }

    @Override
    public synchronized void write(int b) {
      writes.add(1);
      super.write(b);
    }
  }

  @Test
  void writesWholeChunksAtChunkOffsetsWhateverTheValuesCross() throws IOException {
    int chunk = FormatOutput.CHUNK;
    RecordingStream stream = new RecordingStream();
    ByteBuffer expected = ByteBuffer.allocate(3 * chunk).order(ByteOrder.LITTLE_ENDIAN);
    try (FormatOutput out = new FormatOutput(stream)) {
      byte[] filler = new byte[chunk - 3];
      Arrays.fill(filler, (byte) 7);
      out.writeBytes(filler);
      expected.put(filler);
      // A long across the first chunk's end, then an int, a float and a padding across more.
      out.writeLong(0x1122334455667788L);
      expected.putLong(0x1122334455667788L);
      out.writeInt(-5);
      expected.putInt(-5);
      out.writeFloat(1.5f);
      expected.putFloat(1.5f);
      out.padTo(2L * chunk + 10);
      expected.position(2 * chunk + 10);
      out.writeInt(42);
      expected.putInt(42);
      assertEquals(expected.position(), out.position());
      out.finish();
    }
    byte[] file = stream.toByteArray();
    int content = expected.position();
    assertArrayEquals(Arrays.copyOf(expected.array(), content), Arrays.copyOf(file, content));
    List<Integer> w = stream.writes;
    // Two whole chunks, then the rest and the footer's checksum at the end.
    assertEquals(List.of(chunk, chunk), w.subList(0, 2));
    assertTrue(w.size() >= 3, () -> "writes " + w);
    assertEquals(file.length - 2 * chunk, w.subList(2, w.size()).stream().mapToInt(i -> i).sum());
    CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 4);
    assertEquals((int) crc.getValue(),
        ByteBuffer.wrap(file, file.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
  }

  @Test
  void aFileShorterThanAChunkIsOneWriteAndTheChecksum() throws IOException {
    RecordingStream stream = new RecordingStream();
    try (FormatOutput out = new FormatOutput(stream)) {
      out.writeHeaderStart(FileFormat.KIND_SHARD);
      out.align();
      out.finish();
      assertEquals(stream.size(), out.position());
    }
    assertEquals(2, stream.writes.size(), () -> "writes " + stream.writes);
    assertEquals(4, stream.writes.get(1));
  }
}
