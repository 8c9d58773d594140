/**
 * Library code behind the command-line tools: {@code .fvecs}/{@code .ivecs} files ({@code Vecs}),
 * their conversion to Parquet ({@code Convert}), the synthetic data set with its exact neighbours
 * ({@code SyntheticData}), timed query runs through the loader ({@code QueryRun}), fresh items
 * upserted into a serving handle ({@code FreshRun}), how much of a mapped index sits in 2 MiB
 * pages ({@code MappedPages}) and the one
 * definition of recall ({@code Recall}, also used by the build's evaluation).
 *
 * <p>May import: {@code dev.kiln.errors}, {@code dev.kiln.format}, {@code dev.kiln.search},
 * {@code dev.kiln.serve} (the fresh set, {@code FreshRun}) and
 * Spark; nothing in {@code dev.kiln.cli}: commands call this package, not the other way round.
 */
package dev.kiln.tools;
