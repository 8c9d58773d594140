package dev.kiln.job.read;

import java.io.Serializable;
import java.util.List;

/**
 * One canonical partition after the read pass: its valid items (one per id, normalized for
 * cosine), the rows of duplicated ids left out (kept only under {@code --on-duplicate keep-any},
 * for {@code _rejects/}), and what was counted. Cached as one object per partition, so the
 * counts come from the same pass that placed the items.
 */
public record ReadBlock(List<Item> items, List<InputRow> dropped, ReadCounts counts)
    implements Serializable {}
