/**
 * {@link dev.kiln.job.report.BuildReport}: the self-contained {@code report.html} of a version
 * (recall-vs-QPS plot, stage times, list-size histogram, rejects, parameters; XChart PNGs
 * inlined), written at build and import time and again by {@code kiln report}.
 *
 * <p>May import: {@code dev.kiln.format} and XChart; it writes through a
 * {@link dev.kiln.job.report.BuildReport.Sink} (the publisher's staging directory), so it
 * imports no stage, not the orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.report;
