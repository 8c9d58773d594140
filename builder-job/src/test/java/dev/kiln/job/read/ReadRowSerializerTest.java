package dev.kiln.job.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;

/** Every kind of shuffle record comes back as written, and the stream ends as Spark expects. */
class ReadRowSerializerTest {
  private static final ClassTag<Object> ANY = scala.reflect.ClassTag$.MODULE$.Any();

  @Test
  void recordsRoundTripInOrder() {
    List<Object> rows = new ArrayList<>();
    rows.add(new InputRow(new Item(-7, null, new float[] {1f, -0f, Float.MIN_VALUE}), "f1"));
    rows.add(null);
    rows.add(new InputRow(new Item(8, null, new float[] {2f, 3f, 4f}), "f1")); // same file
    rows.add(new InputRow(new Item(0, "ключ-é", new float[] {5f}), "f2"));
    rows.add(new InputRow(new Item(9, null, new float[0]), null));
    rows.add(new RejectedRow(RejectReasons.NULL_ID, null, "f2"));
    rows.add(new RejectedRow(RejectReasons.WRONG_DIMENSION, "12", "f3"));
    rows.add(new InputRow(new Item(10, null, new float[] {6f}), "f3"));

    SerializerInstance s = new ReadRowSerializer().newInstance();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SerializationStream out = s.serializeStream(bytes);
    for (Object r : rows) {
      out.writeObject(r, ANY);
    }
    out.close();
    DeserializationStream in = s.deserializeStream(new ByteArrayInputStream(bytes.toByteArray()));
    for (Object want : rows) {
      Object got = in.readObject(ANY);
      if (want == null) {
        assertNull(got);
      } else if (want instanceof InputRow w) {
        InputRow g = (InputRow) got;
        assertEquals(w.item().id(), g.item().id());
        assertEquals(w.item().key(), g.item().key());
        assertEquals(w.file(), g.file());
        assertArrayEquals(w.item().vector(), g.item().vector());
      } else {
        assertEquals(want, got);
      }
    }
    // The end of the stream is an EOFException: Spark's iterators stop on it.
    assertThrows(EOFException.class, () -> in.readObject(ANY));

    Object one = rows.get(6);
    assertEquals(one, s.deserialize(s.serialize(one, ANY), ANY));
  }
}
