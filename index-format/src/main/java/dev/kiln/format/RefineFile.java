package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@code refine-NNNNN.kiln}: the vectors of one shard's items, stored again for re-ranking, in
 * the shard's ordinal order (list, then id), so item {@code o} of the shard is vector {@code o}
 * here. Present only when the index spec has a refine stage ({@code ,RFlat} or
 * {@code ,Refine(SQ8)}). Layout, the same in versions 1 to 3 (little-endian):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "RFIN"
 * 8       4     version (3 as written; 1 and 2 are read too)
 * 12      4     shard: the shard whose items these are
 * 16      4     dim
 * 20      4     encoding: 0 = float32 (RFlat), 1 = SQ8
 * 24      4     bytesPerVector: 4 x d for float32, d for SQ8
 * 28      4     modelChecksum: CRC32C of the model.kiln of the version
 * 32      8     count: vectors (the shard's item count)
 * 40      8     paramsOffset: SQ8 only, d f32 base then d f32 step (0 for float32)
 * 48      8     vectorsOffset: count x bytesPerVector
 * 56      8     reserved (0)
 * 64            sections, each at a multiple of 64
 *               footer (see {@link FileFormat})
 * </pre>
 *
 * SQ8 stores component j of a vector as a signed byte b with value {@code base[j] + b *
 * step[j]}: signed so that SIMD code can widen bytes to floats without masking. The builder
 * trains base and step on the training sample, so that the sample's range of each component maps
 * onto [-128, 127]; values outside it are clamped.
 */
public final class RefineFile {
  static final int HEADER_BYTES = 64;

  /**
   * The name of shard {@code shard}'s refine file.
   *
   * @param shard the shard number, at least 0
   * @return {@code refine-NNNNN.kiln}, the number zero-padded to at least 5 digits
   */
  public static String fileName(int shard) {
    return String.format("refine-%05d.kiln", shard);
  }

  private final String name;
  private final ByteBuffer buf;
  private final int shard;
  private final int dim;
  private final IndexSpec.Refine encoding;
  private final int modelChecksum;
  private final long count;
  private final float[] base;
  private final float[] step;
  private final int vectorsAt;

  private RefineFile(String name, ByteBuffer buf) throws CorruptIndexException {
    this.name = name;
    this.buf = buf;
    long contentEnd = buf.limit() - FileFormat.FOOTER_BYTES;
    if (contentEnd < HEADER_BYTES) {
      throw new CorruptIndexException(name, "header truncated");
    }
    shard = buf.getInt(12);
    dim = buf.getInt(16);
    encoding = IndexSpec.Refine.fromCode(buf.getInt(20), name);
    int bytesPerVector = buf.getInt(24);
    modelChecksum = buf.getInt(28);
    count = buf.getLong(32);
    long paramsAt = buf.getLong(40);
    long vectors = buf.getLong(48);
    // Bounded so that 4 x d fits an int; not by the content length, which an empty shard's
    // float32 file (64 header bytes, no vectors) may be smaller than d.
    if (shard < 0 || dim < 1 || dim > Integer.MAX_VALUE / Float.BYTES) {
      throw new CorruptIndexException(name, "bad header: shard=" + shard + " dim=" + dim);
    }
    if (bytesPerVector != encoding.bytesPerVector(dim)) {
      throw new CorruptIndexException(name, "bytesPerVector is " + bytesPerVector + ", expected "
          + encoding.bytesPerVector(dim) + " for " + encoding + " at d=" + dim);
    }
    if (count < 0 || count > contentEnd / bytesPerVector) {
      throw new CorruptIndexException(name, "bad vector count " + count);
    }
    FileFormat.checkSection(name, "vectors", vectors, count * bytesPerVector, contentEnd);
    vectorsAt = (int) vectors;
    if (encoding == IndexSpec.Refine.SQ8) {
      FileFormat.checkSection(name, "SQ8 parameters", paramsAt, 8L * dim, contentEnd);
      base = new float[dim];
      step = new float[dim];
      for (int j = 0; j < dim; j++) {
        base[j] = buf.getFloat((int) paramsAt + 4 * j);
        step[j] = buf.getFloat((int) paramsAt + 4 * (dim + j));
        if (!Float.isFinite(base[j]) || !Float.isFinite(step[j]) || step[j] < 0) {
          throw new CorruptIndexException(name, "bad SQ8 parameters for component " + j);
        }
      }
    } else {
      base = null;
      step = null;
    }
  }

  /**
   * Opens a refine file over a buffer holding the whole file; checks header and bounds only.
   *
   * @param file the whole file, normally a read-only mapping; vectors are read from it
   * @param name the file's name, for messages
   * @return the opened file
   * @throws CorruptIndexException naming the file when a check fails
   */
  public static RefineFile open(ByteBuffer file, String name) throws CorruptIndexException {
    return new RefineFile(name, FileFormat.openChecked(file, FileFormat.KIND_REFINE, name));
  }

  /**
   * The file's name, as given to {@link #open}.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The shard whose items' vectors these are.
   *
   * @return the shard number
   */
  public int shard() {
    return shard;
  }

  /**
   * The vector dimension.
   *
   * @return d, at least 1
   */
  public int dim() {
    return dim;
  }

  /**
   * How the vectors are stored.
   *
   * @return {@link IndexSpec.Refine#FLAT} or {@link IndexSpec.Refine#SQ8}
   */
  public IndexSpec.Refine encoding() {
    return encoding;
  }

  /**
   * The CRC32C of the {@code model.kiln} this file was written with.
   *
   * @return the checksum, to compare with {@link ModelFile#checksum()}
   */
  public int modelChecksum() {
    return modelChecksum;
  }

  /**
   * Number of vectors: the shard's item count.
   *
   * @return the count
   */
  public long count() {
    return count;
  }

  /**
   * SQ8 only: component j decodes as {@code base[j] + b * step[j]}. A copy.
   *
   * @return the d bases, or null for float32 vectors
   */
  public float[] sq8Base() {
    return base == null ? null : base.clone();
  }

  /**
   * SQ8 only: see {@link #sq8Base()}. A copy.
   *
   * @return the d steps, each finite and at least 0; null for float32 vectors
   */
  public float[] sq8Step() {
    return step == null ? null : step.clone();
  }

  /**
   * The whole file, little-endian; read-only views of it are safe to share between threads.
   *
   * @return a buffer over the file given to {@link #open}, to read at absolute offsets
   */
  public ByteBuffer buffer() {
    return buf;
  }

  /**
   * Absolute offset of vector {@code ordinal} in {@link #buffer()}.
   *
   * @param ordinal the item's ordinal in the shard, {@code 0 <= ordinal < count()} (not
   *     checked)
   * @return where its {@code bytesPerVector} bytes start
   */
  public int vectorOffset(long ordinal) {
    return (int) (vectorsAt + ordinal * encoding.bytesPerVector(dim));
  }

  /** Streams a refine file: vectors come in the shard's ordinal order. */
  public static final class Writer {
    private final FormatOutput out;
    private final int bytesPerVector;
    private final long count;
    private long n;

    /**
     * Writes the header and, for SQ8, the parameters; the vectors follow, one {@link #add}
     * each.
     *
     * @param out where to write, at its start
     * @param shard the shard whose items these are
     * @param dim the vector dimension d, at least 1
     * @param encoding {@link IndexSpec.Refine#FLAT} or {@link IndexSpec.Refine#SQ8}
     * @param modelChecksum the CRC32C of the version's {@code model.kiln}
     * @param count vectors to come: the shard's item count, at least 0
     * @param base SQ8 only (else null): per-component base, see {@link RefineFile}
     * @param step SQ8 only (else null): per-component step
     * @throws IllegalArgumentException for {@link IndexSpec.Refine#NONE}, a bad {@code dim}
     *     or {@code count}, or SQ8 parameters missing, not d of each, not finite or with a
     *     negative step; before anything is written
     * @throws IOException when writing fails
     */
    public Writer(FormatOutput out, int shard, int dim, IndexSpec.Refine encoding,
        int modelChecksum, long count, float[] base, float[] step) throws IOException {
      if (encoding == IndexSpec.Refine.NONE) {
        throw new IllegalArgumentException("no refine stage, no refine file");
      }
      boolean sq8 = encoding == IndexSpec.Refine.SQ8;
      if (sq8 != (base != null && step != null)
          || sq8 && (base.length != dim || step.length != dim)) {
        throw new IllegalArgumentException("SQ8 needs d base and d step values, float32 none");
      }
      if (dim < 1 || count < 0) {
        throw new IllegalArgumentException("bad refine file: dim=" + dim + " count=" + count);
      }
      // Refuse what every reader would refuse, before a byte is written.
      for (int j = 0; sq8 && j < dim; j++) {
        if (!Float.isFinite(base[j]) || !Float.isFinite(step[j]) || step[j] < 0) {
          throw new IllegalArgumentException("bad SQ8 parameters for component " + j + ": base "
              + base[j] + ", step " + step[j] + " (both must be finite, step at least 0)");
        }
      }
      this.out = out;
      this.bytesPerVector = encoding.bytesPerVector(dim);
      this.count = count;
      long paramsAt = sq8 ? HEADER_BYTES : 0;
      long vectorsAt = sq8 ? FileFormat.align(HEADER_BYTES + 8L * dim) : HEADER_BYTES;
      out.writeHeaderStart(FileFormat.KIND_REFINE);
      out.writeInt(shard);
      out.writeInt(dim);
      out.writeInt(encoding.code);
      out.writeInt(bytesPerVector);
      out.writeInt(modelChecksum);
      out.writeLong(count);
      out.writeLong(paramsAt);
      out.writeLong(vectorsAt);
      out.writeLong(0);
      if (sq8) {
        out.writeFloats(base);
        out.writeFloats(step);
      }
      out.padTo(vectorsAt);
    }

    /**
     * Adds the next vector, already encoded ({@code bytesPerVector} bytes).
     *
     * @param vector holds the encoded vector: 4 x d bytes of little-endian float32, or d SQ8
     *     bytes
     * @param off where the vector starts in {@code vector}
     * @throws IllegalStateException when the announced count has been written already
     * @throws IOException when writing fails
     */
    public void add(byte[] vector, int off) throws IOException {
      if (n >= count) {
        throw new IllegalStateException("more vectors than the " + count + " announced");
      }
      out.writeBytes(vector, off, bytesPerVector);
      n++;
    }

    /**
     * Pads the last section and writes the footer; does not close the stream.
     *
     * @return the CRC32C written in the footer
     * @throws IllegalStateException when fewer vectors came than announced
     * @throws IOException when writing fails
     */
    public int finish() throws IOException {
      if (n != count) {
        throw new IllegalStateException("announced " + count + " vectors, got " + n);
      }
      out.align();
      out.finish();
      return out.checksum();
    }
  }
}
