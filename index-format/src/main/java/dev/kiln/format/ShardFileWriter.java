package dev.kiln.format;

import static dev.kiln.format.ShardFile.DIRECTORY_ENTRY_BYTES;
import static dev.kiln.format.ShardFile.HEADER_BYTES;
import static dev.kiln.format.ShardFile.align8;
import static dev.kiln.format.ShardFile.blockBytes;

import java.io.IOException;

/**
 * Writes a {@link ShardFile} (current version), streamed: header and directory first (so list
 * sizes must be known up front), then items in list order, then the footer. Buffers the ids and
 * terms of one list at most, and for the fast-scan layout its codes (packed when it closes).
 */
public final class ShardFileWriter {
  private final FormatOutput out;
  private final int codeSize;
  private final boolean fastScan;
  /** Bytes an added code has: codeSize, or one byte per sub-space (M) for fast-scan. */
  private final int addedCodeSize;
  private final boolean withTerms;
  private final IdType idType;
  private final long[] listSizes;
  private final long[] blockOffsets;
  private int list = -1;
  private int inList;
  private long[] ids = new long[0];
  private float[] terms = new float[0];
  /** Fast-scan: the list's codes as added (M bytes each), and their packed blocks. */
  private byte[] listCodes = new byte[0];
  private byte[] packed = new byte[0];
  private long lastId;

  /**
   * With {@code withTerms} the shard stores each item's L2 term (PQ codes under l2); without, it
   * stores none (Flat, inner product).
   *
   * @param out where to write, at its start
   * @param shard this shard's number, {@code 0 <= shard < shardCount}
   * @param shardCount shards in the version, at least 1
   * @param dim the vector dimension d
   * @param codeSize bytes per item: M for PQ, {@code 4 * d} for Flat, d for SQ8
   * @param withTerms whether each item's L2 term is stored
   * @param idType {@link IdType#LONG} to store int64 ids here; {@link IdType#STRING} when
   *     the keys go to a keys file
   * @param modelChecksum the CRC32C of the version's {@code model.kiln}
   * @param listSizes the items each list will get, in list order (copied)
   * @throws IOException when writing the header and directory fails
   */
  public ShardFileWriter(
      FormatOutput out,
      int shard,
      int shardCount,
      int dim,
      int codeSize,
      boolean withTerms,
      IdType idType,
      int modelChecksum,
      long[] listSizes)
      throws IOException {
    this(out, shard, shardCount, dim, codeSize, false, withTerms, idType, modelChecksum,
        listSizes);
  }

  /**
   * With {@code fastScan}, the codes are 4-bit codes of {@code 2 x codeSize} sub-spaces, added
   * one byte per sub-space (values 0-15) and written in {@link FastScanLayout} blocks. A
   * sub-code above 15 is refused with an {@link IllegalArgumentException} when its list is
   * packed: by the {@code add} that starts a later list, or by {@link #finish()}.
   *
   * @param out where to write, at its start
   * @param shard this shard's number, {@code 0 <= shard < shardCount}
   * @param shardCount shards in the version, at least 1
   * @param dim the vector dimension d
   * @param codeSize bytes per item as stored: M for 8-bit PQ, {@code 4 * d} for Flat, d for
   *     SQ8; M/2 with {@code fastScan}
   * @param fastScan whether the codes are 4-bit, in fast-scan blocks
   * @param withTerms whether each item's L2 term is stored
   * @param idType {@link IdType#LONG} to store int64 ids here; {@link IdType#STRING} when
   *     the keys go to a keys file
   * @param modelChecksum the CRC32C of the version's {@code model.kiln}
   * @param listSizes the items each list will get, in list order (copied)
   * @throws IOException when writing the header and directory fails
   */
  public ShardFileWriter(
      FormatOutput out,
      int shard,
      int shardCount,
      int dim,
      int codeSize,
      boolean fastScan,
      boolean withTerms,
      IdType idType,
      int modelChecksum,
      long[] listSizes)
      throws IOException {
    this.out = out;
    this.codeSize = codeSize;
    this.fastScan = fastScan;
    this.addedCodeSize = fastScan ? 2 * codeSize : codeSize;
    this.withTerms = withTerms;
    this.idType = idType;
    this.listSizes = listSizes.clone();
    int nlist = listSizes.length;
    long count = 0;
    blockOffsets = new long[nlist];
    long at = FileFormat.align(HEADER_BYTES + (long) nlist * DIRECTORY_ENTRY_BYTES);
    for (int l = 0; l < nlist; l++) {
      blockOffsets[l] = at;
      at = FileFormat.align(
          at + blockBytes(listSizes[l], codeSize, fastScan, withTerms ? 4 : 0, idType));
      count += listSizes[l];
    }
    out.writeHeaderStart(FileFormat.KIND_SHARD);
    out.writeInt(shard);
    out.writeInt(shardCount);
    out.writeInt(nlist);
    out.writeInt(dim);
    out.writeInt(codeSize);
    out.writeInt(idType.code);
    out.writeInt(modelChecksum);
    out.writeLong(count);
    out.writeLong(HEADER_BYTES);
    out.writeInt(withTerms ? 4 : 0);
    out.writeInt(fastScan ? 1 : 0);
    long first = 0;
    for (int l = 0; l < nlist; l++) {
      out.writeLong(blockOffsets[l]);
      out.writeLong(first);
      out.writeLong(listSizes[l]);
      first += listSizes[l];
    }
  }

