package dev.kiln.faiss;

import dev.kiln.search.OpenOptions;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.store.AtomicFile;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.GraphFile;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a published Kiln version as one Faiss index file, in Faiss's own serialization as faiss
 * 1.7.x reads it ({@code faiss.read_index}, also with {@code IO_FLAG_MMAP}):
 *
 * <ul>
 *   <li>{@code IVF{n},PQ{m}} as {@code IndexIVFPQ} ({@code IwPQ}): 8-bit codes, {@code
 *       by_residual = true}, Kiln's codes and codebooks bit for bit;
 *   <li>{@code IVF{n},Flat} as {@code IndexIVFFlat} ({@code IwFl});
 *   <li>the coarse quantizer as {@code IndexFlatL2} ({@code IxF2}) for l2, {@code IndexFlatIP}
 *       ({@code IxFI}) for ip and cosine (cosine vectors are stored normalized; queries must be
 *       normalized by the caller); for {@code IVF{n}_HNSW{M}}, an {@code IndexHNSWFlat}
 *       ({@code IHNf}) holding Kiln's graph ({@link FaissHnsw}) over that flat index;
 *   <li>the inverted lists inline as {@code ArrayInvertedLists} ({@code ilar}), every shard's
 *       part of list l concatenated in shard order; no direct map; {@code nprobe = 1};
 *   <li>one shard of {@code HNSW{M}} as {@code IndexIDMap} over {@code IndexHNSWFlat}
 *       ({@link FaissHnswFlatWriter}); a version of several shards only with {@code --shard}.
 * </ul>
 *
 * <p>Faiss ids are Kiln's int64 ids. For string ids, the Faiss id of an item is its global
 * ordinal: shards in order, and within a shard Kiln's ordinal (list, then id order), so shard s
 * starts at the sum of the counts of shards 0..s-1; the keys are written beside the file, in
 * {@code FILE.keys.jsonl}, one JSON array {@code [id, "key"]} per line, in id order.
 *
 * <p>The output is written to a temporary file in the target directory and renamed over
 * {@code FILE} when complete, so a failed export leaves no partial file.
 */
public final class FaissIndexWriter {
  /** The suffix of the id-to-key file written beside an export of a string-id version. */
  public static final String KEYS_SUFFIX = ".keys.jsonl";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What an export wrote. {@code keys} is null unless the ids are strings. */
  public record Result(Path file, Path keys, String faissType, String metric, int dim, int nlist,
      long count, List<Integer> shards, long bytes) {}

  private FaissIndexWriter() {}

