/**
 * The loader: {@link dev.kiln.search.KilnIndex}, a facade that maps a published version
 * read-only ({@code VersionFiles}: resolution, manifest, cross-file checks) and answers top-k
 * queries through {@code Searcher}: prepare (the metric's {@code MetricStrategy}), probe
 * ({@code CoarseProber}), scan (one {@code ListScanner} per list encoding), collect
 * ({@code Candidates}, with filters; {@code FlatBounds} rules IVF-Flat items out before they are
 * scored), re-rank ({@code Reranker}, for refine) and map ({@code ItemRef}: shard and ordinal in
 * one long). What a version is: {@link dev.kiln.search.VersionInfo}. Also {@link dev.kiln.search.SearchParams},
 * {@link dev.kiln.search.IdFilter}, {@link dev.kiln.search.Neighbors}, and
 * {@link dev.kiln.search.QueryCheck}, the one rule for which query vectors are searchable (the
 * build applies it to its input rows too). A new list encoding is one {@code ListScanner} plus
 * one line in {@code ListScanner.of}.
 *
 * <p>May import: {@code dev.kiln.format}, {@code dev.kiln.quantize}, {@code dev.kiln.vector}.
 * Not {@code serve} (it wraps this package) nor builder-job; no Spark, Hadoop or Smile (the
 * loader jar has no such dependency). Imports today: as allowed.
 */
package dev.kiln.search;
