package dev.kiln.faiss;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Constants of Faiss's own index serialization (faiss 1.7.x, {@code faiss/impl/index_write.cpp}),
 * for the subset Kiln reads and writes: {@code IndexIVFPQ}, {@code IndexIVFFlat}, their flat coarse
 * quantizer, {@code IndexIDMap}/{@code IndexIDMap2} and {@code ArrayInvertedLists} stored inline.
 *
 * <p>Every value is little-endian. An object starts with a four-character tag (the "fourcc",
 * its four ASCII bytes in file order); C++ {@code size_t} and {@code idx_t} are 8 bytes, {@code
 * int} and the metric enum 4 bytes, {@code bool} and {@code char} 1 byte. A vector is its element
 * count (8 bytes) followed by the elements. See {@code docs/FAISS.md} for the layout.
 */
final class FaissFormat {
  private FaissFormat() {}

  static final int IVF_PQ = fourcc("IwPQ");
  static final int IVF_FLAT = fourcc("IwFl");
  static final int FLAT_L2 = fourcc("IxF2");
  static final int FLAT_IP = fourcc("IxFI");
  static final int FLAT = fourcc("IxFl");
  static final int HNSW_FLAT = fourcc("IHNf");
  static final int ID_MAP = fourcc("IxMp");
  static final int ID_MAP2 = fourcc("IxM2");
  static final int ARRAY_LISTS = fourcc("ilar");
  static final int NO_LISTS = fourcc("il00");
  static final int LISTS_FULL = fourcc("full");
  static final int LISTS_SPARSE = fourcc("sprs");

  /** Faiss's {@code MetricType}. */
  static final int METRIC_INNER_PRODUCT = 0;
  static final int METRIC_L2 = 1;

  /** The two header values Faiss writes as "dummy" (formerly the index's max codes). */
  static final long DUMMY = 1L << 20;

  /** 8-bit PQ codes: 256 centroids per sub-space. */
  static final int PQ_BITS = 8;

  /** Tags Faiss knows that Kiln does not import, for a message that names the type. */
  static final Map<String, String> OTHER_TYPES = Map.ofEntries(
      Map.entry("IvPQ", "IndexIVFPQ (legacy format before faiss 1.5)"),
      Map.entry("IvFl", "IndexIVFFlat (legacy format before faiss 1.5)"),
      Map.entry("IvFL", "IndexIVFFlat (legacy format before faiss 1.5)"),
      Map.entry("IwQR", "IndexIVFPQR"),
      Map.entry("IvQR", "IndexIVFPQR"),
      Map.entry("IwFd", "IndexIVFFlatDedup"),
      Map.entry("IwSq", "IndexIVFScalarQuantizer"),
      Map.entry("IvSQ", "IndexIVFScalarQuantizer"),
      Map.entry("IwSh", "IndexIVFSpectralHash"),
      Map.entry("IwRQ", "IndexIVFResidualQuantizer"),
      Map.entry("IwLS", "IndexIVFLocalSearchQuantizer"),
      Map.entry("IwPR", "IndexIVFProductResidualQuantizer"),
      Map.entry("IwPL", "IndexIVFProductLocalSearchQuantizer"),
      Map.entry("IwXF", "IndexIVFAdditiveQuantizerFastScan"),
      Map.entry("IwPf", "IndexIVFPQFastScan"),
      Map.entry("IxF2", "IndexFlatL2"),
      Map.entry("IxFI", "IndexFlatIP"),
      Map.entry("IxFl", "IndexFlat"),
      Map.entry("IxPq", "IndexPQ"),
      Map.entry("IxPQ", "IndexPQ"),
      Map.entry("IxSQ", "IndexScalarQuantizer"),
      Map.entry("IxSq", "IndexScalarQuantizer"),
      Map.entry("IxHe", "IndexLSH"),
      Map.entry("IxHE", "IndexLSH"),
      Map.entry("IxPT", "IndexPreTransform"),
      Map.entry("IxRF", "IndexRefine"),
      Map.entry("IxRe", "IndexRefineFlat"),
      Map.entry("Imiq", "MultiIndexQuantizer"),
      Map.entry("IHNf", "IndexHNSWFlat"),
      Map.entry("IHNp", "IndexHNSWPQ"),
      Map.entry("IHNs", "IndexHNSWSQ"),
      Map.entry("IHN2", "IndexHNSW2Level"),
      Map.entry("INSf", "IndexNSGFlat"),
      Map.entry("IxMp", "IndexIDMap"),
      Map.entry("IxM2", "IndexIDMap2"),
      Map.entry("IBxF", "IndexBinaryFlat"),
      Map.entry("IBwF", "IndexBinaryIVF"));

  /** The tag as Faiss computes it: the four bytes in file order, read as a little-endian int. */
  static int fourcc(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    if (b.length != 4) {
      throw new IllegalArgumentException("a fourcc has four characters: " + s);
    }
    return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
  }

  /** The tag as text, non-printable bytes as {@code \xNN}. */
  static String tagName(int tag) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      int c = (tag >>> (8 * i)) & 0xff;
      if (c >= 0x20 && c < 0x7f) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }
}
