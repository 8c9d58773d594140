package dev.kiln.cli;

import dev.kiln.faiss.FaissImporter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "import-faiss",
    description = {
      "Publish a Faiss IVF index file as a new Kiln version (no Spark).",
      "IndexIVFPQ (8-bit codes, by_residual) or IndexIVFFlat, in an IndexIDMap or not, with",
      "a flat L2 or IP quantizer or an IndexHNSWFlat over one, lists inline. Codes and",
      "codebooks are kept as they are, so Kiln scores as Faiss does."
    },
    footer = {"", "Example:",
        "  kiln import-faiss --in items.faissindex --output /srv/index --version v1"})
final class ImportFaissCommand implements Callable<Integer> {
  // Not mixinStandardHelpOptions: its -V/--version clashes with this command's --version (the
  // version id), and picocli then dropped --help too ("Missing required options", exit 2).
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--in", required = true, paramLabel = "FILE", description = "The Faiss index file (faiss.write_index).")
  Path in;

  @Option(names = "--output", required = true, paramLabel = "ROOT", description = "Index root (any Hadoop URI).")
  String output;

  @Option(names = "--version", description = "Version id (default: the current time, yyyyMMdd-HHmmss).")
  String version;

  @Option(names = "--shards", defaultValue = "0", description = "Shard files (default: about one per 512 MiB).")
  int shards;

  @Option(names = "--staging-grace", defaultValue = "1h", converter = BuildCommand.DurationConverter.class,
      description = "Remove other builds' staging directories idle this long (default: ${DEFAULT-VALUE}).")
  Duration stagingGrace;

  @Override
  public Integer call() throws Exception {
    String v = version != null ? version
        : LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    FaissImporter.Result r = FaissImporter.run(new Configuration(), in, output, v, shards,
        stagingGrace);
    if (r.alreadyPublished()) {
      System.out.printf(Locale.ROOT, "already published %s from the same file: %,d items, %s,"
          + " metric %s; nothing to do%n", r.versionDir(), r.manifest().count(),
          r.manifest().index(), r.manifest().metric());
    } else {
      System.out.printf(Locale.ROOT, "published %s from %s (%s): %,d items, %s, metric %s,"
          + " %d shard(s) in %.1f s%n", r.versionDir(), in, r.faissType(), r.manifest().count(),
          r.manifest().index(), r.manifest().metric(), r.manifest().shards(), r.seconds());
    }
    return 0;
  }
}
