package dev.kiln.format;

/** What the build's id column held: a 64-bit integer, or a string kept in a keys file. */
public enum IdType {
  LONG(0),
  STRING(1);

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
