/**
 * The {@code kiln} command line (picocli): {@link dev.kiln.cli.KilnCli} and one class per
 * command (build, search, inspect, report, convert, bench, kmeans-bench, sample, sync,
 * export-faiss, import-faiss), options and output, and the mapping of failures to exit codes.
 *
 * <p>May import: everything (it is the top of the graph); nothing imports it. It is the only
 * package that knows exit codes ({@link dev.kiln.cli.ExitCodes} maps each
 * {@code dev.kiln.errors} kind to one).
 */
package dev.kiln.cli;
