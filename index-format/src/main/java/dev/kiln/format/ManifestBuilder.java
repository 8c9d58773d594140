package dev.kiln.format;

import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Manifest}. {@code formatVersion} starts at {@link FileFormat#CURRENT_VERSION};
 * every other field not set stays 0 or null (null ones are absent from the JSON).
 */
public final class ManifestBuilder {
  private int formatVersion = FileFormat.CURRENT_VERSION;
  private String version;
  private String createdAt;
  private String index;
  private String metric;
  private int dim;
  private long count;
  private String idType;
  private int shards;
  private List<Manifest.FileEntry> files;
  private ListStats lists;
  private BuildInfo build;
  private Map<String, Double> timings;
  private Quality quality;

  ManifestBuilder() {}

  /**
   * Sets the binary format version of the files.
   *
   * @param v 1 to 3; the builder starts at {@link FileFormat#CURRENT_VERSION}
   * @return this builder
   */
  public ManifestBuilder formatVersion(int v) {
    formatVersion = v;
    return this;
  }

  /**
   * Sets the version id.
   *
   * @param v the id, the version's directory name; null leaves it out
   * @return this builder
   */
  public ManifestBuilder version(String v) {
    version = v;
    return this;
  }

  /**
   * Sets the instant the build published.
   *
   * @param v an ISO-8601 instant, e.g. {@code 2025-01-01T00:00:00Z}; null leaves it out
   * @return this builder
   */
  public ManifestBuilder createdAt(String v) {
    createdAt = v;
    return this;
  }

  /**
   * Sets the index type.
   *
   * @param v the factory string, e.g. {@code IVF1024,PQ16}; {@link Manifest#read} requires it
   * @return this builder
   */
  public ManifestBuilder index(String v) {
    index = v;
    return this;
  }

  /**
   * Sets the metric.
   *
   * @param v {@code l2}, {@code ip} or {@code cosine}; {@link Manifest#read} requires it
   * @return this builder
   */
  public ManifestBuilder metric(String v) {
    metric = v;
    return this;
  }

  /**
   * Sets the vector dimension.
   *
   * @param v d, at least 1
   * @return this builder
   */
  public ManifestBuilder dim(int v) {
    dim = v;
    return this;
  }

  /**
   * Sets the number of items: the sum of the shards' counts.
   *
   * @param v the count, at least 0
   * @return this builder
   */
  public ManifestBuilder count(long v) {
    count = v;
    return this;
  }

  /**
   * Sets the id type.
   *
   * @param v {@code long} or {@code string}; {@link Manifest#read} requires it
   * @return this builder
   */
  public ManifestBuilder idType(String v) {
    idType = v;
    return this;
  }

  /**
   * Sets the number of shard files.
   *
   * @param v the count, at least 1
   * @return this builder
   */
  public ManifestBuilder shards(int v) {
    shards = v;
    return this;
  }

  /**
   * Sets the files of the version.
   *
   * @param v every file but the manifest, each once; {@link Manifest#read} requires them
   * @return this builder
   */
  public ManifestBuilder files(List<Manifest.FileEntry> v) {
    files = v;
    return this;
  }

  /**
   * Sets the list-size statistics.
   *
   * @param v the statistics; null leaves them out
   * @return this builder
   */
  public ManifestBuilder lists(ListStats v) {
    lists = v;
    return this;
  }

  /**
   * Sets how the version was built.
   *
   * @param v the build's description; null leaves it out
   * @return this builder
   */
  public ManifestBuilder build(BuildInfo v) {
    build = v;
    return this;
  }

  /**
   * Sets the time each build stage took.
   *
   * @param v seconds per stage name, in the order the stages ran; null leaves them out
   * @return this builder
   */
  public ManifestBuilder timings(Map<String, Double> v) {
    timings = v;
    return this;
  }

  /**
   * Sets the measured search quality.
   *
   * @param v the measurements; null when the build did not evaluate
   * @return this builder
   */
  public ManifestBuilder quality(Quality v) {
    quality = v;
    return this;
  }

  /**
   * The manifest of the fields set so far. Not checked: {@link Manifest#read} checks what
   * it reads.
   *
   * @return a new {@link Manifest}
   */
  public Manifest create() {
    return new Manifest(formatVersion, version, createdAt, index, metric, dim, count, idType,
        shards, files, lists, build, timings, quality);
  }
}
