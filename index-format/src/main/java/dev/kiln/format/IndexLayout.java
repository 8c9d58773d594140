package dev.kiln.format;

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
 */
public final class IndexLayout {
  public static final String LATEST = "LATEST";
  public static final String VERSIONS = "versions";
  public static final String MANIFEST = "manifest.json";
  /** Where a build stages its files before publishing; never read by the loader. */
  public static final String STAGING = "_staging";

  private static final Pattern VERSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private IndexLayout() {}

  /** Version ids become directory names: letters, digits, '.', '_', '-', not starting with a dot. */
  public static String checkVersionId(String id) {
    if (id == null || !VERSION_ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "bad version id '" + id + "': use letters, digits, '.', '_' and '-' (at most 128)");
    }
    return id;
  }

  public static String versionDir(String versionId) {
    return VERSIONS + "/" + checkVersionId(versionId);
  }
}
