package dev.kiln.format;

import static dev.kiln.format.TestFiles.assertCorrupt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Manifest sample(Quality quality) {
    ListStats lists = new ListStats(3, 1234L, 97.5, 0L, null, null);
    BuildInfo build = BuildInfo.builder().input("s3://bucket/items/").seed(42L)
        .trainingPoints(100000L).kmeansIterations(25).kiln("0.1.0").build();
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("train", 12.5);
    timings.put("encode", 301.25);
    return Manifest.builder().formatVersion(FileFormat.CURRENT_VERSION).version("20250101T000000Z-ab12")
        .createdAt("2025-01-01T00:00:00Z").index("IVF1024,PQ16").metric("cosine").dim(128)
        .count(5_000_000_000L).idType("string").shards(2)
        .files(List.of(
            Manifest.FileEntry.of("model.kiln", 1_234_567, 0x0000abcd),
            Manifest.FileEntry.of("shard-00000.kiln", 3_000_000_000L, 0xDEADBEEF),
            Manifest.FileEntry.of("keys-00000.kiln", 99, -1)))
        .lists(lists).build(build).timings(timings).quality(quality).create();
  }

  /** {@link #sample} with the JSON object {@code quality} as its quality, as read back. */
  static Manifest withQuality(Map<String, Object> quality) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode n =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(sample(null).toJson());
    n.set("quality", JSON.valueToTree(quality));
    return read(JSON.writeValueAsString(n));
  }

  static Manifest read(String json) throws IOException {
    return Manifest.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "v/manifest.json");
  }

  @Test
  void roundTripThroughAStream() throws IOException {
    Manifest m = sample(new Quality(100, Quality.INPUT_SAMPLE, 10, "scalar", 1,
        List.of(new Quality.Point(16, 0.93, 0.1, 0.2, 1000)), null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.write(out);
    Manifest back = Manifest.read(new ByteArrayInputStream(out.toByteArray()), "m");
    assertEquals(m, back);
    assertEquals(IndexSpec.pq(1024, 16), back.spec());
    assertEquals(Metric.COSINE, back.metricValue());
    assertEquals(IdType.STRING, back.idTypeValue());
  }

  /**
   * Issue 14, item 12: a stream is read at most 64 MiB deep. Before, 64 MiB of leading
   * whitespace and then a valid manifest were read whole and accepted.
   */
  @Test
  void streamLongerThanTheCapIsRefused() throws IOException {
    byte[] json = sample(null).toJson().getBytes(StandardCharsets.UTF_8);
    long pad = Manifest.MAX_BYTES;
    java.io.InputStream padded = new java.io.InputStream() {
      long at;

      @Override
      public int read() {
        long i = at++;
        return i < pad ? ' ' : i < pad + json.length ? json[(int) (i - pad)] & 0xff : -1;
      }
    };
    assertEquals("v/manifest.json: has more than 67108864 bytes; a manifest may have at most"
        + " 67108864 bytes", assertCorrupt("v/manifest.json",
            () -> Manifest.read(padded, "v/manifest.json")).getMessage());
    // Just under the cap, the same document reads.
    java.io.InputStream under = new java.io.SequenceInputStream(
        new ByteArrayInputStream(" ".repeat(Manifest.MAX_BYTES - json.length).getBytes(
            StandardCharsets.US_ASCII)), new ByteArrayInputStream(json));
    assertEquals(sample(null), Manifest.read(under, "m"));
  }

  @Test
  void roundTripThroughToJson() throws IOException {
    Manifest m = sample(null);
    assertEquals(m, read(m.toJson()));
  }

  /** The JSON field names and types are the format; FORMAT.md lists exactly these. */
  @Test
  void jsonFieldsAreTheDocumentedOnes() throws IOException {
    JsonNode n = JSON.readTree(sample(new Quality(1, "x", 10, "scalar", 1, List.of(), null))
        .toJson());
    List<String> names = List.of("formatVersion", "version", "createdAt", "index", "metric", "dim",
        "count", "idType", "shards", "files", "lists", "build", "timings", "quality");
    assertEquals(names, iterableToList(n.fieldNames()));
    assertEquals(3, n.get("formatVersion").intValue());
    assertEquals(5_000_000_000L, n.get("count").longValue());
    JsonNode file = n.get("files").get(1);
    assertEquals(List.of("name", "bytes", "crc32c"), iterableToList(file.fieldNames()));
    assertEquals("shard-00000.kiln", file.get("name").textValue());
    assertEquals(3_000_000_000L, file.get("bytes").longValue());
    assertEquals("deadbeef", file.get("crc32c").textValue());
  }

  @Test
  void absentQualityIsOmittedNotNull() {
    String json = sample(null).toJson();
    assertFalse(json.contains("quality"), json);
  }

  @Test
  void fileEntryChecksumIsEightLowerCaseHexDigits() {
    assertEquals("0000abcd", Manifest.FileEntry.of("f", 1, 0xabcd).crc32c());
    assertEquals("ffffffff", Manifest.FileEntry.of("f", 1, -1).crc32c());
    assertEquals(0xDEADBEEF, Manifest.FileEntry.of("f", 1, 0xDEADBEEF).crc32cValue());
  }

  @Test
  void fileLookup() {
    Manifest m = sample(null);
    assertSame(m.files().get(1), m.file("shard-00000.kiln"));
    assertNull(m.file("shard-00001.kiln"));
  }

  @Test
  void unknownFieldsAreIgnored() throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
    n.put("addedByALaterMinorRelease", true);
    assertEquals(sample(null), read(n.toString()));
  }

  @Test
  void futureFormatVersionIsRejected() throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
    n.put("formatVersion", 4);
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "format version 4");
    n.remove("formatVersion");
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "format version 0");
  }

  @Test
  void requiredFieldsMustBePresent() throws IOException {
    for (String field : List.of("index", "metric", "files", "idType")) {
      ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
      n.remove(field);
      assertCorrupt("v/manifest.json", () -> read(n.toString()), "lacks");
    }
  }

  @Test
  void badValuesAreRejected() throws IOException {
    assertBadValue("index", "HNSW16x", "HNSW16x");
    assertBadValue("metric", "manhattan", "manhattan");
    assertBadValue("idType", "uuid", "UUID");
  }

  /**
   * The refine stage lives in the spec string only, so a manifest names it in {@code index}. A
   * loader that does not know a form fails at Manifest.read, before it maps any file: that is
   * how loaders older than the refine stage refuse {@code ,RFlat} (they throw "unknown index
   * type" for it as they do here for {@code Refine(SQ4)}).
   */
  @Test
  void refineSpecsReadBack() throws IOException {
    for (String index : List.of("IVF1024,PQ16,RFlat", "IVF1024,PQ16,Refine(SQ8)")) {
      ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
      n.put("index", index);
      Manifest m = read(n.toString());
      assertEquals(IndexSpec.parse(index), m.spec());
      assertEquals(IndexSpec.pq(1024, 16), m.spec().base());
    }
    CorruptIndexException e = assertCorrupt("v/manifest.json", () -> {
      ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
      n.put("index", "IVF1024,PQ16,Refine(SQ4)");
      read(n.toString());
    });
    assertTrue(e.getMessage().startsWith(
        "v/manifest.json: unknown index type 'IVF1024,PQ16,Refine(SQ4)'"), e.getMessage());
  }

  private static void assertBadValue(String field, String value, String fragment) throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
    n.put(field, value);
    assertCorrupt("v/manifest.json", () -> read(n.toString()), fragment);
  }

  @Test
  void notJsonIsCorrupt() {
    assertCorrupt("v/manifest.json", () -> read("{\"formatVersion\": 1,"), "not a valid manifest");
    assertCorrupt("v/manifest.json", () -> read("KILN"), "not a valid manifest");
  }

  private static List<String> iterableToList(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void metricAndIdTypeAreCaseInsensitive() throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(sample(null).toJson());
    n.put("metric", "IP");
    n.put("idType", "Long");
    Manifest m = read(n.toString());
    assertEquals(Metric.IP, m.metricValue());
    assertEquals(IdType.LONG, m.idTypeValue());
    assertTrue(m.toJson().contains("\"IP\""), "kept as written");
  }

  // ---- found by FormatFuzzTest: each of these once escaped Manifest.read as something other
  // ---- than a CorruptIndexException, or was accepted and failed later in the loader.

  private static ObjectNode sampleTree() throws IOException {
    return (ObjectNode) JSON.readTree(sample(null).toJson());
  }

  private static ObjectNode file(ObjectNode n, int i) {
    return (ObjectNode) n.get("files").get(i);
  }

  @Test
  void fuzzFoundFileEntryWithoutCrc32c() throws IOException {
    // Was accepted; crc32cValue() then threw NumberFormatException in a verifying open.
    ObjectNode n = sampleTree();
    file(n, 0).remove("crc32c");
    assertCorrupt("v/manifest.json", () -> read(n.toString()),
        "lists model.kiln with a bad crc32c 'null'");
  }

  @Test
  void fuzzFoundCrc32cThatIsNotEightLowerCaseHexDigits() throws IOException {
    // "1" (a number copied over the field) parsed as 0x00000001.
    for (String bad : new String[] {"1", "DEADBEEF", "0000abcdx", "-0000001"}) {
      ObjectNode n = sampleTree();
      file(n, 1).put("crc32c", bad);
      assertCorrupt("v/manifest.json", () -> read(n.toString()),
          "lists shard-00000.kiln with a bad crc32c '" + bad + "'");
    }
  }

  @Test
  void fuzzFoundNullFileEntry() throws IOException {
    // Was accepted; Manifest.file(name) then threw NullPointerException in the loader's open.
    ObjectNode n = sampleTree();
    ((com.fasterxml.jackson.databind.node.ArrayNode) n.get("files")).set(1, JSON.nullNode());
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "lists a bad file name null");
  }

  @Test
  void fuzzFoundFileEntryWithoutName() throws IOException {
    ObjectNode n = sampleTree();
    file(n, 0).remove("name");
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "lists a bad file name null");
    for (String bad : new String[] {"", ".", "..", "../model.kiln", "a\\b", "manifest.json"}) {
      file(n, 0).put("name", bad);
      assertCorrupt("v/manifest.json", () -> read(n.toString()),
          "lists a bad file name '" + bad + "'");
    }
  }

  @Test
  void fuzzFoundFileNameThatIsNotText() throws IOException {
    // Bytes that are not UTF-8 (0xF7 starts no character) made a name that Jackson read but did
    // not write back the same; sync would have made a path of it.
    ObjectNode n = sampleTree();
    byte[] json = n.toString().replace("keys-00000.kiln", "keys-00@@@@kiln")
        .getBytes(StandardCharsets.UTF_8);
    String text = new String(json, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("@@@@");
    json[at] = (byte) 0xF7;
    json[at + 1] = (byte) 0x90;
    json[at + 2] = (byte) 0x83;
    json[at + 3] = (byte) 0xAE;
    assertCorrupt("v/manifest.json",
        () -> Manifest.read(new ByteArrayInputStream(json), "v/manifest.json"),
        "lists a bad file name 'keys-00");
  }

  @Test
  void versionThatIsNotAVersionId() throws IOException {
    ObjectNode n = sampleTree();
    n.put("version", "../v1");
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "bad version id '../v1'");
  }

  @Test
  void fuzzFoundFileListedTwice() throws IOException {
    // Was accepted, and file(name) answered with the first of the two entries.
    ObjectNode n = sampleTree();
    ((com.fasterxml.jackson.databind.node.ArrayNode) n.get("files")).add(file(n, 1).deepCopy());
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "lists shard-00000.kiln twice");
  }

  @Test
  void fuzzFoundNegativeFileSize() throws IOException {
    ObjectNode n = sampleTree();
    file(n, 1).put("bytes", -1);
    assertCorrupt("v/manifest.json", () -> read(n.toString()),
        "lists shard-00000.kiln with -1 bytes");
  }

  @Test
  void fuzzFoundDimensionTheIndexCannotHave() throws IOException {
    ObjectNode n = sampleTree();
    n.put("dim", -1);
    assertCorrupt("v/manifest.json", () -> read(n.toString()),
        "bad dim: dimension must be positive, got -1");
    n.put("dim", 127); // IVF1024,PQ16
    assertCorrupt("v/manifest.json", () -> read(n.toString()),
        "bad dim: dimension 127 is not divisible by PQ m=16");
  }

  @Test
  void fuzzFoundBytesThatAreNotText() {
    // Four leading bytes that look like UTF-32 made Jackson throw a CharConversionException,
    // an IOException without the file's name.
    byte[] utf32ish = {0, 0, 0, '{', 0x6d, 0x60, 0x74, 0x56, 0, 0, 0, '}'};
    assertCorrupt("v/manifest.json",
        () -> Manifest.read(new ByteArrayInputStream(utf32ish), "v/manifest.json"),
        "not a valid manifest");
  }

  @Test
  void nullDocumentIsCorrupt() {
    assertCorrupt("v/manifest.json", () -> read("null"), "not a valid manifest");
  }

  @Test
  void fuzzFoundShardCountThatSizesAnArray() throws IOException {
    // Found by LoaderFuzzTest: the loader sizes an array by it, so a bogus count failed open
    // with NegativeArraySizeException or OutOfMemoryError. Now between 1 and the files listed.
    for (int bad : new int[] {0, -1, 4, Integer.MAX_VALUE}) {
      ObjectNode n = sampleTree();
      n.put("shards", bad);
      assertCorrupt("v/manifest.json", () -> read(n.toString()),
          "bad shard count " + bad + " (3 files listed)");
    }
  }

  @Test
  void negativeCountIsCorrupt() throws IOException {
    ObjectNode n = sampleTree();
    n.put("count", -5);
    assertCorrupt("v/manifest.json", () -> read(n.toString()), "bad count -5");
  }
}
