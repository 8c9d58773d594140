package dev.kiln.search;

/**
 * How {@link KilnIndex#open(java.nio.file.Path, OpenOptions)} opens a version.
 * {@link #verifyChecksums} reads every byte once to check each file's CRC32C
 * against its footer and the manifest. Without it, open checks headers, directories and how
 * the files fit together, but not the bodies: a damaged code, centroid or id is served as it
 * reads (a wrong answer, never a crash). Verify where files may have been damaged since they
 * were published (a copy, a disk error); {@code kiln sync} always does.
 *
 * <p>{@link #inHeap} reads the files into the Java heap instead of mapping them, as Faiss's
 * {@code read_index} does: the heap must hold the whole index (its bytes on disk), and IVF-Flat
 * shards twice (their lists are also kept as a {@code float[]}, which JDK 17's Vector API loads
 * with fewer instructions than a buffer); open reads it all, and every process holds its own
 * copy rather than sharing the page cache. In return list scans run faster on JDK 17
 * (Fashion-MNIST {@code IVF1024,Flat}, one query a call, nprobe 16: 5.3-5.4k QPS against
 * 4.0-4.1k mapped, with {@code -XX:+UseTransparentHugePages}; with the heap's 4 KiB pages
 * 4.9-5.1k against 5.6-5.9k in session 36; README "Benchmarks"). Answers are the same either
 * way, bit for bit.
 *
 * <p>{@link #flatPruning} (on by default) lets an L2 IVF-Flat scan skip the items that cannot
 * enter the top k, from a lower bound on their distance (FlatBounds: each item lifted into the
 * centroids' principal subspace at open, {@code rank + 1} floats an item in the heap, about 4%
 * of a 784-d vector). The answer is the full scan's, bit for bit. Off, open reads no lists and
 * the heap holds nothing per item.
 *
 * @param verifyChecksums whether open reads every file whole to check its CRC32C (slower: time
 *     grows with the index's size)
 * @param inHeap whether open reads each file into a heap buffer (true) or maps it (false)
 * @param flatPruning whether L2 IVF-Flat scans skip items by a lower bound (see above)
 */
public record OpenOptions(boolean verifyChecksums, boolean inHeap, boolean flatPruning) {
  /**
   * Options with {@link #flatPruning} on.
   *
   * @param verifyChecksums whether open reads every file whole to check its CRC32C
   * @param inHeap whether open reads each file into a heap buffer (true) or maps it (false)
   */
  public OpenOptions(boolean verifyChecksums, boolean inHeap) {
    this(verifyChecksums, inHeap, true);
  }

  /**
   * Options that map the files (not {@link #inHeap}), with {@link #flatPruning} on.
   *
   * @param verifyChecksums whether open reads every file whole to check its CRC32C
   */
  public OpenOptions(boolean verifyChecksums) {
    this(verifyChecksums, false);
  }

  /**
   * No checksum pass: headers, directories and how the files fit together only; files mapped;
   * IVF-Flat pruning on.
   *
   * @return options with {@code verifyChecksums} and {@code inHeap} false, {@code flatPruning}
   *     true
   */
  public static OpenOptions defaults() {
    return new OpenOptions(false, false);
  }

  /**
   * These options with the files read into the Java heap, or mapped.
   *
   * @param inHeap true to read each file into a heap buffer at open, false to map it
   * @return the new options
   */
  public OpenOptions withInHeap(boolean inHeap) {
    return new OpenOptions(verifyChecksums, inHeap, flatPruning);
  }

  /**
   * These options with IVF-Flat pruning on or off.
   *
   * @param flatPruning true to bound items' distances and skip those that cannot enter the top
   *     k (the default), false to score every item of a probed list
   * @return the new options
   */
  public OpenOptions withFlatPruning(boolean flatPruning) {
    return new OpenOptions(verifyChecksums, inHeap, flatPruning);
  }
}
