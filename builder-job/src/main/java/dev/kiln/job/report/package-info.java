/**
 * {@link dev.kiln.job.report.BuildReport}: the self-contained {@code report.html} of a version
 * (recall-vs-QPS plot, stage times, list-size histogram, rejects, parameters; XChart PNGs
 * inlined), written at build and import time and again by {@code kiln report}.
 *
 * <p>May import: {@code dev.kiln.format} and XChart; not {@code dev.kiln.cli} or the
 * orchestrator. Imports today: {@code format}, XChart, and also {@code job.publish}
 * (Publisher, the staging directory it writes into).
 */
package dev.kiln.job.report;

// TODO(issue 15): takes a Publisher only to write one file into staging; the storage layer's
// atomic write should replace that dependency.
