package dev.kiln.format;

import java.io.IOException;

/**
 * A file that is not a valid Kiln file of a version this reader knows: wrong magic, unknown
 * version, impossible sizes, truncation or a checksum mismatch. The message names the file.
 */
public class CorruptIndexException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception with the message {@code file + ": " + problem}.
   *
   * @param file the file's name or path, as the reader was given it
   * @param problem what is wrong with it, e.g. {@code header truncated}
   */
  public CorruptIndexException(String file, String problem) {
    super(file + ": " + problem);
  }
}
