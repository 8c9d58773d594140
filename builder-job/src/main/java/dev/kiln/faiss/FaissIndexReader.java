package dev.kiln.faiss;

import dev.kiln.format.HnswSection;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import java.io.IOException;

/**
 * Parses the Faiss serialization (faiss 1.7.x {@code write_index}) of an {@code IndexIVFPQ}
 * ({@code IwPQ}: 8-bit codes, by_residual) or {@code IndexIVFFlat} ({@code IwFl}), optionally
 * wrapped in an {@code IndexIDMap} ({@code IxMp}) or {@code IndexIDMap2} ({@code IxM2}), with a
 * flat coarse quantizer ({@code IxF2}, {@code IxFI} or {@code IxFl}; or an {@code IndexHNSWFlat},
 * {@code IHNf}, over one: {@link FaissHnsw}) and its inverted lists
 * stored inline ({@code ilar}), for metric L2 or inner product.
 *
 * <p>Reads the header, the quantizer and the PQ into memory and records where each inverted
 * list lies; the lists themselves are read later, one at a time ({@link FaissIvf#readList}).
 * Anything else (another index type, a truncated file, a count the file cannot hold, trailing
 * bytes) is rejected with a one-line {@link dev.kiln.errors.InvalidInputException} naming the
 * file and the problem.
 */
final class FaissIndexReader {
  private final FaissInput in;

  private FaissIndexReader(FaissInput in) {
    this.in = in;
  }

  static FaissIvf read(FaissInput in) throws IOException {
    return new FaissIndexReader(in).readTop();
  }

  private record Header(int d, long ntotal, int metric) {}

  private FaissIvf readTop() throws IOException {
    if (in.size() < 4) {
      throw in.error("not a Faiss index file: only " + in.size() + " bytes");
    }
    int tag = in.tag("index type");
    FaissIvf ivf;
    if (tag == FaissFormat.ID_MAP || tag == FaissFormat.ID_MAP2) {
      Header h = header("IndexIDMap");
      int innerTag = in.tag("index type inside the IndexIDMap");
      FaissIvf inner = ivf(innerTag);
      if (inner.dim() != h.d() || inner.ntotal() != h.ntotal()) {
        throw in.error("the IndexIDMap says d=" + h.d() + ", ntotal=" + h.ntotal()
            + " but the index inside it has d=" + inner.dim() + ", ntotal=" + inner.ntotal());
      }
      long at = in.position();
      int n = (int) in.count("IndexIDMap id_map", 8, true);
      if (n != h.ntotal()) {
        throw in.error("the IndexIDMap's id_map at offset " + at + " holds " + n
            + " ids for " + h.ntotal() + " vectors");
      }
      long[] ids = in.longs(n, "IndexIDMap id_map");
      ivf = new FaissIvf(tag, inner.spec(), inner.metric(), inner.dim(), inner.ntotal(),
          inner.centroids(), inner.codebooks(), inner.graph(), inner.codeSize(), inner.listSizes(),
          inner.listOffsets(), ids);
    } else {
      ivf = ivf(tag);
    }
    if (in.remaining() != 0) {
      throw in.error(in.remaining() + " unexpected bytes after the index, from offset "
          + in.position() + " (not a single Faiss index, or damaged)");
    }
    return ivf;
  }

