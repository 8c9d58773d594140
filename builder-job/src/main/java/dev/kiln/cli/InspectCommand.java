package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.job.evaluate.CurveTable;
import dev.kiln.format.HnswSection;
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
    description = "Summarize a published version (an index root follows LATEST).",
    footer = {"", "Example:",
        "  kiln inspect /srv/index --verify"})
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
    HnswSection graph;
    try (KilnIndex index = KilnIndex.open(path, new OpenOptions(verify))) {
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
    System.out.printf("lists     %s%n", lists(m));
    long total = 0;
    for (Manifest.FileEntry f : m.files()) {
      System.out.printf("  %-22s %,14d bytes  crc32c %s%n", f.name(), f.bytes(), f.crc32c());
      total += f.bytes();
    }
    System.out.printf("files     %,d bytes (%.1f MiB)%s%n", total, total / 1048576.0,
        verify ? ", all checksums verified" : "");
    printBuild(m);
    System.out.printf("timings   %s%n", timings(m.timings()));
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
  static String describe(HnswSection g) {
    StringBuilder sizes = new StringBuilder();
    for (int l = 0; l < g.levels(); l++) {
      sizes.append(l == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%,d", g.levelSize(l)));
    }
    return String.format(Locale.ROOT, "HNSW over the centroids: M %d (%d links on level 0), %d levels of %s"
        + " nodes, entry point %d, efConstruction %d", g.m(), g.degree(0), g.levels(), sizes,
        g.entryPoint(), g.efConstruction());
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Build parameters where 0 means "the build chooses" ("auto"; for the budget, "none"). */
  private static final java.util.Set<String> AUTO_WHEN_ZERO =
      java.util.Set.of("dim", "shards", "partitions", "memoryBudget");
  /** The fingerprint's record of the input, shown on its own line. */
  private static final java.util.List<String> INPUT_FIELDS =
      java.util.List.of("input", "inputFiles", "inputBytes", "inputModified", "inputListing");

  /** List sizes in one line: count, then min / mean / p99 / max / empty. */
  private static String lists(Manifest m) {
    Map<String, Object> l = section(m.lists());
    if (l.isEmpty()) {
      return "not recorded";
    }
    StringBuilder sb = new StringBuilder();
    if (l.containsKey("nlist")) {
      sb.append(value(l.remove("nlist"))).append(" lists, items per list:");
    }
    for (String k : new String[] {"min", "mean", "p99", "max"}) {
      Object v = l.remove(k);
      if (v != null) {
        sb.append(' ').append(k).append(' ').append(v instanceof Double d
            ? String.format(Locale.ROOT, "%.1f", d) : value(v));
      }
    }
    return sb.append(l.isEmpty() ? "" : "; " + pairs(l)).toString();
  }

  /**
   * The build: what was asked (the fingerprint's parameters, 0 shown as "auto"), the input it
   * read, and what the build chose and measured, each on its own aligned line.
   */
  private static void printBuild(Manifest m) {
    Map<String, Object> build = section(m.build());
    Object fp = build.remove("fingerprint");
    Map<String, Object> asked = fp instanceof Map<?, ?> f ? cast(f) : new java.util.LinkedHashMap<>();
    Map<String, Object> input = new java.util.LinkedHashMap<>();
    for (String k : INPUT_FIELDS) {
      if (asked.containsKey(k)) {
        input.put(k, asked.remove(k));
      }
    }
    build.remove("input"); // the fingerprint's input says the same, with its size
    for (String k : AUTO_WHEN_ZERO) {
      if ("0".equals(String.valueOf(asked.get(k)))) {
        asked.put(k, k.equals("memoryBudget") ? "none" : "auto");
      }
    }
    Map<String, Object> software = new java.util.LinkedHashMap<>();
    for (String k : new String[] {"kiln", "spark"}) {
      if (build.containsKey(k)) {
        software.put(k, build.remove(k));
      }
    }
    String pad = "          ";
    System.out.printf("build     asked     %s%n", asked.isEmpty() ? "not recorded" : pairs(asked));
    if (!input.isEmpty()) {
      System.out.printf("%sinput     %s%n", pad, pairs(input));
    }
    System.out.printf("%schosen    %s%n", pad, pairs(build));
    if (!software.isEmpty()) {
      System.out.printf("%ssoftware  %s%n", pad, pairs(software));
    }
  }

  /** Stage times in seconds, one decimal, in build order. */
  private static String timings(Map<String, Double> t) {
    if (t == null || t.isEmpty()) {
      return "not recorded";
    }
    StringBuilder sb = new StringBuilder();
    t.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ")
        .append(String.format(Locale.ROOT, "%s %.1f s", k, v)));
    return sb.toString();
  }

  /** "key value, key value": numbers grouped, nested sections in parentheses. */
  private static String pairs(Map<String, Object> map) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : map.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
          .append(value(e.getValue()));
    }
    return sb.toString();
  }

  private static String value(Object v) {
    if (v instanceof Map<?, ?> nested) {
      return nested.isEmpty() ? "none" : "(" + pairs(cast(nested)) + ")";
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return String.format(Locale.ROOT, Math.abs(d) >= 1e6 ? "%.4g" : "%.4f", d);
    }
    String text = String.valueOf(v);
    // Counts read better grouped (the fingerprint holds its numbers as text); a seed or a
    // year-sized number does not, so only from 10,000.
    if (text.matches("\\d{5,18}")) {
      return String.format(Locale.ROOT, "%,d", Long.parseLong(text));
    }
    return text;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return new java.util.LinkedHashMap<>((Map<String, Object>) m);
  }

  /** A manifest section as a map in its JSON field order, absent fields left out. */
  private static Map<String, Object> section(Object section) {
    return section == null ? new java.util.LinkedHashMap<>()
        : cast(JSON.convertValue(section, Map.class));
  }

  /** A manifest section as {@code key value} pairs in its JSON field order. */
  private static String shown(Object section) {
    return section == null ? "none" : pairs(section(section));
  }
}
