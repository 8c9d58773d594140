/**
 * The index's file formats, specified in {@code index-format/FORMAT.md}: the layout of an index
 * root ({@link dev.kiln.format.IndexLayout}), the writers and readers of {@code model.kiln},
 * {@code shard-NNNNN.kiln}, {@code keys-NNNNN.kiln}, {@code refine-NNNNN.kiln} and
 * {@code graph-NNNNN.kiln} ({@link dev.kiln.format.GraphFile}), the
 * manifest ({@link dev.kiln.format.Manifest} and its sections {@link dev.kiln.format.ListStats},
 * {@link dev.kiln.format.BuildInfo}, {@link dev.kiln.format.Quality}), the index
 * description in Faiss notation ({@link dev.kiln.format.IndexSpec}), the HNSW graph section
 * ({@link dev.kiln.format.HnswSection}: over the centroids, or over a shard's items), the fast-scan block arrangement of 4-bit codes
 * ({@link dev.kiln.format.FastScanLayout}), metrics, id types, the shard hash, and
 * {@link dev.kiln.format.CorruptIndexException}.
 *
 * <p>May import: the JDK and Jackson only. It is the bottom of the module graph
 * (builder-job -> serving-loader -> index-format): nothing here knows how vectors are
 * quantized or searched, and no other Kiln package may be imported. Imports today: as allowed.
 */
package dev.kiln.format;