  /**
   * {@link #add(int, long, byte[], float)} for a shard without terms.
   *
   * @param itemList the item's list
   * @param id the item's id
   * @param code the item's code, {@code codeSize} bytes; with fast-scan one byte per sub-space
   *     (0-15), {@code 2 * codeSize} bytes
   * @throws IllegalStateException when the shard stores terms, or as
   *     {@link #add(int, long, byte[], float)}
   * @throws IllegalArgumentException when {@code code} has the wrong length
   * @throws IOException when writing fails
   */
  public void add(int itemList, long id, byte[] code) throws IOException {
    requireNoTerms();
    add(itemList, id, code, 0f);
  }

  /**
   * Adds the next item of a shard with int64 ids; items come in (list, id) order. {@code term} is
   * the item's L2 term, stored when the shard has terms (else not used).
   *
   * @param itemList the item's list, at least the previous item's
   * @param id the item's id, above the previous one's in the same list
   * @param code the item's code, {@code codeSize} bytes; with fast-scan one byte per sub-space
   *     (0-15), {@code 2 * codeSize} bytes
   * @param term the item's L2 term
   * @throws IllegalStateException when the shard stores string keys, {@code itemList} is out of
   *     range or before the previous item's, {@code id} does not ascend within the list, or
   *     the item does not fit the announced list sizes
   * @throws IllegalArgumentException when {@code code} has the wrong length
   * @throws IOException when writing fails
   */
  public void add(int itemList, long id, byte[] code, float term) throws IOException {
    if (idType != IdType.LONG) {
      throw new IllegalStateException("this shard stores string keys: use add(list, code)");
    }
    advanceTo(itemList);
    if (inList > 0 && id <= lastId) {
      throw new IllegalStateException("ids must ascend within list " + itemList);
    }
    writeCode(code, term); // checks the code and the announced size before the id is kept
    lastId = id;
    ids[inList - 1] = id;
  }

  /**
   * {@link #add(int, byte[], float)} for a shard without terms.
   *
   * @param itemList the item's list
   * @param code the item's code, {@code codeSize} bytes; with fast-scan one byte per sub-space
   *     (0-15), {@code 2 * codeSize} bytes
   * @throws IllegalStateException when the shard stores terms, or as
   *     {@link #add(int, byte[], float)}
   * @throws IllegalArgumentException when {@code code} has the wrong length
   * @throws IOException when writing fails
   */
  public void add(int itemList, byte[] code) throws IOException {
    requireNoTerms();
    add(itemList, code, 0f);
  }

