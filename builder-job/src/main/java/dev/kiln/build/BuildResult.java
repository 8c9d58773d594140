package dev.kiln.build;

import dev.kiln.format.Manifest;

/** What a successful build published. */
public record BuildResult(String versionDir, Manifest manifest, double seconds) {}
