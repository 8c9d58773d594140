package dev.kiln.search;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardHash;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An item's vector by its id, as the version stores it: Faiss's {@code reconstruct}, Annoy's
 * {@code get_item_vector}. The shard comes from the id's hash (as the build placed it); within a
 * shard, a sorted table of its ids (or a map of its keys) is built on first use, so an index
 * that never asks pays nothing. What comes back: the vector itself from a Flat list or an RFlat
 * refine file (normalized, under cosine, as indexed); SQ8's decoding under {@code Refine(SQ8)};
 * otherwise the PQ reconstruction, centroid plus decoded residual. Fast-scan codes without a
 * refine stage are refused: they are packed for scanning, not for reading back.
 */
final class StoredVectors {
  private final VersionFiles files;
  private final long[][] sortedIds;
  private final long[][] ordinalsById;
  private final Map<String, Long>[] ordinalByKey;

  @SuppressWarnings("unchecked")
  StoredVectors(VersionFiles files) {
    this.files = files;
    int shards = files.shards().length;
    this.sortedIds = new long[shards][];
    this.ordinalsById = new long[shards][];
    this.ordinalByKey = new Map[shards];
  }

  /** Item {@code id}'s stored vector, or null when the index holds no such id. */
  float[] vector(long id) {
    int shard = ShardHash.shardOf(id, files.shards().length);
    long ordinal = ordinalOf(shard, id);
    return ordinal < 0 ? null : decode(shard, ordinal);
  }

  /** Item {@code key}'s stored vector, or null when the index holds no such key. */
  float[] vector(String key) {
    int shard = ShardHash.shardOf(key, files.shards().length);
    Long ordinal = keys(shard).get(key);
    return ordinal == null ? null : decode(shard, ordinal);
  }

  /** Refuses, before any lookup, an index whose stored codes cannot be read back. */
  void checkReadable() {
    IndexSpec spec = files.model().spec();
    if (spec.isFastScan() && files.refine().length == 0) {
      throw new UnsupportedOperationException(spec + " keeps only 4-bit codes packed for"
          + " scanning: reading an item's vector needs a refine stage (,RFlat or ,Refine(SQ8)),"
          + " Flat lists or 8-bit PQ");
    }
  }

  private long ordinalOf(int shard, long id) {
    long[] ids;
    long[] ordinals;
    synchronized (this) {
      if (sortedIds[shard] == null) {
        index(shard);
      }
      ids = sortedIds[shard];
      ordinals = ordinalsById[shard];
    }
    int at = Arrays.binarySearch(ids, id);
    return at < 0 ? -1 : ordinals[at];
  }

  /** The shard's ids sorted, with their ordinals: 16 bytes an item, once. */
  private void index(int shard) {
    ShardFile f = files.shards()[shard];
    int n = Math.toIntExact(f.count());
    long[] ids = new long[n]; // by ordinal: lists in order, each list's items in order
    for (int list = 0; list < f.nlist(); list++) {
      int size = f.listSize(list);
      long first = f.firstOrdinal(list);
      for (int i = 0; i < size; i++) {
        ids[(int) first + i] = f.id(list, i);
      }
    }
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Long.compare(ids[a], ids[b]));
    long[] sorted = new long[n];
    long[] ordinals = new long[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = ids[order[i]];
      ordinals[i] = order[i];
    }
    sortedIds[shard] = sorted;
    ordinalsById[shard] = ordinals;
  }

  private synchronized Map<String, Long> keys(int shard) {
    if (ordinalByKey[shard] == null) {
      KeysFile k = files.keys()[shard];
      Map<String, Long> m = new HashMap<>();
      for (long o = 0; o < k.count(); o++) {
        m.put(k.key(o), o);
      }
      ordinalByKey[shard] = m;
    }
    return ordinalByKey[shard];
  }

  private float[] decode(int shard, long ordinal) {
    IndexModel model = files.model();
    IndexSpec spec = model.spec();
    int dim = model.dim();
    float[] out = new float[dim];
    // The model's spec is the base index (the model file records no refine stage): the refine
    // files say whether there is one, and how it encodes.
    if (files.refine().length > 0) {
      RefineFile r = files.refine()[shard];
      ByteBuffer b = r.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      int at = r.vectorOffset(ordinal);
      if (r.encoding() == IndexSpec.Refine.FLAT) {
        for (int j = 0; j < dim; j++) {
          out[j] = b.getFloat(at + 4 * j);
        }
      } else {
        byte[] code = new byte[dim];
        b.get(at, code);
        new ScalarQuantizer(r.sq8Base(), r.sq8Step()).decode(code, 0, out);
      }
      return out;
    }
    ShardFile f = files.shards()[shard];
    int list = f.listOf(ordinal);
    int i = (int) (ordinal - f.firstOrdinal(list));
    ByteBuffer b = f.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = f.codesOffset(list) + i * f.codeSize();
    if (spec.encoding() == IndexSpec.Encoding.FLAT) {
      for (int j = 0; j < dim; j++) {
        out[j] = b.getFloat(at + 4 * j);
      }
      return out;
    }
    byte[] code = new byte[f.codeSize()];
    b.get(at, code);
    if (model.sq8() != null) {
      model.sq8().decode(code, 0, out);
      return out;
    }
    model.pq().decode(code, 0, out);
    float[] c = model.coarse().centroids();
    for (int j = 0; j < dim; j++) {
      out[j] += c[list * dim + j];
    }
    return out;
  }
}