  /**
   * Adds the next item of a shard with string keys (written to the keys file in order);
   * {@code term} as for {@link #add(int, long, byte[], float)}.
   *
   * @param itemList the item's list, at least the previous item's
   * @param code the item's code, {@code codeSize} bytes; with fast-scan one byte per sub-space
   *     (0-15), {@code 2 * codeSize} bytes
   * @param term the item's L2 term
   * @throws IllegalStateException when the shard stores int64 ids, {@code itemList} is out of
   *     range or before the previous item's, or the item does not fit the announced list
   *     sizes
   * @throws IllegalArgumentException when {@code code} has the wrong length
   * @throws IOException when writing fails
   */
  public void add(int itemList, byte[] code, float term) throws IOException {
    if (idType != IdType.STRING) {
      throw new IllegalStateException("this shard stores int64 ids: use add(list, id, code)");
    }
    advanceTo(itemList);
    writeCode(code, term);
  }

  private void requireNoTerms() {
    if (withTerms) {
      throw new IllegalStateException("this shard stores L2 terms: add each item with its term");
    }
  }

  private void writeCode(byte[] code, float term) throws IOException {
    if (code.length != addedCodeSize) {
      throw new IllegalArgumentException(
          "code has " + code.length + " bytes, expected " + addedCodeSize);
    }
    if (inList >= listSizes[list]) {
      throw new IllegalStateException("list " + list + " has more items than announced");
    }
    if (fastScan) {
      System.arraycopy(code, 0, listCodes, inList * addedCodeSize, addedCodeSize);
    } else {
      out.writeBytes(code);
    }
    if (withTerms) {
      terms[inList] = term;
    }
    inList++;
  }

  private void advanceTo(int itemList) throws IOException {
    if (itemList < 0 || itemList < list || itemList >= listSizes.length) {
      throw new IllegalStateException("items must come in list order; got list " + itemList
          + " after " + list);
    }
    if (itemList == list) {
      return;
    }
    closeList();
    while (list < itemList) {
      list++;
      inList = 0;
      if (list < itemList && listSizes[list] != 0) {
        throw new IllegalStateException("list " + list + " announced items but got none");
      }
    }
    out.padTo(blockOffsets[list]);
    if (idType == IdType.LONG && ids.length < listSizes[list]) {
      ids = new long[(int) listSizes[list]];
    }
    if (withTerms && terms.length < listSizes[list]) {
      terms = new float[(int) listSizes[list]];
    }
    if (fastScan && listCodes.length < listSizes[list] * addedCodeSize) {
      listCodes = new byte[(int) listSizes[list] * addedCodeSize];
      packed = new byte[(int) FastScanLayout.codesBytes(listSizes[list], addedCodeSize)];
    }
  }

  private void closeList() throws IOException {
    if (list < 0) {
      return;
    }
    if (inList != listSizes[list]) {
      throw new IllegalStateException(
          "list " + list + " announced " + listSizes[list] + " items but got " + inList);
    }
    if (fastScan && inList > 0) {
      FastScanLayout.pack(listCodes, inList, addedCodeSize, packed);
      out.writeBytes(packed, 0, (int) FastScanLayout.codesBytes(inList, addedCodeSize));
    }
    if (withTerms) {
      out.padTo(align8(out.position()));
      out.writeFloats(terms, 0, inList);
    }
    if (idType == IdType.LONG) {
      out.padTo(align8(out.position()));
      for (int i = 0; i < inList; i++) {
        out.writeLong(ids[i]);
      }
    }
  }

  /**
   * Checks every announced item came, pads the last block and writes the footer; does not
   * close the stream.
   *
   * @return the CRC32C written in the footer
   * @throws IllegalStateException when a list got fewer items than announced
   * @throws IOException when writing fails
   */
  public int finish() throws IOException {
    closeList();
    for (int l = list + 1; l < listSizes.length; l++) {
      if (listSizes[l] != 0) {
        throw new IllegalStateException("list " + l + " announced items but got none");
      }
    }
    out.align();
    out.finish();
    return out.checksum();
  }
}
