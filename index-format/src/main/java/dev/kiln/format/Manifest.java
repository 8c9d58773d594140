package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

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

  /**
   * The largest manifest a reader accepts, 64 MiB (as {@code kiln sync}): a version of 100,000
   * shards lists about 10 MB. A larger file is refused before it is parsed.
   */
  public static final int MAX_BYTES = 64 << 20;

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

  /**
   * Reads a manifest and checks what the loader relies on before it trusts any other file: the
   * format version; {@code index}, {@code metric} and {@code idType} parse; {@code dim} fits the
   * index (at least 1, a multiple of PQ's M); {@code count >= 0}; {@code shards} between 1 and
   * the number of files listed; each file listed once, by a plain name (letters, digits, '.',
   * '_', '-'; not starting with a dot), with a size {@code >= 0} and a {@code crc32c} of 8
   * lower-case hex digits; a {@code version}, if there is one, is a valid version id. {@code
   * name} is used in error messages.
   *
   * @throws CorruptIndexException naming {@code name} and the problem, for any document that is
   *     not such a manifest (not JSON, not text, the wrong shape or a bad value, more than
   *     {@link #MAX_BYTES})
   */
  public static Manifest read(InputStream in, String name) throws IOException {
    Manifest m;
    try {
      m = JSON.readValue(FileChecks.capped(in, MAX_BYTES, name, "a manifest"), Manifest.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CorruptIndexException(name, "not a valid manifest: " + e.getOriginalMessage());
    } catch (CharConversionException e) {
      // Jackson's encoding detection took the bytes for UTF-32 and found no such character.
      throw new CorruptIndexException(name, "not a valid manifest: " + e.getMessage());
    }
    if (m == null) {
      throw new CorruptIndexException(name, "not a valid manifest: the document is null");
    }
    if (m.formatVersion() != FileFormat.CURRENT_VERSION) {
      throw new CorruptIndexException(name, FileFormat.unsupportedVersion(m.formatVersion()));
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
    try {
      m.spec().checkDimension(m.dim());
    } catch (IllegalArgumentException e) {
      throw new CorruptIndexException(name, "bad dim: " + e.getMessage());
    }
    if (m.version() != null) {
      try {
        IndexLayout.checkVersionId(m.version());
      } catch (IllegalArgumentException e) {
        throw new CorruptIndexException(name, e.getMessage());
      }
    }
    if (m.count() < 0) {
      throw new CorruptIndexException(name, "bad count " + m.count());
    }
    // Bounded by the files listed, so a bogus count cannot size the loader's shard array.
    if (m.shards() < 1 || m.shards() > m.files().size()) {
      throw new CorruptIndexException(
          name, "bad shard count " + m.shards() + " (" + m.files().size() + " files listed)");
    }
    checkFiles(m.files(), name);
    return m;
  }

  /**
   * Reads and checks manifest file {@code file} as {@link #read(InputStream, String)} does, after
   * checking it is a regular file (a FIFO would block the read) of at most {@link #MAX_BYTES}.
   *
   * @throws java.nio.file.NoSuchFileException when it does not exist
   */
  public static Manifest read(Path file) throws IOException {
    long size = FileChecks.requireRegularFile(file).size();
    if (size > MAX_BYTES) {
      throw FileChecks.tooLarge(file.toString(), size + " bytes", MAX_BYTES, "a manifest");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  private static final Pattern CRC32C = Pattern.compile("[0-9a-f]{8}");
  /** A plain file name in the version directory, as Kiln names its files. */
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}");

  private static void checkFiles(List<FileEntry> files, String name) throws CorruptIndexException {
    Set<String> seen = new HashSet<>();
    for (FileEntry f : files) {
      String n = f == null ? null : f.name();
      if (n == null || !FILE_NAME.matcher(n).matches() || n.equals(IndexLayout.MANIFEST)) {
        throw new CorruptIndexException(
            name, "lists a bad file name " + (n == null ? null : "'" + n + "'"));
      }
      if (!seen.add(n)) {
        throw new CorruptIndexException(name, "lists " + n + " twice");
      }
      if (f.bytes() < 0) {
        throw new CorruptIndexException(name, "lists " + n + " with " + f.bytes() + " bytes");
      }
      if (f.crc32c() == null || !CRC32C.matcher(f.crc32c()).matches()) {
        throw new CorruptIndexException(
            name, "lists " + n + " with a bad crc32c '" + f.crc32c() + "'");
      }
    }
  }
}