  private FaissIvf ivf(int tag) throws IOException {
    boolean pq = tag == FaissFormat.IVF_PQ;
    if (!pq && tag != FaissFormat.IVF_FLAT) {
      throw unsupported(tag, in.position() - 4);
    }
    String type = pq ? "IndexIVFPQ" : "IndexIVFFlat";
    Header h = header(type);
    Metric metric = metric(h.metric(), type);
    long nlistL = in.int64("nlist");
    in.int64("nprobe");
    if (nlistL < 1 || nlistL > Integer.MAX_VALUE) {
      throw in.error("bad nlist " + nlistL + " in the " + type + " header");
    }
    int nlist = (int) nlistL;

    // The coarse quantizer: a flat index with nlist vectors, or an IndexHNSWFlat (its header,
    // its graph, then such a flat index as its storage).
    long qAt = in.position();
    int qTag = in.tag("coarse quantizer type");
    HnswSection graph = null;
    if (qTag == FaissFormat.HNSW_FLAT) {
      Header g = header("HNSW quantizer");
      if (g.d() != h.d() || g.ntotal() != nlist || g.metric() != h.metric()) {
        throw in.error("the HNSW quantizer has d=" + g.d() + ", " + g.ntotal() + " nodes and"
            + " metric " + g.metric() + "; the " + type + " has d=" + h.d() + ", nlist=" + nlist
            + " and metric " + h.metric());
      }
      graph = FaissHnsw.read(in, nlist);
      qAt = in.position();
      qTag = in.tag("HNSW quantizer storage type");
    }
    if (qTag != FaissFormat.FLAT_L2 && qTag != FaissFormat.FLAT_IP && qTag != FaissFormat.FLAT) {
      String known = FaissFormat.OTHER_TYPES.get(FaissFormat.tagName(qTag));
      throw in.error("unsupported coarse quantizer at offset " + qAt + ": "
          + (known != null ? known : "unknown type") + " ('" + FaissFormat.tagName(qTag)
          + "'); Kiln imports IVF indexes with a flat quantizer (IndexFlatL2 or IndexFlatIP),"
          + " or an IndexHNSWFlat over one");
    }
    Header q = header("coarse quantizer");
    if (q.d() != h.d() || q.ntotal() != nlist) {
      throw in.error("the coarse quantizer has d=" + q.d() + " and " + q.ntotal()
          + " centroids; the " + type + " has d=" + h.d() + " and nlist=" + nlist);
    }
    if (q.metric() != h.metric()) {
      throw in.error("the coarse quantizer's metric (" + q.metric() + ") differs from the "
          + type + "'s (" + h.metric() + "); Kiln needs them equal");
    }
    long nFloats = in.count("coarse centroids", 4, true);
    if (nFloats != (long) nlist * h.d()) {
      throw in.error("the coarse quantizer stores " + nFloats + " floats, expected nlist x d = "
          + (long) nlist * h.d());
    }
    float[] centroids = in.floats((int) nFloats, "coarse centroids");
    checkFinite(centroids, h.d(), "coarse centroid");

    directMap();

    IndexSpec spec;
    float[] codebooks = null;
    int codeSize;
    if (pq) {
      int byResidual = in.int8("by_residual");
      long codeSizeL = in.int64("code_size");
      long pqD = in.int64("PQ d");
      long m = in.int64("PQ M");
      long nbits = in.int64("PQ nbits");
      if (byResidual != 1) {
        throw in.error("IndexIVFPQ with by_residual=false is not supported: Kiln encodes"
            + " residuals to the coarse centroid");
      }
      if (nbits != FaissFormat.PQ_BITS) {
        throw in.error("IndexIVFPQ with " + nbits + "-bit codes is not supported: Kiln reads"
            + " 8-bit PQ codes only");
      }
      if (pqD != h.d() || m < 1 || m > h.d() || h.d() % m != 0) {
        throw in.error("bad product quantizer: d=" + pqD + ", M=" + m + " for vectors of d="
            + h.d() + " (M must divide d)");
      }
      if (codeSizeL != m) {
        throw in.error("code_size " + codeSizeL + " does not match PQ M=" + m + " x 8 bits");
      }
      long n = in.count("PQ centroids", 4, true);
      if (n != 256L * h.d()) {
        throw in.error("the PQ stores " + n + " centroid floats, expected M x 256 x d/M = "
            + 256L * h.d());
      }
      codebooks = in.floats((int) n, "PQ centroids");
      checkFinite(codebooks, (int) (h.d() / m), "PQ codebook entry");
      spec = IndexSpec.pq(nlist, (int) m);
      codeSize = (int) m;
    } else {
      spec = IndexSpec.flat(nlist);
      codeSize = 4 * h.d();
    }

    // The inverted lists.
    long lAt = in.position();
    int lTag = in.tag("inverted lists type");
    if (lTag == FaissFormat.NO_LISTS) {
      throw in.error("the index stores no inverted lists ('il00' at offset " + lAt + ")");
    }
    if (lTag != FaissFormat.ARRAY_LISTS) {
      throw in.error("inverted lists of type '" + FaissFormat.tagName(lTag) + "' at offset " + lAt
          + " are not supported: Kiln imports lists stored inline (ArrayInvertedLists, 'ilar');"
          + " OnDiskInvertedLists keep theirs in another file");
    }
    long lNlist = in.int64("inverted lists nlist");
    long lCode = in.int64("inverted lists code_size");
    if (lNlist != nlist || lCode != codeSize) {
      throw in.error("the inverted lists have nlist=" + lNlist + ", code_size=" + lCode
          + "; the " + type + " has nlist=" + nlist + ", code_size=" + codeSize);
    }
    long[] sizes = new long[nlist];
    long kAt = in.position();
    int kind = in.tag("inverted lists size format");
    if (kind == FaissFormat.LISTS_FULL) {
      long n = in.count("list sizes", 8, true);
      if (n != nlist) {
        throw in.error(n + " list sizes for nlist=" + nlist);
      }
      long[] s = in.longs((int) n, "list sizes");
      System.arraycopy(s, 0, sizes, 0, nlist);
    } else if (kind == FaissFormat.LISTS_SPARSE) {
      long n = in.count("sparse list sizes", 8, true);
      if (n % 2 != 0) {
        throw in.error("odd number (" + n + ") of sparse list-size entries");
      }
      long[] s = in.longs((int) n, "sparse list sizes");
      for (int i = 0; i < n; i += 2) {
        if (s[i] < 0 || s[i] >= nlist) {
          throw in.error("sparse list sizes name list " + s[i] + ", nlist is " + nlist);
        }
        sizes[(int) s[i]] = s[i + 1];
      }
    } else {
      throw in.error("unknown inverted-list size format '" + FaissFormat.tagName(kind)
          + "' at offset " + kAt);
    }
    long[] offsets = new long[nlist];
    long at = in.position();
    long total = 0;
    long perItem = codeSize + 8L;
    for (int l = 0; l < nlist; l++) {
      long n = sizes[l];
      if (n < 0 || n > (in.size() - at) / perItem) {
        throw in.error("list " + l + " claims " + Long.toUnsignedString(n) + " items but only "
            + (in.size() - at) + " bytes follow at offset " + at + " (truncated or damaged)");
      }
      if (n > Integer.MAX_VALUE / perItem) {
        throw in.error("list " + l + " holds " + n + " items, more than Kiln can hold in one list");
      }
      offsets[l] = at;
      at += n * perItem;
      total += n;
    }
    if (total != h.ntotal()) {
      throw in.error("the inverted lists hold " + total + " items but the " + type
          + " header says ntotal=" + h.ntotal());
    }
    in.skip(at - in.position(), "inverted lists");
    if (graph != null) {
      spec = spec.withHnsw(graph.m());
    }
    return new FaissIvf(tag, spec, metric, h.d(), h.ntotal(), centroids, codebooks, graph,
        codeSize, sizes, offsets, null);
  }

