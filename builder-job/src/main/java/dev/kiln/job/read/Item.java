package dev.kiln.job.read;

import java.io.Serializable;

/**
 * One valid input row: its id (an int64 {@code id}, or a string {@code key} with id unused) and
 * its vector, already normalized for cosine.
 */
public record Item(long id, String key, float[] vector) implements Serializable {}
