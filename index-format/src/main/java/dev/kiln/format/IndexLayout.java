package dev.kiln.format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Names of things in an index root. A root holds immutable versions and a pointer to the
 * current one:
 *
 * <pre>
 * ROOT/LATEST                       text: the current version id
 * ROOT/versions/ID/manifest.json    written last: its presence marks a complete version
 * ROOT/versions/ID/model.kiln
 * ROOT/versions/ID/shard-NNNNN.kiln
 * ROOT/versions/ID/keys-NNNNN.kiln  only with string ids
 * </pre>
 *
 * Readers open only regular files ({@link FileChecks}) and cap what they read of LATEST ({@link
 * #MAX_LATEST_BYTES}) and of a manifest ({@link Manifest#MAX_BYTES}).
 */
public final class IndexLayout {
  /** The root's file that names the current version. */
  public static final String LATEST = "LATEST";
  /** The root's directory of versions, one directory per version id. */
  public static final String VERSIONS = "versions";
  /** The version's file written last, so that its presence marks the version complete. */
  public static final String MANIFEST = "manifest.json";
  /** Where a build stages its files before publishing; never read by the loader. */
  public static final String STAGING = "_staging";

  /** The most a LATEST file may hold, as {@code kiln sync} reads it: an id is 128 bytes at most. */
  public static final int MAX_LATEST_BYTES = 4096;

  private static final Pattern VERSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private IndexLayout() {}

  /**
   * Version ids become directory names: 1 to 128 letters, digits, '.', '_', '-', not starting
   * with '.', '_' or '-'.
   *
   * @param id the id to check, possibly null
   * @return {@code id}, unchanged
   * @throws IllegalArgumentException when {@code id} is null or not such an id
   */
  public static String checkVersionId(String id) {
    if (id == null || !VERSION_ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "bad version id '" + id + "': use letters, digits, '.', '_' and '-' (at most 128)");
    }
    return id;
  }

  /**
   * The version id that {@code latest} (a root's LATEST file) names, surrounding whitespace
   * trimmed.
   *
   * @param latest the path of the root's LATEST file
   * @return the version id
   * @throws java.nio.file.NoSuchFileException when there is no such file
   * @throws CorruptIndexException naming the file when it is not a regular file, holds more than
   *     {@link #MAX_LATEST_BYTES}, or not a valid version id
   */
  public static String readLatest(Path latest) throws IOException {
    byte[] b = FileChecks.readCapped(latest, MAX_LATEST_BYTES, "a LATEST file");
    String id = new String(b, StandardCharsets.UTF_8).trim();
    try {
      return checkVersionId(id);
    } catch (IllegalArgumentException e) {
      throw new CorruptIndexException(latest.toString(), e.getMessage());
    }
  }

  /**
   * A version's directory, relative to the root.
   *
   * @param versionId the version id
   * @return {@code versions/ID}
   * @throws IllegalArgumentException when {@code versionId} is not a valid id
   */
  public static String versionDir(String versionId) {
    return VERSIONS + "/" + checkVersionId(versionId);
  }
}