  /**
   * Exports a version (a version directory, or a root: its LATEST) to {@code out}.
   *
   * @param shard the one shard to export, or null for all shards merged
   * @throws KilnException bad input (exit 3) when the index cannot be opened or a file's CRC32C
   *     does not match the manifest (nothing is written then), usage (exit 2) for a shard number
   *     out of range or an {@code out} that is a directory
   */
  public static Result export(Path index, Path out, Integer shard) throws IOException {
    Path target = out.toAbsolutePath();
    if (Files.isDirectory(target)) {
      throw new InvalidOptionException("--out " + out + " is a directory; give the file to write");
    }
    Path dir;
    Manifest manifest;
    try {
      dir = KilnIndex.resolveVersion(index);
      // Opening checks the manifest and every file's header and directory, and that they match;
      // and every file's CRC32C against the manifest's: the Faiss file has no checksum, so
      // damage copied into it could never be detected again.
      try (KilnIndex checked = KilnIndex.open(dir, new OpenOptions(true))) {
        manifest = checked.manifest();
      }
    } catch (CorruptIndexException e) {
      throw new InvalidInputException("cannot export " + index + ": " + e.getMessage());
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("cannot export " + index + ": no such index directory");
    }
    if (manifest.spec().isFastScan()) {
      // Faiss's IndexIVFPQFastScan packs its 4-bit codes in its own block permutation, with its
      // own list container; Kiln's blocks are not that, and an IndexIVFPQ with 4-bit codes is
      // a different (slow) index in Faiss.
      throw new InvalidOptionException("cannot export " + index + ": " + manifest.spec()
          + " holds 4-bit fast-scan codes, which export-faiss does not write (Faiss's"
          + " IndexIVFPQFastScan has its own code layout); export an IVF{n},PQ{m} index");
    }
    if (manifest.spec().encoding() == IndexSpec.Encoding.SQ8) {
      // Faiss's IndexHNSWSQ is not written (yet): its codes are unsigned and its ranges
      // (vmin, vdiff) sit half a step from Kiln's (base, step), a conversion no test covers.
      throw new InvalidOptionException("cannot export " + index + ": " + manifest.spec()
          + " stores 8-bit vectors, which export-faiss does not write as Faiss's IndexHNSWSQ;"
          + " export an HNSW{M} index");
    }
    if (manifest.spec().isGraph() && shard == null && manifest.shards() > 1) {
      // Faiss's IndexHNSWFlat holds one graph; Kiln keeps one per shard, and merging them
      // would be a new graph, not this index.
      throw new InvalidOptionException("cannot export " + index + " whole: " + manifest.spec()
          + " keeps an HNSW graph in each of its " + manifest.shards() + " shards and Faiss's"
          + " IndexHNSWFlat holds one; export them one at a time with --shard N");
    }
    if (manifest.spec().hasRefine()) {
      // Faiss's IndexRefine is not written: dropping the refine vectors silently would export
      // an index that answers differently.
      throw new InvalidOptionException("cannot export " + index + ": " + manifest.spec()
          + " has a refine stage, which export-faiss does not write; export an index without one");
    }
    int shardCount = manifest.shards();
    List<Integer> chosen = new ArrayList<>();
    if (shard == null) {
      for (int s = 0; s < shardCount; s++) {
        chosen.add(s);
      }
    } else if (shard < 0 || shard >= shardCount) {
      throw new InvalidOptionException("--shard " + shard + " is out of range: " + dir + " has "
          + shardCount + " shard(s), numbered 0 to " + (shardCount - 1));
    } else {
      chosen.add(shard);
    }

    ModelFile model = ModelFile.read(map(dir.resolve(ModelFile.NAME)), ModelFile.NAME);
    ShardFile[] shards = new ShardFile[shardCount];
    long[] base = new long[shardCount]; // global ordinal of each shard's first item
    long total = 0;
    for (int s = 0; s < shardCount; s++) {
      shards[s] = ShardFile.open(map(dir.resolve(ShardFile.fileName(s))), ShardFile.fileName(s));
      base[s] = total;
      total += shards[s].count();
    }
    boolean stringIds = manifest.idTypeValue() == IdType.STRING;
    long count = chosen.stream().mapToLong(s -> shards[s].count()).sum();
    Path keysTarget = stringIds ? Path.of(target + KEYS_SUFFIX) : null;
    long[] bytes = new long[1];
    boolean graph = manifest.spec().isGraph(); // the model holds its base spec, IVF1,Flat
    // The keys file is renamed in just before the index, once both are written.
    AtomicFile.replace(target, stream -> {
      FaissOutput f = new FaissOutput(stream);
      if (graph) {
        int s = chosen.get(0);
        String name = GraphFile.fileName(s);
        FaissHnswFlatWriter.write(f, shards[s],
            GraphFile.open(map(dir.resolve(name)), name).graph(),
            faissMetric(model.metric()), stringIds, base[s]);
      } else {
        write(f, model, shards, chosen, base, stringIds, count);
      }
      f.flush();
      bytes[0] = f.position();
      if (stringIds) {
        AtomicFile.replace(keysTarget, keys -> writeKeys(keys, dir, shards, chosen, base));
      }
    });
    IndexSpec spec = model.spec();
    String type = graph ? "IndexIDMap over IndexHNSWFlat"
        : (pq(spec) ? "IndexIVFPQ" : "IndexIVFFlat")
            + (spec.hasCoarseGraph() ? " with an IndexHNSWFlat quantizer" : "");
    return new Result(target, keysTarget, type,
        faissMetric(model.metric()) == FaissFormat.METRIC_L2 ? "L2" : "INNER_PRODUCT",
        model.dim(), spec.nlist(), count, chosen, bytes[0]);
  }

  private static boolean pq(IndexSpec spec) {
    return spec.encoding() == IndexSpec.Encoding.PQ;
  }

  /** Faiss's metric for a Kiln metric: cosine is inner product over normalized vectors. */
  static int faissMetric(Metric m) {
    return m == Metric.L2 ? FaissFormat.METRIC_L2 : FaissFormat.METRIC_INNER_PRODUCT;
  }

