package dev.kiln.search;

import java.util.Objects;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * Which items a query may return, tested on each candidate during the scan, before it enters the
 * top-k heap: k results come back whenever k accepted items lie in the probed lists. An index with
 * int64 ids takes {@link #ids}, one with string ids takes {@link #keys}; a deny-list is the
 * negation of an allow-list ({@code IdFilter.ids(blocked::contains).negate()} or
 * {@code IdFilter.ids(id -> !blocked.contains(id))}).
 *
 * <p>The predicate runs on the searching thread, only for candidates close enough to enter the
 * heap, so its cost grows with k and nprobe, not with the index. For string ids each tested
 * candidate's key is decoded from the keys file first. It must be thread-safe when shared.
 */
public sealed interface IdFilter permits IdFilter.OnIds, IdFilter.OnKeys {

  /**
   * A filter on int64 ids.
   *
   * @param accept true for the ids a query may return; called on the searching threads, possibly
   *     several at once, so it must be thread-safe
   * @return a filter for an index with int64 ids
   * @throws NullPointerException when {@code accept} is null
   */
  static IdFilter ids(LongPredicate accept) {
    return new OnIds(accept);
  }

  /**
   * A filter on string ids.
   *
   * @param accept true for the keys a query may return; called on the searching threads,
   *     possibly several at once, so it must be thread-safe
   * @return a filter for an index with string ids
   * @throws NullPointerException when {@code accept} is null
   */
  static IdFilter keys(Predicate<String> accept) {
    return new OnKeys(accept);
  }

  /**
   * The opposite filter: accepts what this one rejects.
   *
   * @return a new filter on the same kind of id; this one is unchanged
   */
  IdFilter negate();

  /**
   * Accepts what both this and {@code other} accept (the same kind of id).
   *
   * @param other a filter on the same kind of id as this one
   * @return a new filter; this one tests first, {@code other} only what this one accepts
   * @throws IllegalArgumentException when {@code other} is null or a filter on the other kind
   *     of id
   */
  IdFilter and(IdFilter other);

  /**
   * A filter on int64 ids.
   *
   * @param accept true for the ids a query may return
   */
  record OnIds(LongPredicate accept) implements IdFilter {
    /**
     * A filter on int64 ids; {@link IdFilter#ids} reads better.
     *
     * @param accept true for the ids a query may return
     * @throws NullPointerException when {@code accept} is null
     */
    public OnIds {
      Objects.requireNonNull(accept, "accept");
    }

    @Override
    public IdFilter negate() {
      return new OnIds(accept.negate());
    }

    @Override
    public IdFilter and(IdFilter other) {
      if (!(other instanceof OnIds o)) {
        throw new IllegalArgumentException("cannot combine a filter on int64 ids with " + other);
      }
      return new OnIds(accept.and(o.accept));
    }
  }

  /**
   * A filter on string ids.
   *
   * @param accept true for the keys a query may return
   */
  record OnKeys(Predicate<String> accept) implements IdFilter {
    /**
     * A filter on string ids; {@link IdFilter#keys} reads better.
     *
     * @param accept true for the keys a query may return
     * @throws NullPointerException when {@code accept} is null
     */
    public OnKeys {
      Objects.requireNonNull(accept, "accept");
    }

    @Override
    public IdFilter negate() {
      return new OnKeys(accept.negate());
    }

    @Override
    public IdFilter and(IdFilter other) {
      if (!(other instanceof OnKeys o)) {
        throw new IllegalArgumentException("cannot combine a filter on string ids with " + other);
      }
      return new OnKeys(accept.and(o.accept));
    }
  }
}