  /**
   * A build refuses NaN and infinite values (they make every distance NaN); so does an import,
   * naming the first such vector: for the PQ, M codebooks of 256 entries of d/M floats each,
   * entry {@code i / width} is sub-quantizer {@code i / width / 256}'s code {@code % 256}.
   */
  private void checkFinite(float[] values, int width, String what) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        int v = i / width;
        String which = what.startsWith("PQ")
            ? what + " (sub-quantizer " + v / 256 + ", code " + v % 256 + ")" : what + " " + v;
        throw in.error(which + " holds " + values[i] + " at component " + i % width
            + "; Kiln needs finite values");
      }
    }
  }

  /** Faiss's Index header: d, ntotal, two unused values, is_trained, metric (and its argument). */
  private Header header(String what) throws IOException {
    int d = in.int32(what + " d");
    long ntotal = in.int64(what + " ntotal");
    in.int64(what + " header");
    in.int64(what + " header");
    int trained = in.int8(what + " is_trained");
    int metric = in.int32(what + " metric");
    if (metric > 1) {
      in.float32(what + " metric_arg");
    }
    if (d < 1 || ntotal < 0 || trained > 1) {
      throw in.error("bad " + what + " header (d=" + d + ", ntotal=" + ntotal + ", is_trained="
          + trained + "): not a Faiss index or damaged");
    }
    if (trained != 1) {
      throw in.error("the " + what + " is not trained");
    }
    return new Header(d, ntotal, metric);
  }

  private Metric metric(int m, String type) {
    return switch (m) {
      case FaissFormat.METRIC_L2 -> Metric.L2;
      case FaissFormat.METRIC_INNER_PRODUCT -> Metric.IP;
      default -> throw in.error(type + " with Faiss metric type " + m + " is not supported:"
          + " Kiln imports METRIC_L2 and METRIC_INNER_PRODUCT");
    };
  }

  /** DirectMap: type (0 none, 1 array, 2 hashtable), its array, and for a hashtable its pairs. */
  private void directMap() throws IOException {
    long at = in.position();
    int type = in.int8("direct map type");
    if (type > 2) {
      throw in.error("bad direct map type " + type + " at offset " + at);
    }
    long n = in.count("direct map", 8, false);
    in.skip(8 * n, "direct map");
    if (type == 2) {
      long pairs = in.count("direct map hashtable", 16, false);
      in.skip(16 * pairs, "direct map hashtable");
    }
  }

  private RuntimeException unsupported(int tag, long at) {
    String name = FaissFormat.tagName(tag);
    String known = FaissFormat.OTHER_TYPES.get(name);
    if (known == null) {
      return in.error("not a Faiss index file (unknown type tag '" + name + "' at offset " + at
          + ")");
    }
    return in.error("unsupported Faiss index type " + known + " ('" + name + "') at offset " + at
        + ": Kiln imports IndexIVFPQ ('IwPQ', 8-bit codes) and IndexIVFFlat ('IwFl'), optionally"
        + " inside an IndexIDMap");
  }
}
