/**
 * The loader: {@link dev.kiln.search.KilnIndex} maps a published version read-only, checks its
 * files against one another and answers top-k queries (flat and PQ scans, refine, filters,
 * batch search); {@link dev.kiln.search.SearchParams}, {@link dev.kiln.search.IdFilter},
 * {@link dev.kiln.search.Neighbors}, and {@link dev.kiln.search.QueryCheck}, the one rule for
 * which query vectors are searchable (the build applies it to its input rows too).
 *
 * <p>May import: {@code dev.kiln.format}, {@code dev.kiln.quantize}, {@code dev.kiln.vector}.
 * Not {@code serve} (it wraps this package) nor builder-job; no Spark, Hadoop or Smile (the
 * loader jar has no such dependency). Imports today: as allowed.
 */
package dev.kiln.search;
