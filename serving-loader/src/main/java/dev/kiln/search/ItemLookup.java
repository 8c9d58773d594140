package dev.kiln.search;

/**
 * {@link KilnIndex}'s lookups by id or key: an item's stored vector ({@link StoredVectors}),
 * refused on the other kind of id, and what a search by item needs, the item's vector as the
 * query and a filter that leaves the item itself out. Whether the index is still open is the
 * caller's to check.
 */
final class ItemLookup {
  private final VersionFiles files;
  private final StoredVectors stored;

  ItemLookup(VersionFiles files) {
    this.files = files;
    this.stored = new StoredVectors(files);
  }

  /** Item {@code id}'s stored vector, or null: see {@link KilnIndex#vector(long)}. */
  float[] vector(long id) {
    checkLookup(false);
    return stored.vector(id);
  }

  /** Item {@code key}'s stored vector, or null: see {@link KilnIndex#vector(String)}. */
  float[] vector(String key) {
    checkLookup(true);
    return stored.vector(key);
  }

  /** Refuses, before any lookup, codes that cannot be read back and the other kind of id. */
  private void checkLookup(boolean byKey) {
    stored.checkReadable();
    if ((files.keys().length > 0) != byKey) {
      throw new IllegalStateException("index " + files.dir() + " has "
          + (byKey ? "int64 ids: vector(long)" : "string ids: vector(String)"));
    }
  }

  /** Item {@code id}'s stored vector, the query of a search by item: the item must exist. */
  float[] query(long id) {
    float[] v = vector(id);
    if (v == null) {
      throw new IllegalArgumentException("index " + files.dir() + " has no item " + id);
    }
    return v;
  }

  /** {@link #query(long)} by string id. */
  float[] query(String key) {
    float[] v = vector(key);
    if (v == null) {
      throw new IllegalArgumentException("index " + files.dir() + " has no item '" + key + "'");
    }
    return v;
  }

  /** {@code params} with its filter combined with one that leaves item {@code id} out. */
  static SearchParams notItself(long id, SearchParams params) {
    return alsoFiltered(params, IdFilter.ids(other -> other != id));
  }

  /** {@link #notItself(long, SearchParams)} by string id. */
  static SearchParams notItself(String key, SearchParams params) {
    return alsoFiltered(params, IdFilter.keys(other -> !other.equals(key)));
  }

  private static SearchParams alsoFiltered(SearchParams params, IdFilter notItself) {
    return params.withFilter(
        params.filter() == null ? notItself : params.filter().and(notItself));
  }
}
