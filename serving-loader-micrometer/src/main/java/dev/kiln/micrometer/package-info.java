/**
 * The optional Micrometer binding of the loader's serving metrics
 * ({@link dev.kiln.micrometer.KilnServingMetrics}).
 *
 * <p>May import: {@code dev.kiln.serve} and Micrometer; nothing else of Kiln.
 */
package dev.kiln.micrometer;
