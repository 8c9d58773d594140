package dev.kiln.search;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.FileChecks;
import dev.kiln.format.FileFormat;
import dev.kiln.format.GraphFile;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.IndexModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The files of one version, mapped and checked against each other: which directory a path
 * means (a root follows {@code LATEST}), the manifest, the model, and per shard its list file,
 * keys file (string ids), refine file (a refine stage) and graph file ({@code HNSW{M}}). Opening checks headers, directories
 * and how the files fit together; with {@link OpenOptions#verifyChecksums} also every
 * file's CRC32C. Nothing here searches.
 *
 * @param l2Table the model's precomputed L2 table, mapped (null when the model has none)
 * @param keys one per shard for string ids, else empty
 * @param refine one per shard when the spec has a refine stage, else empty
 * @param graphs one per shard for {@code HNSW{M}} (the graph over its items), else empty
 * @param options how the version was opened
 */
record VersionFiles(Path dir, Manifest manifest, IndexModel model, ByteBuffer l2Table,
    ShardFile[] shards, KeysFile[] keys, RefineFile[] refine, GraphFile[] graphs,
    OpenOptions options) {

  /** Opens an index root (following its {@code LATEST}) or one version directory. */
  static VersionFiles open(Path path, OpenOptions options) throws IOException {
    Path dir = resolveVersion(path);
    Path manifestPath = dir.resolve(IndexLayout.MANIFEST);
    Manifest manifest;
    try {
      manifest = Manifest.read(manifestPath);
    } catch (NoSuchFileException e) {
      throw new CorruptIndexException(manifestPath.toString(), "missing: not a published version");
    }
    return open(dir, manifest, options);
  }

  /** Opens the files of {@code dir} as {@code manifest} describes them. */
  static VersionFiles open(Path dir, Manifest manifest, OpenOptions options)
      throws IOException {
    Path manifestPath = dir.resolve(IndexLayout.MANIFEST);
    ByteBuffer modelBuf = map(dir, ModelFile.NAME, manifest, options);
    ModelFile modelFile = ModelFile.read(modelBuf, dir.resolve(ModelFile.NAME).toString());
    String mname = modelFile.name();
    IndexSpec spec = manifest.spec();
    if (!modelFile.spec().equals(spec.base())
        || modelFile.metric() != manifest.metricValue()
        || modelFile.dim() != manifest.dim()) {
      throw new CorruptIndexException(
          mname,
          "model is " + modelFile.spec() + "/" + modelFile.metric().cliName() + "/d="
              + modelFile.dim() + " but the manifest says " + spec + "/" + manifest.metric()
              + "/d=" + manifest.dim());
    }
    IndexModel model = IndexModel.of(modelFile);

    IdType idType = manifest.idTypeValue();
    ShardFile[] shards = new ShardFile[manifest.shards()];
    KeysFile[] keys = new KeysFile[idType == IdType.STRING ? manifest.shards() : 0];
    RefineFile[] refine = new RefineFile[spec.hasRefine() ? manifest.shards() : 0];
    GraphFile[] graphs = new GraphFile[spec.isGraph() ? manifest.shards() : 0];
    long total = 0;
    for (int s = 0; s < shards.length; s++) {
      String name = ShardFile.fileName(s);
      ShardFile shard = ShardFile.open(map(dir, name, manifest, options), dir.resolve(name).toString());
      String why = null;
      if (shard.shard() != s || shard.shardCount() != shards.length) {
        why = "is shard " + shard.shard() + " of " + shard.shardCount() + ", expected " + s + " of "
            + shards.length;
      } else if (shard.modelChecksum() != modelFile.checksum()) {
        why = "was encoded with another model (model checksum differs)";
      } else if (shard.nlist() != spec.nlist() || shard.dim() != manifest.dim()
          || shard.codeSize() != spec.codeSize(manifest.dim()) || shard.idType() != idType
          || shard.fastScan() != spec.isFastScan()) {
        why = "does not match the model's nlist, dim, code size, code layout or id type";
      }
      if (why != null) {
        throw new CorruptIndexException(shard.name(), why);
      }
      shards[s] = shard;
      total += shard.count();
      if (keys.length > 0) {
        String kname = KeysFile.fileName(s);
        keys[s] = KeysFile.open(map(dir, kname, manifest, options), dir.resolve(kname).toString());
        if (keys[s].count() != shard.count()) {
          throw new CorruptIndexException(
              dir.resolve(kname).toString(),
              "holds " + keys[s].count() + " keys for " + shard.count() + " items");
        }
      }
      if (refine.length > 0) {
        String rname = RefineFile.fileName(s);
        refine[s] = RefineFile.open(map(dir, rname, manifest, options), dir.resolve(rname).toString());
        checkRefine(refine[s], refine[0], s, shard, spec, modelFile);
      }
      if (graphs.length > 0) {
        String gname = GraphFile.fileName(s);
        graphs[s] = GraphFile.open(map(dir, gname, manifest, options), dir.resolve(gname).toString());
        checkGraph(graphs[s], s, shard, spec, modelFile);
      }
    }
    if (total != manifest.count()) {
      throw new CorruptIndexException(
          manifestPath.toString(), "says " + manifest.count() + " items but shards hold " + total);
    }
    return new VersionFiles(dir, manifest, model, modelFile.l2TableBytes(), shards, keys, refine,
        graphs, options);
  }

  /** A graph file must link this shard's items, with the spec's M, under the same model. */
  private static void checkGraph(GraphFile g, int s, ShardFile shard, IndexSpec spec,
      ModelFile model) throws CorruptIndexException {
    String why = null;
    if (g.shard() != s || g.count() != shard.count()) {
      why = "is for shard " + g.shard() + " with " + g.count() + " nodes, expected shard " + s
          + " with " + shard.count();
    } else if (g.graph() != null && g.graph().m() != spec.graphM()) {
      why = "has M " + g.graph().m() + " but the index is " + spec;
    } else if (g.modelChecksum() != model.checksum()) {
      why = "was written with another model (model checksum differs)";
    }
    if (why != null) {
      throw new CorruptIndexException(g.name(), why);
    }
  }

  /** A refine file must hold this shard's vectors, encoded as the spec and shard 0's say. */
  private static void checkRefine(RefineFile r, RefineFile first, int s, ShardFile shard,
      IndexSpec spec, ModelFile model) throws CorruptIndexException {
    String why = null;
    if (r.shard() != s || r.count() != shard.count()) {
      why = "is for shard " + r.shard() + " with " + r.count() + " vectors, expected shard " + s
          + " with " + shard.count();
    } else if (r.encoding() != spec.refine() || r.dim() != model.dim()) {
      why = "holds " + r.encoding() + " vectors of d=" + r.dim() + " but the index is " + spec
          + " with d=" + model.dim();
    } else if (r.modelChecksum() != model.checksum()) {
      why = "was written with another model (model checksum differs)";
    } else if (!Arrays.equals(r.sq8Base(), first.sq8Base())
        || !Arrays.equals(r.sq8Step(), first.sq8Step())) {
      why = "has SQ8 parameters that differ from shard 0's";
    }
    if (why != null) {
      throw new CorruptIndexException(r.name(), why);
    }
  }

  /**
   * A version directory has a manifest; a root has LATEST naming one of its versions. A
   * directory with a model but no manifest is a version that was never published or lost its
   * manifest: the error names the manifest.
   */
  static Path resolveVersion(Path path) throws IOException {
    // exists, not isRegularFile: a manifest or LATEST that is a FIFO or a directory is named as
    // such when it is read (IndexLayout.readLatest, Manifest.read), not taken for "absent".
    if (Files.exists(path.resolve(IndexLayout.MANIFEST))) {
      return path;
    }
    Path latest = path.resolve(IndexLayout.LATEST);
    if (Files.exists(latest)) {
      return path.resolve(IndexLayout.VERSIONS).resolve(IndexLayout.readLatest(latest));
    }
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such index directory");
    }
    if (Files.isRegularFile(path.resolve(ModelFile.NAME))) {
      // A version's files without the manifest that publishes them: name what is missing.
      throw new CorruptIndexException(path.resolve(IndexLayout.MANIFEST).toString(),
          "missing: not a published version");
    }
    throw new CorruptIndexException(
        path.toString(), "not a Kiln index: neither " + IndexLayout.MANIFEST + " nor "
            + IndexLayout.LATEST + " is there");
  }

  private static ByteBuffer map(
      Path dir, String name, Manifest manifest, OpenOptions options)
      throws IOException {
    Path p = dir.resolve(name);
    Manifest.FileEntry entry = manifest.file(name);
    if (entry == null) {
      throw new CorruptIndexException(p.toString(), "not listed in the manifest");
    }
    ByteBuffer buf;
    try {
      FileChecks.requireRegularFile(p); // a FIFO would block the open below
    } catch (NoSuchFileException e) {
      throw new CorruptIndexException(p.toString(), "missing");
    }
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size != entry.bytes()) {
        throw new CorruptIndexException(
            p.toString(), "has " + size + " bytes, the manifest says " + entry.bytes()
                + " (truncated or replaced)");
      }
      if (size > Integer.MAX_VALUE) {
        throw new CorruptIndexException(p.toString(), "larger than 2 GiB; shards must be smaller");
      }
      buf = options.inHeap() ? readFully(ch, (int) size, p)
          : ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
    } catch (NoSuchFileException e) {
      throw new CorruptIndexException(p.toString(), "missing");
    }
    if (options.verifyChecksums()) {
      FileFormat.verifyChecksum(buf, p.toString());
      if (FileFormat.storedChecksum(buf) != entry.crc32cValue()) {
        throw new CorruptIndexException(p.toString(), "checksum differs from the manifest's");
      }
    }
    return buf;
  }


  /** The whole file in a heap buffer ({@link OpenOptions#inHeap}). */
  private static ByteBuffer readFully(FileChannel ch, int size, Path p) throws IOException {
    ByteBuffer heap = ByteBuffer.allocate(size);
    while (heap.hasRemaining()) {
      if (ch.read(heap, heap.position()) < 0) {
        throw new CorruptIndexException(p.toString(), "ended after " + heap.position()
            + " of " + size + " bytes while read (truncated under the reader?)");
      }
    }
    return heap.flip();
  }

  /** Items per inverted list, summed over the shards: a new array on every call. */
  int[] listSizes() {
    int[] sizes = new int[model.spec().nlist()];
    for (ShardFile s : shards) {
      for (int l = 0; l < sizes.length; l++) {
        // addExact: a list past 2^31 items over all shards must fail, not wrap.
        sizes[l] = Math.addExact(sizes[l], s.listSize(l));
      }
    }
    return sizes;
  }

  /** The largest list of any shard: the size of a scan's distance block. */
  int maxListSize() {
    int max = 0;
    for (ShardFile s : shards) {
      for (int l = 0; l < s.nlist(); l++) {
        max = Math.max(max, s.listSize(l));
      }
    }
    return max;
  }
}
