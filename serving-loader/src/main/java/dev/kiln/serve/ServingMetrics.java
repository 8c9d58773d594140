package dev.kiln.serve;

/**
 * What a {@link ServingIndex} has done, read at one moment, for the host service to publish in
 * whatever metrics system it uses.
 *
 * @param version the version serving now
 * @param queries searches answered
 * @param failedQueries searches that threw (a bad query: wrong dimension, k below 1, wrong filter)
 * @param latency latencies of the answered searches
 * @param swaps versions swapped in since open (the first one does not count)
 * @param failedSwaps versions refused (failed to open or verify, or did not fit)
 * @param lastSwapFailure the latest refusal, or null
 * @param freshItems items upserted and not yet covered by a version
 * @param deletedIds deletes not yet covered by a version (each masks its id)
 * @param drainingVersions retired versions still open because queries on them have not ended
 */
public record ServingMetrics(
    String version,
    long queries,
    long failedQueries,
    LatencyHistogram.Snapshot latency,
    long swaps,
    long failedSwaps,
    SwapFailure lastSwapFailure,
    int freshItems,
    int deletedIds,
    int drainingVersions) {}