  private static void write(FaissOutput f, ModelFile model, ShardFile[] shards,
      List<Integer> chosen, long[] base, boolean stringIds, long count) throws IOException {
    IndexSpec spec = model.spec();
    int d = model.dim();
    int nlist = spec.nlist();
    int metric = faissMetric(model.metric());
    boolean pq = pq(spec);
    int codeSize = spec.codeSize(d);

    // IndexIVF: Index header, nlist, nprobe, the quantizer, the direct map.
    f.tag(pq ? FaissFormat.IVF_PQ : FaissFormat.IVF_FLAT);
    indexHeader(f, d, count, metric);
    f.int64(nlist);
    f.int64(1); // nprobe
    if (spec.hasCoarseGraph()) {
      // IndexHNSWFlat: its header, the graph, then its storage, the flat index below.
      f.tag(FaissFormat.HNSW_FLAT);
      indexHeader(f, d, nlist, metric);
      FaissHnsw.write(f, model.graph());
    }
    f.tag(metric == FaissFormat.METRIC_L2 ? FaissFormat.FLAT_L2 : FaissFormat.FLAT_IP);
    indexHeader(f, d, nlist, metric);
    float[] centroids = model.centroids();
    f.int64(centroids.length); // IndexFlat's codes, counted in floats
    for (float c : centroids) {
      f.float32(c);
    }
    f.int8(0); // direct map: none
    f.int64(0); // ... and its (empty) array
    if (pq) {
      f.int8(1); // by_residual
      f.int64(codeSize);
      // ProductQuantizer: d, M, nbits, centroids (M x 256 x d/M, as Kiln's codebooks).
      f.int64(d);
      f.int64(spec.pqM());
      f.int64(FaissFormat.PQ_BITS);
      f.floatVector(model.codebooks());
    }

    // ArrayInvertedLists, inline.
    long[] sizes = new long[nlist];
    int nonEmpty = 0;
    for (int l = 0; l < nlist; l++) {
      for (int s : chosen) {
        sizes[l] += shards[s].listSize(l);
      }
      if (sizes[l] > 0) {
        nonEmpty++;
      }
    }
    f.tag(FaissFormat.ARRAY_LISTS);
    f.int64(nlist);
    f.int64(codeSize);
    // Faiss's own rule: all sizes when more than half the lists are used, else (list, size) pairs.
    if (nonEmpty > nlist / 2) {
      f.tag(FaissFormat.LISTS_FULL);
      f.int64(nlist);
      for (long n : sizes) {
        f.int64(n);
      }
    } else {
      f.tag(FaissFormat.LISTS_SPARSE);
      f.int64(2L * nonEmpty);
      for (int l = 0; l < nlist; l++) {
        if (sizes[l] > 0) {
          f.int64(l);
          f.int64(sizes[l]);
        }
      }
    }
    for (int l = 0; l < nlist; l++) {
      if (sizes[l] == 0) {
        continue;
      }
      for (int s : chosen) {
        ShardFile sh = shards[s];
        int n = sh.listSize(l);
        if (n > 0) {
          f.bytes(sh.buffer(), sh.codesOffset(l), n * codeSize);
        }
      }
      for (int s : chosen) {
        ShardFile sh = shards[s];
        int n = sh.listSize(l);
        if (n == 0) {
          continue;
        }
        if (stringIds) {
          long first = base[s] + sh.firstOrdinal(l);
          for (int i = 0; i < n; i++) {
            f.int64(first + i);
          }
        } else {
          f.bytes(sh.buffer(), sh.idsOffset(l), 8 * n); // little-endian int64 in both formats
        }
      }
    }
  }

  /** Faiss's Index header; the metric argument is written only for metrics above 1. */
  static void indexHeader(FaissOutput f, int d, long ntotal, int metric)
      throws IOException {
    f.int32(d);
    f.int64(ntotal);
    f.int64(FaissFormat.DUMMY);
    f.int64(FaissFormat.DUMMY);
    f.int8(1); // is_trained
    f.int32(metric);
  }

  private static void writeKeys(OutputStream os, Path dir, ShardFile[] shards,
      List<Integer> chosen, long[] base) throws IOException {
    // Flushed, not closed: the stream belongs to AtomicFile.
    BufferedWriter w = new BufferedWriter(
        new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
    for (int s : chosen) {
      String name = KeysFile.fileName(s);
      KeysFile keys = KeysFile.open(map(dir.resolve(name)), name);
      for (long i = 0; i < keys.count(); i++) {
        w.write('[');
        w.write(Long.toString(base[s] + i));
        w.write(',');
        w.write(json(keys.key(i)));
        w.write("]\n");
      }
    }
    w.flush();
  }

  private static String json(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }
}
