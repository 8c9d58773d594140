package dev.kiln.job.encode;

import java.io.Serializable;

/**
 * An item ready to be written: its shard, its list, its id (int64 {@code id} or string
 * {@code key}) and its code (PQ code of the residual, or the float32 vector for Flat), followed,
 * when the index has a refine stage, by its refine vector.
 */
public record EncodedItem(int shard, int list, long id, String key, byte[] code)
    implements Serializable {}
