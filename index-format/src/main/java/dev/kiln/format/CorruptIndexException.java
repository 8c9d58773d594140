package dev.kiln.format;

import java.io.IOException;

/**
 * A file that is not a valid Kiln file of a version this reader knows: wrong magic, unknown
 * version, impossible sizes, truncation or a checksum mismatch. The message names the file.
 */
public class CorruptIndexException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorruptIndexException(String file, String problem) {
    super(file + ": " + problem);
  }
}
