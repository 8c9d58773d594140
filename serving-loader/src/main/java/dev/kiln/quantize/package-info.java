/**
 * The quantizers, shared by the build and the loader so they cannot disagree about a code or a
 * score: the coarse (IVF) quantizer and its probers (every centroid scored; the same answer
 * bounded first in the centroids' principal subspace, {@link dev.kiln.quantize.SubspaceProber},
 * into which {@link dev.kiln.quantize.SubspaceLifter} lifts many vectors at once;
 * a walk of the HNSW graph over them) and {@link dev.kiln.quantize.CoarseAssigner} (many
 * vectors to their nearest list), the product quantizer and its query tables,
 * the SQ8 scalar quantizer of refine vectors, {@link dev.kiln.quantize.IndexModel} (a model file
 * made usable: assign, encode, normalize) and {@link dev.kiln.quantize.TopK}, the bounded heap
 * of the scans.
 *
 * <p>May import: {@code dev.kiln.format} and {@code dev.kiln.vector}. Not {@code search} or
 * {@code serve} (they use it), nor anything of builder-job. Imports today: as allowed.
 */
package dev.kiln.quantize;
