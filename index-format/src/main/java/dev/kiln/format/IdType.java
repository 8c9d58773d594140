package dev.kiln.format;

/** What the build's id column held: a 64-bit integer, or a string kept in a keys file. */
public enum IdType {
  /** int64 ids, stored in the shard files. */
  LONG(0),
  /** String ids, stored in {@code keys-NNNNN.kiln} beside the shards ({@link KeysFile}). */
  STRING(1);

  /** The value stored in the shard file header. */
  public final int code;

  IdType(int code) {
    this.code = code;
  }

  static IdType fromCode(int code, String file) throws CorruptIndexException {
    for (IdType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new CorruptIndexException(file, "unknown id type code " + code);
  }
}
