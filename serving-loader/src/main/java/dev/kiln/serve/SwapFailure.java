package dev.kiln.serve;

import java.time.Instant;

/**
 * A version the handle tried and refused to serve: it failed to open or verify, or does not fit
 * the one being served. The previous version goes on serving.
 *
 * @param version the version id tried (as LATEST named it, or as passed to swapTo)
 * @param message one line naming the file and the problem
 * @param at when the attempt failed
 */
public record SwapFailure(String version, String message, Instant at) {
  @Override
  public String toString() {
    return "version " + version + " refused at " + at + ": " + message;
  }
}
