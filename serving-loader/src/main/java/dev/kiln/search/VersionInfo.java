package dev.kiln.search;

import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import java.nio.file.Path;

/**
 * What an opened index version is, as its manifest and model say: the accessors a caller reads
 * to check queries against the index or to report on it. {@link KilnIndex} implements it; every
 * accessor but the three it provides is derived from them.
 */
public interface VersionInfo {
  /**
   * This version's manifest, as read at open (or as passed to
   * {@link KilnIndex#open(Path, Manifest, OpenOptions)}).
   *
   * @return the manifest: id, index type, metric, dimension, count, files, measured quality
   */
  Manifest manifest();

  /**
   * The version's centroids and codebooks, shared: read them, never modify them. A caller that
   * keeps vectors of its own next to the index (fresh items) assigns them to lists with it.
   *
   * @return the model, the same instance on every call
   */
  IndexModel model();

  /**
   * The directory of the version opened: {@code ROOT/versions/ID} when opened through a root.
   *
   * @return the version directory
   */
  Path versionDir();

  /**
   * This version's id, as its manifest records it.
   *
   * @return the version id
   */
  default String version() {
    return manifest().version();
  }

  /**
   * Components per vector: every query must have exactly this many.
   *
   * @return the dimension
   */
  default int dim() {
    return model().dim();
  }

  /**
   * The metric the index was built with; it decides what {@link Neighbors#scores()} hold.
   *
   * @return l2, ip or cosine
   */
  default Metric metric() {
    return model().metric();
  }

  /**
   * The index type, with its refine stage if it has one.
   *
   * @return the spec, as in the manifest (say {@code IVF1024,PQ16,RFlat})
   */
  default IndexSpec spec() {
    return manifest().spec();
  }

  /**
   * How many items this version holds, over all its shards (the manifest's count).
   *
   * @return the item count
   */
  default long count() {
    return manifest().count();
  }

  /**
   * The kind of id: int64 (results read {@link Neighbors#ids()}, filters use
   * {@link IdFilter#ids}) or string ({@link Neighbors#keys()}, {@link IdFilter#keys}).
   *
   * @return the id type
   */
  default IdType idType() {
    return manifest().idTypeValue();
  }
}
