package dev.kiln.cli;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.format.IndexLayout;
import dev.kiln.store.VersionCopy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln sync}: copies one published version from any Hadoop file system to a local index
 * root, so that the mmap loader can serve it. No Spark.
 *
 * <p>The version is the source root's {@code LATEST}, or {@code --version}, or the version
 * directory given itself; {@link VersionCopy} copies and verifies it. This class holds the
 * options and the output.
 */
@Command(
    name = "sync",
    description = {
      "Copy a published version from a Hadoop file system to a local index root.",
      "The source is any Hadoop URI (hdfs://, file://, s3a://); every file is checked",
      "against the manifest (size, CRC32C), so the loader can map it. The version goes to",
      "DIR/versions/ID; DIR/LATEST then names it. A version already there that verifies",
      "is not copied again."
    },
    footer = {"", "Example:",
        "  kiln sync --from hdfs://nn:8020/indexes/items --to /srv/index"})
final class SyncCommand implements Callable<Integer> {
  // Not mixinStandardHelpOptions: its -V/--version clashes with this command's --version (the
  // version id), and picocli then dropped --help too ("Missing required options", exit 2).
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--from", required = true, paramLabel = "URI",
      description = "Index root (follows its LATEST) or version directory, any Hadoop URI.")
  String from;

  @Option(names = "--to", required = true, paramLabel = "DIR",
      description = "Local index root to copy into (created if missing).")
  String to;

  @Option(names = "--version", paramLabel = "ID",
      description = "Version to copy from the root (default: the root's LATEST).")
  String version;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = "A Hadoop configuration property for the source file system (repeatable).")
  Map<String, String> hadoopConf = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    Configuration conf = new Configuration();
    hadoopConf.forEach(conf::set);
    VersionCopy.Result r = sync(conf, from, localDir(to), version);
    if (r.copied()) {
      System.out.printf(Locale.ROOT,
          "synced %s from %s to %s: %d files, %,d bytes, checksums verified; LATEST = %s%n",
          r.versionId(), r.source(), r.versionDir(), r.files(), r.bytes(), r.versionId());
    } else {
      System.out.printf(Locale.ROOT,
          "%s is already at %s and verifies: nothing copied; LATEST = %s%n",
          r.versionId(), r.versionDir(), r.versionId());
    }
    return 0;
  }

  /** {@code --to} is a local path or a file: URI. */
  static java.nio.file.Path localDir(String to) {
    if (to.startsWith("file:")) {
      return java.nio.file.Path.of(URI.create(to));
    }
    if (to.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
      throw new InvalidOptionException("--to must be a local directory, not " + to
          + " (the loader maps local files)");
    }
    return java.nio.file.Path.of(to);
  }

  /**
   * Checks the options and the target, then copies (see {@link VersionCopy#sync}).
   *
   * @param requestedVersion the version to take from a root, or null for its LATEST
   */
  static VersionCopy.Result sync(Configuration conf, String from, java.nio.file.Path to,
      String requestedVersion) throws IOException {
    if (requestedVersion != null) {
      IndexLayout.checkVersionId(requestedVersion);
    }
    java.nio.file.Path root = to.toAbsolutePath().normalize();
    OutputPaths.checkIndexRoot("--to", root);
    Files.createDirectories(root);
    return VersionCopy.sync(conf, from, root, requestedVersion);
  }
}
