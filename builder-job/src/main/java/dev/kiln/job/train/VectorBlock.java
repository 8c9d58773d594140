package dev.kiln.job.train;

import java.io.Serializable;

/**
 * Many vectors in one row-major float array: the layout the distance kernels want, and far
 * fewer objects to cache and serialize than one per row.
 *
 * @param partition the Spark partition it came from (orders blocks deterministically)
 * @param rows number of vectors
 * @param dim dimension
 * @param data rows x dim floats
 */
public record VectorBlock(int partition, int rows, int dim, float[] data) implements Serializable {}
