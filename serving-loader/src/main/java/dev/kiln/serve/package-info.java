/**
 * Serving that never stops: {@link dev.kiln.serve.ServingIndex} holds the serving version with a
 * reference count, swaps in new versions off the query path, and searches a set of fresh
 * upserts and deletes beside the static version; its options, metrics and swap records.
 *
 * <p>May import: {@code dev.kiln.search}, {@code dev.kiln.quantize}, {@code dev.kiln.vector},
 * {@code dev.kiln.format}; nothing of builder-job. Imports today: as allowed. It repeats part
 * of {@code KilnIndex}'s query preparation (nprobe, cosine normalisation, the probe) through
 * {@code quantize.CoarseQuantizer} and {@code IndexModel} rather than through {@code search}.
 */
package dev.kiln.serve;

// TODO(issue 15): share the probe with KilnIndex (one CoarseQuantizer seam) instead of
// recomputing nprobe, normalisation and the probe in ServingIndex.merge.
