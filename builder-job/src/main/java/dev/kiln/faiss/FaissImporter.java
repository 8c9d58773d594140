package dev.kiln.faiss;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.config.KilnVersion;
import dev.kiln.job.publish.OutputRoot;
import dev.kiln.job.publish.Publisher;
import dev.kiln.job.report.BuildReport;
import dev.kiln.job.write.ListCounts;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.BuildInfo;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardFileWriter;
import dev.kiln.format.ShardHash;
import dev.kiln.quantize.IndexModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a Faiss {@code IndexIVFPQ} / {@code IndexIVFFlat} file (see {@link FaissIndexReader})
 * as a Kiln version, through the same {@link Publisher} as a build: staged, manifest last,
 * renamed into {@code versions/ID}, then {@code LATEST}.
 *
 * <p>The model is the Faiss model as is: its coarse centroids, its PQ codebooks (with Kiln's
 * precomputed L2 table derived from them for l2) and every code unchanged, so Kiln scores exactly
 * what Faiss scores. Faiss's metric L2 becomes {@code l2}, inner product {@code ip}. Ids are the
 * Faiss ids (through the IndexIDMap when there is one); items go to shards by
 * {@link ShardHash} as in a build, and within a shard's list in ascending id order, as Kiln's
 * format requires (an id twice in one list is rejected).
 *
 * <p>The file is parsed and checked before anything is staged, so a file Kiln cannot import
 * publishes nothing. Re-running an import with the same version id and the same file (path,
 * size, modification time) and shard count is a no-op, as for a build.
 */
public final class FaissImporter {
  private static final Logger LOG = LoggerFactory.getLogger(FaissImporter.class);

  /** What an import did. */
  public record Result(Path versionDir, Manifest manifest, boolean alreadyPublished,
      String faissType, double seconds) {}

  private FaissImporter() {}

