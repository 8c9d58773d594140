package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json}: the description of one published version, written last so that its
 * presence marks the version complete. Lists every file with its size and CRC32C, so a copy can
 * be verified without trusting the files themselves.
 *
 * @param formatVersion the binary format version of the files (1)
 * @param version the version id (its directory name)
 * @param createdAt ISO-8601 instant the build published
 * @param index the factory string, e.g. {@code IVF1024,PQ16}
 * @param metric {@code l2}, {@code ip} or {@code cosine}
 * @param dim vector dimension
 * @param count items in the index
 * @param idType {@code long} or {@code string}
 * @param shards number of shard files
 * @param files every file of the version but the manifest
 * @param lists list-size statistics (min, max, mean, empty)
 * @param build how it was built: input, seed, training sample, iterations, Kiln version
 * @param timings seconds per build stage
 * @param quality measured search quality, when the build evaluated it; see {@link Quality}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    int formatVersion,
    String version,
    String createdAt,
    String index,
    String metric,
    int dim,
    long count,
    String idType,
    int shards,
    List<FileEntry> files,
    Map<String, Object> lists,
    Map<String, Object> build,
    Map<String, Double> timings,
    Map<String, Object> quality) {

  /** One file of the version; {@code crc32c} is 8 lower-case hex digits. */
  public record FileEntry(String name, long bytes, String crc32c) {
    public static FileEntry of(String name, long bytes, int crc32c) {
      return new FileEntry(name, bytes, String.format("%08x", crc32c));
    }

    public int crc32cValue() {
      return Integer.parseUnsignedInt(crc32c, 16);
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public IndexSpec spec() {
    return IndexSpec.parse(index);
  }

  public Metric metricValue() {
    return Metric.parse(metric);
  }

  public IdType idTypeValue() {
    return IdType.valueOf(idType.toUpperCase(java.util.Locale.ROOT));
  }

  /** The typed view of {@link #quality}, or null when the build measured no recall curve. */
  public Quality measuredQuality() {
    return Quality.of(quality);
  }

  public FileEntry file(String name) {
    for (FileEntry f : files) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  public void write(OutputStream out) throws IOException {
    JSON.writeValue(out, this);
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a manifest; {@code name} is used in error messages. */
  public static Manifest read(InputStream in, String name) throws IOException {
    Manifest m;
    try {
      m = JSON.readValue(in, Manifest.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CorruptIndexException(name, "not a valid manifest: " + e.getOriginalMessage());
    }
    if (m.formatVersion() != FileFormat.CURRENT_VERSION) {
      throw new CorruptIndexException(
          name, "format version " + m.formatVersion() + " is not supported by this reader");
    }
    if (m.index() == null || m.metric() == null || m.files() == null || m.idType() == null) {
      throw new CorruptIndexException(name, "manifest lacks index, metric, idType or files");
    }
    try {
      m.spec();
      m.metricValue();
      m.idTypeValue();
    } catch (IllegalArgumentException e) {
      throw new CorruptIndexException(name, e.getMessage());
    }
    return m;
  }
}
