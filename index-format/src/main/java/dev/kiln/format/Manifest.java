package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
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
 * <p>Build one with {@link #builder()} (or {@link #toBuilder()} to change a few fields). The
 * JSON field order is the record's component order, and {@link ListStats} and {@link BuildInfo}
 * fix theirs: a manifest writes the same bytes as when these sections were untyped maps. Unknown
 * fields are ignored when reading, at the top level and inside {@code lists} and {@code build}.
 *
 * @param formatVersion the binary format version of the files: 1 to 3 (as written,
 *     {@link FileFormat#CURRENT_VERSION})
 * @param version the version id (its directory name)
 * @param createdAt ISO-8601 instant the build published
 * @param index the factory string, e.g. {@code IVF1024,PQ16}
 * @param metric {@code l2}, {@code ip} or {@code cosine}
 * @param dim vector dimension
 * @param count items in the index
 * @param idType {@code long} or {@code string}
 * @param shards number of shard files
 * @param files every file of the version but the manifest
 * @param lists list-size statistics; see {@link ListStats}
 * @param build how it was built; see {@link BuildInfo}
 * @param timings seconds per build stage, in the order the stages ran
 * @param quality measured search quality, when the build evaluated it; see {@link Quality}. A
 *     {@code quality} object that does not read as one (the wrong shape) reads as null rather
 *     than failing the manifest, as the object is informative
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
    ListStats lists,
    BuildInfo build,
    Map<String, Double> timings,
    @JsonDeserialize(using = Quality.Lenient.class) Quality quality) {

  /**
   * A builder with {@code formatVersion} at {@link FileFormat#CURRENT_VERSION} and every other
   * field unset.
   *
   * @return a new builder
   */
  public static ManifestBuilder builder() {
    return new ManifestBuilder();
  }

  /**
   * A builder holding this manifest's fields, to change some of them.
   *
   * @return a new builder
   */
  public ManifestBuilder toBuilder() {
    return new ManifestBuilder().formatVersion(formatVersion).version(version).createdAt(createdAt)
        .index(index).metric(metric).dim(dim).count(count).idType(idType).shards(shards)
        .files(files).lists(lists).build(build).timings(timings).quality(quality);
  }

  /**
   * One file of the version; {@code crc32c} is 8 lower-case hex digits.
   *
   * @param name the file's name in the version directory, e.g. {@code shard-00000.kiln}
   * @param bytes the file's length in bytes
   * @param crc32c the CRC32C stored in the file's footer, as 8 lower-case hex digits
   */
  public record FileEntry(String name, long bytes, String crc32c) {
    /**
     * An entry whose checksum is given as an int.
     *
     * @param name the file's name in the version directory
     * @param bytes the file's length in bytes
     * @param crc32c the CRC32C, as {@link FormatOutput#checksum()} returns it
     * @return the entry, its {@code crc32c} formatted as 8 lower-case hex digits
     */
    public static FileEntry of(String name, long bytes, int crc32c) {
      return new FileEntry(name, bytes, String.format("%08x", crc32c));
    }

    /**
     * The checksum as an int, to compare with {@link FileFormat#storedChecksum}.
     *
     * @return {@code crc32c} parsed as an unsigned hex number
     * @throws NumberFormatException when it is not one ({@link Manifest#read} refuses such
     *     entries)
     */
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

  /**
   * The index type, parsed.
   *
   * @return {@link IndexSpec#parse}{@code (index)}
   * @throws IllegalArgumentException when {@code index} does not parse (never for a manifest
   *     from {@link #read})
   */
  public IndexSpec spec() {
    return IndexSpec.parse(index);
  }

  /**
   * The metric, parsed.
   *
   * @return {@link Metric#parse}{@code (metric)}
   * @throws IllegalArgumentException when {@code metric} names no metric (never for a
   *     manifest from {@link #read})
   */
  public Metric metricValue() {
    return Metric.parse(metric);
  }

  /**
   * The id type, parsed ignoring case.
   *
   * @return {@link IdType#LONG} or {@link IdType#STRING}
   * @throws IllegalArgumentException when {@code idType} names no id type (never for a
   *     manifest from {@link #read})
   */
  public IdType idTypeValue() {
    return IdType.valueOf(idType.toUpperCase(java.util.Locale.ROOT));
  }

  /**
   * {@link #quality} when its recall curve can steer a search (see {@link Quality#steerable}), or
   * null when the build measured no recall curve.
   *
   * @return the quality, or null
   */
  public Quality measuredQuality() {
    return quality == null ? null : quality.steerable();
  }

  /**
   * The entry of one file.
   *
   * @param name the file's name, e.g. {@code model.kiln}
   * @return its entry, or null when {@code files} does not list it
   */
  public FileEntry file(String name) {
    for (FileEntry f : files) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /**
   * Writes this manifest as pretty-printed UTF-8 JSON, null fields left out.
   *
   * @param out where to write; closed afterwards (Jackson's default)
   * @throws IOException when writing fails
   */
  public void write(OutputStream out) throws IOException {
    JSON.writeValue(out, this);
  }

  /**
   * This manifest as {@link #write} writes it.
   *
   * @return the JSON text
   */
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
   * @param in the document; closed once read (Jackson's default)
   * @param name the manifest's name or path, for messages
   * @return the manifest, checked
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
    if (!FileFormat.readable(m.formatVersion())) {
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
   * @param file the manifest file
   * @return the manifest, checked
   * @throws java.nio.file.NoSuchFileException when it does not exist
   * @throws CorruptIndexException naming the file when it is not a regular file, is larger
   *     than {@link #MAX_BYTES} or is not a valid manifest
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
