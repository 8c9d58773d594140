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

@Command(name = "import-faiss", mixinStandardHelpOptions = true,
    description = {
      "Publish a Faiss IndexIVFPQ (8-bit codes, by_residual) or IndexIVFFlat file, with an",
      "IndexIDMap or not, flat L2 or IP quantizer, lists inline, as a new Kiln version.",
      "Codes and codebooks are kept as they are, so Kiln scores as Faiss does. No Spark."
    })
final class ImportFaissCommand implements Callable<Integer> {
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
