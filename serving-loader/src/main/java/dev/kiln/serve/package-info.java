/**
 * Serving that never stops: {@link dev.kiln.serve.ServingIndex} holds the serving version with a
 * reference count and publishes it with its fresh set in one volatile write
 * ({@code PublishedState}), swaps in new versions off the query path ({@code VersionSwaps}), and
 * searches a set of fresh upserts and deletes beside the static version ({@code FreshItems},
 * {@code FreshMerge}); its options, metrics and swap records, and {@link
 * dev.kiln.serve.VersionPin}, a version held open across calls. The static version's query
 * preparation and probe come from {@code KilnIndex.probe}, so both paths pick the same lists.
 *
 * <p>May import: {@code dev.kiln.search}, {@code dev.kiln.quantize}, {@code dev.kiln.vector},
 * {@code dev.kiln.format}; nothing of builder-job. Imports today: as allowed.
 */
package dev.kiln.serve;
