package dev.kiln.job;

import dev.kiln.format.Manifest;

/**
 * What a build published; or, for a re-run of one that had published the same version from the
 * same input and parameters ({@code alreadyPublished}), what it found, with what it did about
 * {@code LATEST} in {@code latest}.
 */
public record BuildResult(
    String versionDir, Manifest manifest, double seconds, boolean alreadyPublished, String latest) {

  /** A version this build published. */
  public BuildResult(String versionDir, Manifest manifest, double seconds) {
    this(versionDir, manifest, seconds, false, null);
  }
}
