package dev.kiln.faiss;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Sequential little-endian writer for the Faiss serialization: the C++ types by their sizes. */
final class FaissOutput implements AutoCloseable {
  private final OutputStream out;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
  private long position;

  FaissOutput(OutputStream out) {
    this.out = out;
  }

  long position() {
    return position;
  }

  private void room(int n) throws IOException {
    if (buf.remaining() < n) {
      flushBuffer();
    }
  }

  private void flushBuffer() throws IOException {
    out.write(buf.array(), 0, buf.position());
    buf.clear();
  }

  /** A fourcc tag. */
  void tag(int fourcc) throws IOException {
    int32(fourcc);
  }

  void int32(int v) throws IOException {
    room(4);
    buf.putInt(v);
    position += 4;
  }

  /** {@code int64}, {@code idx_t} or {@code size_t}. */
  void int64(long v) throws IOException {
    room(8);
    buf.putLong(v);
    position += 8;
  }

  /** {@code bool} or {@code char}. */
  void int8(int v) throws IOException {
    room(1);
    buf.put((byte) v);
    position += 1;
  }

  void float32(float v) throws IOException {
    room(4);
    buf.putFloat(v);
    position += 4;
  }

  void float64(double v) throws IOException {
    room(8);
    buf.putDouble(v);
    position += 8;
  }

  /** A {@code std::vector<float>}: count, then the values. */
  void floatVector(float[] v) throws IOException {
    int64(v.length);
    for (float x : v) {
      float32(x);
    }
  }

  void bytes(byte[] b, int off, int len) throws IOException {
    if (len > buf.capacity()) {
      flushBuffer();
      out.write(b, off, len);
    } else {
      room(len);
      buf.put(b, off, len);
    }
    position += len;
  }

  /** Copies {@code len} bytes from a buffer, starting at absolute offset {@code at}. */
  void bytes(ByteBuffer src, int at, int len) throws IOException {
    ByteBuffer view = src.duplicate();
    view.limit(at + len).position(at);
    while (view.hasRemaining()) {
      if (!buf.hasRemaining()) {
        flushBuffer();
      }
      int n = Math.min(buf.remaining(), view.remaining());
      ByteBuffer part = view.slice().limit(n);
      buf.put(part);
      view.position(view.position() + n);
    }
    position += len;
  }

  void flush() throws IOException {
    flushBuffer();
    out.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      flushBuffer();
    } finally {
      out.close();
    }
  }
}
