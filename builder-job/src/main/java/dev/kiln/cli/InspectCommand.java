package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.job.evaluate.CurveTable;
import dev.kiln.format.CoarseGraph;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Summarize a published version (an index root follows LATEST).")
final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ROOT_OR_VERSION", description = "Index root or version directory.")
  Path path;

  @Option(names = "--verify", description = "Also open it and verify every file's CRC32C.")
  boolean verify;

  @Option(names = "--json", description = "Print the whole manifest as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Manifest m;
    Path dir;
    CoarseGraph graph;
    try (KilnIndex index = KilnIndex.open(path, new KilnIndex.OpenOptions(verify))) {
      m = index.manifest();
      dir = index.versionDir();
      graph = index.model().graph();
    }
    if (json) {
      System.out.println(m.toJson());
      return 0;
    }
    System.out.printf("version   %s (%s)%n", m.version(), dir);
    System.out.printf("created   %s%n", m.createdAt());
    System.out.printf("index     %s, metric %s, dim %d%n", m.index(), m.metric(), m.dim());
    if (graph != null) {
      System.out.printf("graph     %s%n", describe(graph));
    }
    System.out.printf("items     %,d (%s ids) in %d shard(s)%n", m.count(), m.idType(), m.shards());
    System.out.printf("lists     %s%n", shown(m.lists()));
    long total = 0;
    for (Manifest.FileEntry f : m.files()) {
      System.out.printf("  %-22s %,14d bytes  crc32c %s%n", f.name(), f.bytes(), f.crc32c());
      total += f.bytes();
    }
    System.out.printf("files     %,d bytes%s%n", total, verify ? ", all checksums verified" : "");
    System.out.printf("build     %s%n", shown(m.build()));
    System.out.printf("timings   %s%n", m.timings());
    Quality q = m.measuredQuality();
    if (q != null) {
      System.out.print("quality   " + CurveTable.format(q));
    } else if (m.quality() != null) {
      System.out.printf("quality   %s%n", shown(m.quality()));
    } else {
      System.out.println("quality   not measured (built with --eval-queries 0)");
    }
    return 0;
  }

  /** The coarse graph in one line: its shape, as FORMAT.md names the fields. */
  static String describe(CoarseGraph g) {
    StringBuilder sizes = new StringBuilder();
    for (int l = 0; l < g.levels(); l++) {
      sizes.append(l == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%,d", g.levelSize(l)));
    }
    return String.format(Locale.ROOT, "HNSW over the centroids: M %d (%d links on level 0), %d levels of %s"
        + " nodes, entry point %d, efConstruction %d", g.m(), g.degree(0), g.levels(), sizes,
        g.entryPoint(), g.efConstruction());
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A manifest section as {@code {key=value, ...}} in its JSON field order, absent fields left out. */
  private static String shown(Object section) {
    return String.valueOf(section == null ? null : JSON.convertValue(section, Map.class));
  }
}
