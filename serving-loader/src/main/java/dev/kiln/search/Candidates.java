package dev.kiln.search;

import dev.kiln.format.KeysFile;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.TopK;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * Where a scan's distances go: the best (distance, ref) pairs, through the query's filter. A ref
 * is the int64 id, or an {@link ItemRef} (shard, ordinal) for string keys and for refine. One
 * per thread, {@link #start started} for each query with its size and filter.
 */
final class Candidates {
  private final TopK top = new TopK();
  private final boolean ordinalRefs;
  private final KeysFile[] keys;
  /** The query's filter, split by id kind; {@code filtered} picks the loop once per list. */
  private boolean filtered;
  private LongPredicate idFilter;
  private Predicate<String> keyFilter;
  /** The query's efSearch (SearchParams): how far a graph walk looks for these candidates. */
  private int efSearch;

  Candidates(boolean ordinalRefs, KeysFile[] keys) {
    this.ordinalRefs = ordinalRefs;
    this.keys = keys;
  }

  /**
   * Empties the heap for {@code k} candidates that the params' filter (null: all) accepts; a
   * graph walk's beam is the params' efSearch.
   */
  Candidates start(int k, SearchParams params) {
    efSearch = params.efSearch();
    return start(k, params.filter());
  }

  /** Empties the heap for {@code k} candidates that {@code filter} (null: all) accepts. */
  Candidates start(int k, IdFilter filter) {
    top.reset(k);
    idFilter = filter instanceof IdFilter.OnIds f ? f.accept() : null;
    keyFilter = filter instanceof IdFilter.OnKeys f ? f.accept() : null;
    filtered = filter != null;
    return this;
  }

  /** The efSearch the query was started with (0: the default; see {@link SearchParams}). */
  int efSearch() {
    return efSearch;
  }

  /** Whether the query has a filter. */
  boolean filtered() {
    return filtered;
  }

  /** Whether the query's filter accepts item {@code i} of {@code list} of shard {@code si}. */
  boolean accepts(int si, ShardFile shard, int list, int i) {
    if (!filtered) {
      return true;
    }
    if (idFilter != null) {
      return idFilter.test(shard.id(list, i));
    }
    return keyFilter.test(keys[si].key(shard.firstOrdinal(list) + i));
  }

  /** Offers item {@code i} of {@code list} of shard {@code si}, already {@link #accepts accepted}. */
  void offer(int si, ShardFile shard, int list, int i, float d) {
    if (d <= top.threshold()) {
      top.offer(d, ordinalRefs ? ItemRef.pack(si, shard.firstOrdinal(list) + i)
          : shard.id(list, i));
    }
  }

  /** The heap the candidates are in. */
  TopK top() {
    return top;
  }

  /** Offers the first {@code n} distances of {@code dist}: items 0..n-1 of a list of a shard. */
  void collect(int si, ShardFile shard, int list, int n, float[] dist) {
    if (filtered) {
      collectFiltered(si, shard, list, n, dist);
      return;
    }
    TopK top = this.top;
    float threshold = top.threshold();
    boolean longIds = !ordinalRefs;
    for (int i = 0; i < n; i++) {
      float d = dist[i];
      if (d <= threshold) {
        long ref = longIds ? shard.id(list, i) : ItemRef.pack(si, shard.firstOrdinal(list) + i);
        top.offer(d, ref);
        threshold = top.threshold();
      }
    }
  }

  /** {@link #collect} with the query's {@link IdFilter}: a rejected candidate never enters. */
  private void collectFiltered(int si, ShardFile shard, int list, int n, float[] dist) {
    TopK top = this.top;
    float threshold = top.threshold();
    LongPredicate ids = idFilter;
    Predicate<String> keyFilter = this.keyFilter;
    for (int i = 0; i < n; i++) {
      float d = dist[i];
      if (d <= threshold) {
        long ref;
        if (ids != null) {
          long id = shard.id(list, i);
          if (!ids.test(id)) {
            continue;
          }
          ref = ordinalRefs ? ItemRef.pack(si, shard.firstOrdinal(list) + i) : id;
        } else {
          long ordinal = shard.firstOrdinal(list) + i;
          if (!keyFilter.test(keys[si].key(ordinal))) {
            continue;
          }
          ref = ItemRef.pack(si, ordinal);
        }
        top.offer(d, ref);
        threshold = top.threshold();
      }
    }
  }
}
