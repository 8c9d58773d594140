package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@code graph-NNNNN.kiln}: the HNSW graph over one shard's items, for {@code HNSW{M}}. Node
 * {@code o} is the shard's item of ordinal {@code o} (its one list, in id order), whose vector
 * (float32, or SQ8 codes for {@code HNSW{M},SQ8}) is in the shard file. The graph is read in
 * place from the mapped file. Layout, format version 3 (the first with graph files;
 * little-endian):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "GRPH"
 * 8       4     version (3)
 * 12      4     shard: the shard whose items are the nodes
 * 16      4     count: nodes (the shard's item count)
 * 20      4     modelChecksum: CRC32C of the model.kiln of the version
 * 24      8     graphOffset: the {@link HnswSection} (64)
 * 32      32    reserved (0)
 * 64            the HNSW section, then the footer (see {@link FileFormat})
 * </pre>
 *
 * An empty shard has no graph: count 0, graphOffset 0.
 */
public final class GraphFile {
  static final int HEADER_BYTES = 64;

  /**
   * The name of shard {@code shard}'s graph file.
   *
   * @param shard the shard number, at least 0
   * @return {@code graph-NNNNN.kiln}, the number zero-padded to at least 5 digits
   */
  public static String fileName(int shard) {
    return String.format("graph-%05d.kiln", shard);
  }

  private final String name;
  private final int shard;
  private final int count;
  private final int modelChecksum;
  private final HnswSection graph;

  private GraphFile(String name, ByteBuffer b) throws CorruptIndexException {
    this.name = name;
    long contentEnd = b.limit() - FileFormat.FOOTER_BYTES;
    if (contentEnd < HEADER_BYTES) {
      throw new CorruptIndexException(name, "header truncated");
    }
    shard = b.getInt(12);
    count = b.getInt(16);
    modelChecksum = b.getInt(20);
    long at = b.getLong(24);
    if (shard < 0 || count < 0) {
      throw new CorruptIndexException(name, "bad header: shard=" + shard + " count=" + count);
    }
    if (count == 0) {
      if (at != 0) {
        throw new CorruptIndexException(name, "an empty shard's graph file holds a graph");
      }
      graph = null;
    } else {
      if (at != HEADER_BYTES) {
        throw new CorruptIndexException(name, "graphOffset is " + at + ", expected "
            + HEADER_BYTES);
      }
      graph = HnswSection.read(b, name, at, contentEnd, count);
    }
  }

  /**
   * Opens a graph file over a buffer holding the whole file; checks every field.
   *
   * @param file the whole file, normally a read-only mapping; the graph stays a view of it
   * @param name the file's name, for messages
   * @return the opened file
   * @throws CorruptIndexException naming the file when a check fails
   */
  public static GraphFile open(ByteBuffer file, String name) throws CorruptIndexException {
    return new GraphFile(name, FileFormat.openChecked(file, FileFormat.KIND_GRAPH, name));
  }

  /**
   * Writes the graph file of {@code shard} ({@code graph} null for an empty shard).
   *
   * @param out where to write, at its start; finished (footer written) but not closed
   * @param shard the shard whose items are the nodes
   * @param modelChecksum the CRC32C of the version's {@code model.kiln}
   * @param graph the graph over the shard's items, node {@code o} being ordinal {@code o};
   *     null for an empty shard
   * @return the CRC32C written in the footer
   * @throws IOException when writing fails
   */
  public static int write(FormatOutput out, int shard, int modelChecksum, HnswSection graph)
      throws IOException {
    out.writeHeaderStart(FileFormat.KIND_GRAPH);
    out.writeInt(shard);
    out.writeInt(graph == null ? 0 : graph.nodes());
    out.writeInt(modelChecksum);
    out.writeLong(graph == null ? 0 : HEADER_BYTES);
    out.padTo(HEADER_BYTES);
    if (graph != null) {
      graph.write(out);
    }
    out.align();
    out.finish();
    return out.checksum();
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
   * The shard whose items are the nodes.
   *
   * @return the shard number
   */
  public int shard() {
    return shard;
  }

  /**
   * Nodes: the shard's items.
   *
   * @return the node count, 0 for an empty shard
   */
  public int count() {
    return count;
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
   * The graph, views of the mapped file; null for an empty shard.
   *
   * @return the graph over the shard's items, or null
   */
  public HnswSection graph() {
    return graph;
  }
}
