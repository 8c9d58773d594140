package dev.kiln.job.publish;

import dev.kiln.job.config.BuildConfig;
import dev.kiln.errors.KilnException;
import dev.kiln.job.read.InputFiles;
import dev.kiln.format.Metric;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * What a build is built from, recorded in the manifest as {@code build.fingerprint} so that a
 * re-run with the same version id can tell "already built from this" (a no-op) from "something
 * else" (a conflict) without reading the data.
 *
 * <p>It holds every {@link BuildConfig} component except where the index goes ({@code output},
 * {@code versionId}), how the build cleans up ({@code stagingGrace}) and how it measures the result
 * ({@code evaluation}), so a parameter added to
 * the configuration later is part of it without anyone remembering to add it; the input as a
 * fully qualified URI; and a cheap identity of the input data: the number of files Spark reads,
 * their total size, their newest modification time and a SHA-256 of the listing (relative
 * path, size, modification time of each file), all from {@link InputFiles}: the same listing
 * the reader checks Spark's against. Rewriting an input file, even with the same size, changes its
 * modification time and so the fingerprint. All values are strings, so what is read back from
 * JSON compares exactly with what a new build computes.
 */
public final class BuildFingerprint {
  /** The manifest's {@code build} key that holds the fingerprint. */
  public static final String KEY = "fingerprint";

  /** Configuration components that do not change what is built. */
  private static final Set<String> NOT_PART = Set.of("output", "versionId", "stagingGrace", "evaluation");

  private BuildFingerprint() {}

  /**
   * The fingerprint of a build about to run.
   *
   * @throws KilnException (bad input) when the input path does not exist or cannot be listed
   */
  public static Map<String, String> of(BuildConfig cfg, Configuration conf) {
    return of(cfg, InputFiles.list(cfg.input(), conf));
  }

  /** The fingerprint of a build about to read {@code files} (the listing its reader uses). */
  public static Map<String, String> of(BuildConfig cfg, InputFiles files) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("input", files.root().toString());
    out.putAll(inputIdentity(files));
    for (RecordComponent c : BuildConfig.class.getRecordComponents()) {
      String name = c.getName();
      if (NOT_PART.contains(name) || name.equals("input")) {
        continue;
      }
      if (name.equals("efConstruction") && (cfg.spec() == null || !cfg.spec().isGraph())) {
        // Only HNSW{M} builds use it: other fingerprints (and re-runs of versions published
        // before it existed) stay as they were.
        continue;
      }
      try {
        Object v = c.getAccessor().invoke(cfg);
        // Named and written as the manifest and the CLI name them: index IVF4,Flat, metric l2.
        out.put(name.equals("spec") ? "index" : name, v instanceof Metric m ? m.cliName()
            : v == null && name.equals("spec") ? "auto" : String.valueOf(v));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read BuildConfig." + name, e);
      }
    }
    return out;
  }

  /** Files, bytes, newest modification time and a digest of the listing of what Spark reads. */
  static Map<String, String> inputIdentity(InputFiles files) {
    List<String> lines = new ArrayList<>();
    long bytes = 0;
    long newest = 0;
    for (FileStatus f : files.files()) {
      lines.add(files.relative(f) + "\t" + f.getLen() + "\t" + f.getModificationTime() + "\n");
      bytes += f.getLen();
      newest = Math.max(newest, f.getModificationTime());
    }
    lines.sort(null);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String l : lines) {
      sha.update(l.getBytes(StandardCharsets.UTF_8));
    }
    Map<String, String> out = new LinkedHashMap<>();
    out.put("inputFiles", Integer.toString(lines.size()));
    out.put("inputBytes", Long.toString(bytes));
    out.put("inputModified", Instant.ofEpochMilli(newest).toString());
    out.put("inputListing", "sha256:" + HexFormat.of().formatHex(sha.digest()));
    return out;
  }

  /**
   * How {@code recorded} (read from a manifest) differs from {@code now}, as {@code "key: was,
   * now"} items; empty when they are the same.
   */
  public static List<String> differences(Map<?, ?> recorded, Map<String, String> now) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : now.entrySet()) {
      Object was = recorded.get(e.getKey());
      String wasText = was == null ? null : was.toString();
      if (!Objects.equals(wasText, e.getValue())) {
        out.add(e.getKey() + " " + shown(wasText) + ", now " + shown(e.getValue()));
      }
    }
    for (Object k : recorded.keySet()) {
      if (!now.containsKey(String.valueOf(k))) {
        out.add(k + " " + shown(String.valueOf(recorded.get(k))) + ", now " + shown(null));
      }
    }
    return out;
  }

  /** A value for a one-line message: digests cut short. */
  private static String shown(String v) {
    if (v == null) {
      return "(not recorded)";
    }
    return v.startsWith("sha256:") && v.length() > 19 ? v.substring(0, 19) + "..." : v;
  }
}
