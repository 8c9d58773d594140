package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A manifest's {@code lists} object ({@link Manifest#lists}): statistics of the inverted lists'
 * sizes (items per list, summed over the shards). Fields absent from a manifest read as null; {@code nlist} and {@code p99}
 * are absent from manifests written before builds recorded them (the v1 fixtures).
 *
 * @param empty how many lists hold no item
 * @param max items in the largest list
 * @param mean mean items per list
 * @param min items in the smallest list
 * @param nlist number of lists
 * @param p99 99th percentile, nearest rank: 99% of the lists hold at most this many items
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"empty", "max", "mean", "min", "nlist", "p99"})
public record ListStats(Integer empty, Long max, Double mean, Long min, Integer nlist, Long p99) {}
