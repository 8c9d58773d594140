package dev.kiln.job.read;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag;

/**
 * The canonical shuffle's serializer: it carries only {@link InputRow}s, {@link RejectedRow}s
 * and nulls (the shuffle's values), so it writes their fields and nothing else. Java
 * serialization (Spark's default) spent most of the shuffle's reading on rebuilding records
 * through reflection and re-sending class descriptors every hundred rows. Vectors go as one
 * bulk copy of little-endian floats; a row's file name is written only when it differs from the
 * previous row's (rows of one file come together).
 */
final class ReadRowSerializer extends Serializer implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final byte NULL = 0;
  private static final byte LONG_ID = 1;
  private static final byte STRING_ID = 2;
  private static final byte REJECTED = 3;

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable e) throws E {
    throw (E) e;
  }

  @Override
  public SerializerInstance newInstance() {
    return new Instance();
  }

  private static final class Instance extends SerializerInstance {
    @Override
    public <T> ByteBuffer serialize(T t, ClassTag<T> tag) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      Writer w = new Writer(bytes);
      w.writeObject(t, tag);
      w.close();
      return ByteBuffer.wrap(bytes.toByteArray());
    }

    @Override
    public <T> T deserialize(ByteBuffer bytes, ClassTag<T> tag) {
      byte[] b = new byte[bytes.remaining()];
      bytes.duplicate().get(b);
      return new Reader(new java.io.ByteArrayInputStream(b)).readObject(tag);
    }

    @Override
    public <T> T deserialize(ByteBuffer bytes, ClassLoader loader, ClassTag<T> tag) {
      return deserialize(bytes, tag);
    }

    @Override
    public SerializationStream serializeStream(OutputStream s) {
      return new Writer(s);
    }

    @Override
    public DeserializationStream deserializeStream(InputStream s) {
      return new Reader(s);
    }
  }

  private static final class Writer extends SerializationStream {
    private final DataOutputStream out;
    private byte[] buf = new byte[0];
    private String lastFile;

    Writer(OutputStream s) {
      this.out = new DataOutputStream(s);
    }

    @Override
    public <T> SerializationStream writeObject(T t, ClassTag<T> tag) {
      try {
        if (t == null) {
          out.writeByte(NULL);
        } else if (t instanceof InputRow r) {
          Item item = r.item();
          if (item.key() == null) {
            out.writeByte(LONG_ID);
            out.writeLong(item.id());
          } else {
            out.writeByte(STRING_ID);
            string(item.key());
          }
          file(r.file());
          floats(item.vector());
        } else if (t instanceof RejectedRow r) {
          out.writeByte(REJECTED);
          string(r.reason());
          nullable(r.id());
          file(r.file());
        } else {
          throw new IllegalArgumentException("the read shuffle carries no " + t.getClass());
        }
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void file(String f) throws IOException {
      if (f != null && f.equals(lastFile)) {
        out.writeByte(2);
        return;
      }
      nullable(f);
      lastFile = f;
    }

    private void nullable(String s) throws IOException {
      out.writeByte(s == null ? 0 : 1);
      if (s != null) {
        string(s);
      }
    }

    private void string(String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
    }

    private void floats(float[] v) throws IOException {
      out.writeInt(v.length);
      int n = v.length * Float.BYTES;
      if (buf.length < n) {
        buf = new byte[n];
      }
      ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v);
      out.write(buf, 0, n);
    }

    @Override
    public void flush() {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final class Reader extends DeserializationStream {
    private final DataInputStream in;
    private byte[] buf = new byte[0];
    private String lastFile;

    Reader(InputStream s) {
      this.in = new DataInputStream(s);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T readObject(ClassTag<T> tag) {
      try {
        byte kind = in.readByte(); // EOFException at the end: how Spark's iterators stop
        switch (kind) {
          case NULL:
            return null;
          case LONG_ID: {
            long id = in.readLong();
            String file = file();
            return (T) new InputRow(new Item(id, null, floats()), file);
          }
          case STRING_ID: {
            String key = string();
            String file = file();
            return (T) new InputRow(new Item(0, key, floats()), file);
          }
          case REJECTED: {
            String reason = string();
            String id = nullable();
            return (T) new RejectedRow(reason, id, file());
          }
          default:
            throw new IllegalStateException("damaged read shuffle record: kind " + kind);
        }
      } catch (EOFException e) {
        // Spark's record iterators stop on exactly this exception, which Scala may throw
        // undeclared: rethrown as it is.
        throw ReadRowSerializer.<RuntimeException>sneaky(e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private String file() throws IOException {
      byte flag = in.readByte();
      if (flag == 2) {
        return lastFile;
      }
      lastFile = flag == 0 ? null : string();
      return lastFile;
    }

    private String nullable() throws IOException {
      return in.readByte() == 0 ? null : string();
    }

    private String string() throws IOException {
      byte[] b = new byte[in.readInt()];
      in.readFully(b);
      return new String(b, StandardCharsets.UTF_8);
    }

    private float[] floats() throws IOException {
      float[] v = new float[in.readInt()];
      int n = v.length * Float.BYTES;
      if (buf.length < n) {
        buf = new byte[n];
      }
      in.readFully(buf, 0, n);
      ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      return v;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
