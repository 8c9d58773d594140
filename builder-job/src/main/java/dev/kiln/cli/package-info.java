/**
 * The {@code kiln} command line (picocli): {@link dev.kiln.cli.KilnCli} and one class per
 * command (build, search, inspect, report, convert, bench, kmeans-bench, sample, sync,
 * export-faiss, import-faiss), options and output, and the mapping of failures to exit codes.
 *
 * <p>May import: everything (it is the top of the graph); nothing imports it. Imports today:
 * {@code format}, {@code search}, {@code dev.kiln.job} and its stages ({@code read},
 * {@code train}, {@code evaluate}, {@code plan}, {@code report}), {@code faiss}, Spark, Hadoop.
 */
package dev.kiln.cli;

// TODO(issue 15): holds library code that belongs below it: fvecs I/O (Vecs, Convert), query
// runs and recall (QueryRun, which repeats LoaderEvaluation's recall), sample generation
// (SampleCommand), and SyncCommand's Hadoop copy, rename and manifest checks (checkEntries
// repeats Manifest.checkFiles).
