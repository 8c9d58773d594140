package dev.kiln.format.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.fuzz.FuzzTarget.Seed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The harness itself: it must catch what it claims to catch, and replay what it reports. */
class FuzzerTest {
  /** A tiny format: "LEN" + int32 length + that many bytes. */
  private static final Seed SEED = new Seed("tiny", seedBytes());

  private static byte[] seedBytes() {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.put("LEN".getBytes(StandardCharsets.US_ASCII)).putInt(57);
    return b.array();
  }

  private static int length(byte[] input) throws CorruptIndexException {
    if (input.length < 7 || input[0] != 'L' || input[1] != 'E' || input[2] != 'N') {
      throw new CorruptIndexException("tiny", "not a tiny file");
    }
    return ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN).getInt(3);
  }

  private static final List<String> PROPERTIES = List.of("kiln.fuzz.iterations",
      "kiln.fuzz.seconds", "kiln.fuzz.seed", "kiln.fuzz.replay", "kiln.fuzz.hang-seconds");
  private final java.util.Map<String, String> saved = new java.util.HashMap<>();

  /** A long run's settings (-Dkiln.fuzz.seconds=600) are not for these tests. */
  @BeforeEach
  void defaultSettings() {
    for (String p : PROPERTIES) {
      saved.put(p, System.clearProperty(p));
    }
  }

  @AfterEach
  void restoreSettings() {
    saved.forEach(FuzzerTest::restore);
  }

  private static FuzzTarget target(String name, FuzzTarget.Read read) {
    return new FuzzTarget(name, List.of(SEED), Mutator.bytes(), read,
        FuzzTarget.Rejection.corruptIndex(s -> "tiny"), 3_000);
  }

  @Test
  void aCarefulReaderPasses() {
    Fuzzer.Report r = Fuzzer.run(target("careful", (seed, in, rnd) -> {
      int n = length(in);
      if (n < 0 || n > in.length - 7) {
        throw new CorruptIndexException("tiny", "length " + n + " beyond the file");
      }
      ByteBuffer.wrap(in, 7, n).get(new byte[n]);
    }));
    assertEquals(3_000, r.inputs());
    assertEquals(r.inputs(), r.read() + r.rejected());
    assertTrue(r.read() > 0 && r.rejected() > 0, r.toString());
  }

  @Test
  void anUndocumentedExceptionFailsTheRunAndReplaysFromItsSeed() {
    FuzzTarget trusting = target("trusting", (seed, in, rnd) -> {
      int n = length(in);
      ByteBuffer.wrap(in, 7, Math.min(n, 1 << 16)); // IndexOutOfBoundsException past the end
    });
    AssertionError e = assertThrows(AssertionError.class, () -> Fuzzer.run(trusting));
    assertTrue(e.getMessage().contains("java.lang.IndexOutOfBoundsException"), e.getMessage());
    Matcher m = Pattern.compile("-Dkiln.fuzz.replay=(trusting:0x[0-9a-f]+)").matcher(e.getMessage());
    assertTrue(m.find(), e.getMessage());
    String before = System.setProperty("kiln.fuzz.replay", m.group(1));
    try {
      assertThrows(IndexOutOfBoundsException.class, () -> Fuzzer.run(trusting));
    } finally {
      restore("kiln.fuzz.replay", before);
    }
  }

  @Test
  void anAllocationSizedByTheFileFailsTheRun() {
    AssertionError e = assertThrows(AssertionError.class, () -> Fuzzer.run(target("allocating",
        (seed, in, rnd) -> {
          int n = length(in);
          if (n < 1) {
            throw new CorruptIndexException("tiny", "length " + n);
          }
          byte[] buf = new byte[Math.min(n, 1 << 28)]; // trusts the length: up to 256 MiB
          buf[buf.length - 1] = 1;
        })));
    assertTrue(e.getMessage().contains("allocation out of proportion")
        || e.getMessage().contains("OutOfMemoryError"), e.getMessage());
  }

  @Test
  void aHangFailsTheRun() {
    String before = System.setProperty("kiln.fuzz.hang-seconds", "0.5");
    try {
      AssertionError e = assertThrows(AssertionError.class, () -> Fuzzer.run(target("hanging",
          (seed, in, rnd) -> {
            int n = length(in);
            while (n > 1000 && !Thread.currentThread().isInterrupted()) {
              Thread.onSpinWait(); // a loop whose bound comes from the file
            }
          })));
      assertTrue(e.getMessage().contains("has run for more than"), e.getMessage());
    } finally {
      restore("kiln.fuzz.hang-seconds", before);
    }
  }

  @Test
  void mutationsAreReproducibleAndOfEveryKind() {
    byte[] seed = new byte[256];
    new Random(1).nextBytes(seed);
    List<String> log = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      List<String> a = new ArrayList<>();
      byte[] x = Mutator.bytes().mutate(seed, new Random(i), a);
      List<String> b = new ArrayList<>();
      assertArrayEquals(x, Mutator.bytes().mutate(seed, new Random(i), b));
      assertEquals(a, b);
      log.addAll(a);
    }
    String all = String.join("\n", log);
    for (String kind : List.of("flip bit", "byte @", "int32 @", "int64 @", "+= ", "truncate to",
        "append", "insert copy", "delete [", "over @", "random bytes", "= 2147483647",
        "= -1", "= 0\n", "bytes of 0xFF")) {
      assertTrue(all.contains(kind), kind);
    }
  }

  @Test
  void jsonMutationsMostlyStayJsonAndChangeIt() throws IOException {
    byte[] seed = "{\"a\": 1, \"b\": [\"x\", {\"c\": null}], \"d\": \"text\"}"
        .getBytes(StandardCharsets.UTF_8);
    ObjectMapper json = new ObjectMapper();
    int parsed = 0;
    int changed = 0;
    for (int i = 0; i < 1_000; i++) {
      byte[] out = Mutator.json().mutate(seed, new Random(i), new ArrayList<>());
      try {
        if (!json.readTree(out).equals(json.readTree(seed))) {
          changed++;
        }
        parsed++;
      } catch (IOException e) {
        // byte-level damage: not JSON any more, which the reader must also survive
      }
    }
    assertTrue(parsed > 600, "parsed " + parsed);
    assertTrue(changed > 500, "changed " + changed);
    assertFalse(parsed == 1_000, "some byte-level damage");
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