  /**
   * @param shards shard files to write, or 0 for about one per 512 MiB (as a build)
   */
  public static Result run(Configuration conf, Path file, String output, String versionId,
      int shards, Duration stagingGrace) throws IOException {
    long t0 = System.nanoTime();
    IndexLayout.checkVersionId(versionId);
    if (shards < 0) {
      throw new InvalidOptionException("--shards must be at least 1 (or 0 for automatic), got " + shards);
    }
    OutputRoot.check(conf, output); // a bad --output fails before the file is read
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(file + ": " + (Files.exists(file) ? "not a regular file"
          : "no such file"));
    }
    try (FaissInput in = new FaissInput(file)) {
      FaissIvf ivf = FaissIndexReader.read(in);
      if (shards > Math.max(1, ivf.ntotal())) {
        // Empty shard files by the thousand, and (shards x nlist) counts that overflow.
        throw new InvalidOptionException("--shards " + shards + " is more than the " + ivf.ntotal()
            + " vectors in " + file + ": give at most " + Math.max(1, ivf.ntotal()));
      }
      int shardCount = shards > 0 ? shards : autoShards(ivf.ntotal(), ivf.codeSize());

      Map<String, String> fingerprint = new LinkedHashMap<>();
      fingerprint.put("source", "faiss");
      fingerprint.put("input", file.toAbsolutePath().normalize().toString());
      fingerprint.put("inputBytes", Long.toString(in.size()));
      fingerprint.put("inputModified", Long.toString(Files.getLastModifiedTime(file).toMillis()));
      fingerprint.put("shards", Integer.toString(shardCount));
      Publisher.Published done = Publisher.findPublished(conf, output, versionId, fingerprint);
      if (done != null) {
        LOG.info("{} is already published from the same file; {}", done.versionDir(),
            done.latest());
        return new Result(Path.of(done.versionDir().toUri().getPath()), done.manifest(), true,
            ivf.typeName(), seconds(t0));
      }

      long[] counts = count(in, ivf, shardCount);
      checkShardSizes(in, ivf, counts, shardCount);
      Publisher pub = Publisher.prepare(conf, output, versionId, stagingGrace);
      try {
        Manifest manifest = write(in, ivf, pub, counts, shardCount, versionId, fingerprint,
            file, t0);
        BuildReport.writeTo(pub::writeUnlisted, manifest, listSizes(counts, ivf.nlist(), shardCount));
        pub.publish(manifest);
        LOG.info("published {} from {} ({}, {} items, {} shards)", pub.versionDir(), file,
            ivf.typeName(), ivf.ntotal(), shardCount);
        return new Result(Path.of(pub.versionDir().toUri().getPath()), manifest, false,
            ivf.typeName(), seconds(t0));
      } catch (IOException | RuntimeException | Error e) {
        pub.abort();
        throw e;
      }
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such file");
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** As a build: enough shards that each stays near 512 MiB. */
  static int autoShards(long n, int codeSize) {
    long bytes = n * (codeSize + 8L);
    long target = BuildConfig.TARGET_SHARD_BYTES;
    return (int) Math.max(1, (bytes + target - 1) / target);
  }

  /**
   * Items per (shard, list): one pass over the lists when there is more than one shard, or when
   * the lists hold raw vectors (IVF-Flat), which are checked here, before anything is staged,
   * for NaN and infinite values, as a build checks its rows.
   */
  private static long[] count(FaissInput in, FaissIvf ivf, int shards) throws IOException {
    int nlist = ivf.nlist();
    if ((long) shards * nlist > Integer.MAX_VALUE - 8) {
      throw new InvalidOptionException("--shards " + shards + " x " + nlist + " lists in " + in.name()
          + " is more (shard, list) pairs than Kiln can count: give fewer --shards");
    }
    long[] counts = new long[shards * nlist];
    boolean flat = ivf.spec().encoding() == IndexSpec.Encoding.FLAT;
    if (shards == 1 && !flat) {
      System.arraycopy(ivf.listSizes(), 0, counts, 0, nlist);
      return counts;
    }
    Lists lists = new Lists(ivf);
    java.nio.FloatBuffer vectors = java.nio.ByteBuffer.wrap(lists.codes)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int d = ivf.dim();
    for (int l = 0; l < nlist; l++) {
      int n = lists.read(in, l);
      for (int i = 0; i < n; i++) {
        counts[ShardHash.shardOf(lists.ids[i], shards) * nlist + l]++;
      }
      for (int j = 0; flat && j < n * d; j++) {
        float v = vectors.get(j);
        if (!Float.isFinite(v)) {
          throw in.error("list " + l + " holds a vector with " + v + " at component " + j % d
              + " (id " + lists.ids[j / d] + "); Kiln needs finite values");
        }
      }
    }
    return counts;
  }

  /** A shard file must stay under 2 GiB (the loader maps each as one buffer). */
  private static void checkShardSizes(FaissInput in, FaissIvf ivf, long[] counts, int shards) {
    int nlist = ivf.nlist();
    for (int s = 0; s < shards; s++) {
      long bytes = 64 + 24L * nlist + 16;
      for (int l = 0; l < nlist; l++) {
        bytes += 64 + counts[s * nlist + l] * (ivf.codeSize() + 8L) + 8;
      }
      if (bytes >= Integer.MAX_VALUE) {
        throw new InvalidOptionException(in.name() + ": shard " + s + " of " + shards + " would hold "
            + bytes + " bytes; Kiln's shards must be under 2 GiB: pass more --shards");
      }
    }
  }

  /** Items per list over all shards; {@code counts} is shard-major. */
  private static int[] listSizes(long[] counts, int nlist, int shards) {
    int[] out = new int[nlist];
    for (int s = 0; s < shards; s++) {
      for (int l = 0; l < nlist; l++) {
        out[l] = (int) Math.min(Integer.MAX_VALUE, out[l] + counts[s * nlist + l]);
      }
    }
    return out;
  }

  private static Manifest write(FaissInput in, FaissIvf ivf, Publisher pub, long[] counts,
      int shards, String versionId, Map<String, String> fingerprint, Path file, long t0)
      throws IOException {
    IndexSpec spec = ivf.spec();
    int d = ivf.dim();
    int nlist = ivf.nlist();
    Map<String, Double> timings = new LinkedHashMap<>();
    long t = System.nanoTime();

    IndexModel model = new IndexModel(ivf.metric(), spec, d, ivf.centroids(), ivf.codebooks(),
        ivf.graph());
    int modelCrc;
    try (FormatOutput out = pub.create(ModelFile.NAME)) {
      // No L2 table, as a build writes none: the shards carry the items' L2 terms.
      modelCrc = ModelFile.write(out, ivf.metric(), d, spec, ivf.centroids(), ivf.codebooks(),
          null, ivf.graph());
      pub.record(ModelFile.NAME, out.position(), modelCrc);
    }
    timings.put("write.model", (System.nanoTime() - t) / 1e9);
    t = System.nanoTime();

    Lists lists = new Lists(ivf);
    byte[] code = new byte[ivf.codeSize()];
    boolean terms = model.termBytes() > 0;
    int[] list = new int[1];
    float[] term = new float[1];
    for (int s = 0; s < shards; s++) {
      String name = ShardFile.fileName(s);
      long[] sizes = Arrays.copyOfRange(counts, s * nlist, (s + 1) * nlist);
      try (FormatOutput out = pub.create(name)) {
        ShardFileWriter w = new ShardFileWriter(out, s, shards, d, ivf.codeSize(),
            terms, IdType.LONG, modelCrc, sizes);
        for (int l = 0; l < nlist; l++) {
          if (sizes[l] == 0) {
            continue;
          }
          int n = lists.read(in, l);
          Integer[] order = lists.byId(n, s, shards);
          long previous = 0;
          for (int k = 0; k < order.length; k++) {
            int i = order[k];
            long id = lists.ids[i];
            if (k > 0 && id == previous) {
              throw in.error("id " + id + " occurs more than once in list " + l
                  + "; Kiln needs distinct ids");
            }
            previous = id;
            System.arraycopy(lists.codes, i * ivf.codeSize(), code, 0, code.length);
            if (terms) {
              list[0] = l;
              model.l2Terms(code, 1, list, term);
            }
            w.add(l, id, code, term[0]);
          }
        }
        int crc = w.finish();
        pub.record(name, out.position(), crc);
      }
    }
    timings.put("write.shards", (System.nanoTime() - t) / 1e9);
    timings.put("total", (System.nanoTime() - t0) / 1e9);

    BuildInfo build = BuildInfo.builder()
        .importedFrom(file.toAbsolutePath().normalize().toString())
        .faissType(ivf.typeName())
        .fingerprint(fingerprint)
        .kiln(KilnVersion.get())
        .build();
    return Manifest.builder().version(versionId).createdAt(Instant.now().toString())
        .index(spec.toString()).metric(ivf.metric().cliName()).dim(d).count(ivf.ntotal())
        .idType("long").shards(shards).files(pub.files())
        .lists(ListCounts.statistics(ivf.listSizes())).build(build).timings(timings).create();
  }

  /** Scratch for one list at a time, sized for the largest list. */
  private static final class Lists {
    final FaissIvf ivf;
    final byte[] codes;
    final long[] ids;

    Lists(FaissIvf ivf) {
      this.ivf = ivf;
      long max = 0;
      for (long n : ivf.listSizes()) {
        max = Math.max(max, n);
      }
      this.codes = new byte[(int) (max * ivf.codeSize())];
      this.ids = new long[(int) max];
    }

    int read(FaissInput in, int l) throws IOException {
      ivf.readList(in, l, codes, ids);
      return (int) ivf.listSizes()[l];
    }

    /** The positions of the list's items that belong to shard s, by ascending id. */
    Integer[] byId(int n, int s, int shards) {
      int kept = 0;
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        if (shards == 1 || ShardHash.shardOf(ids[i], shards) == s) {
          order[kept++] = i;
        }
      }
      Integer[] out = Arrays.copyOf(order, kept);
      Arrays.sort(out, (a, b) -> Long.compare(ids[a], ids[b]));
      return out;
    }
  }
}
