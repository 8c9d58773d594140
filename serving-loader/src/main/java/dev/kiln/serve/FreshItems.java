package dev.kiln.serve;

import dev.kiln.format.IdType;
import dev.kiln.format.Metric;
import dev.kiln.graph.GraphBeam;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.TopK;
import dev.kiln.search.IdFilter;
import dev.kiln.search.QueryCheck;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Items upserted or deleted since the serving version's input was taken, kept in memory in one
 * contiguous {@code float[]}. Each item is assigned to the serving version's nearest list and
 * linked into an HNSW graph ({@link FreshGraph}). A query either scans, by brute force, the
 * items of the lists it probes in the version (the same lists, exact distances), or walks the
 * graph (past {@link ServingOptions#freshGraphFrom} items, where the scan costs more).
 *
 * <p>One writer at a time (the handle's lock) appends to slot arrays and publishes an immutable
 * {@link View}; queries read a view without locks. Every change has a sequence number. A view
 * sees the slots below its size, less those removed at or before its sequence number; it masks a
 * static id when the id's first change since the last swap is at or before its sequence number.
 * So a query sees each id either in the static index or in the fresh set, never both and never
 * neither (unless deleted), whatever changes while it runs.
 */
final class FreshItems {
  private static final long LIVE = Long.MAX_VALUE;
  private static final int MIN_CAPACITY = 256;

  private final int dim;
  private final Metric metric;
  private final boolean stringIds;
  /** The serving version's model: items are assigned to its lists. */
  private IndexModel model;
  /** Null when queries never walk a graph (the option's threshold is above the item limit). */
  private final FreshGraph graph;

  // Slot arrays, replaced (never shrunk in place) on growth and compaction so that published
  // views keep the arrays they were given.
  private float[] vectors;
  private long[] ids;
  private String[] keys;
  private int[] lists;
  private long[] removedAt;
  private long[] changedMillis;
  private int size;

  /** Writer-only: the live slot of each fresh id, and the time of each uncovered delete. */
  private final Map<Object, Integer> live = new HashMap<>();
  private final Map<Object, Long> deletes = new HashMap<>();
  /** Each masked id's first change since the last swap; read by queries, replaced on swap. */
  private ConcurrentHashMap<Object, Long> mask = new ConcurrentHashMap<>();
  private long seq;
  private View view;

  FreshItems(IndexModel model, boolean stringIds, boolean withGraph) {
    this.model = model;
    this.dim = model.dim();
    this.metric = model.metric();
    this.stringIds = stringIds;
    allocate(MIN_CAPACITY);
    this.graph = withGraph ? new FreshGraph(vectors, MIN_CAPACITY, dim, metric) : null;
    publish();
  }

  /** Refuses the overload for the other kind of id. */
  static void requireIdType(IdType idType, IdType expected, Path root) {
    if (idType != expected) {
      throw new IllegalArgumentException("index " + root + " has "
          + (idType == IdType.STRING ? "string" : "int64") + " ids: use the "
          + (idType == IdType.STRING ? "String" : "long") + " overload");
    }
  }

  static String requireKey(String key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    return key;
  }

  /** A vector to upsert: of the index's dimension, finite, small enough, not zero for cosine. */
  static void checkVector(float[] v, int dim, Metric metric) {
    if (v.length != dim) {
      throw new IllegalArgumentException(
          "vector has " + v.length + " dimensions, the index has " + dim);
    }
    // Finite, and small enough that its distance to any query (checked the same way) is too.
    QueryCheck.check(v, "vector");
    boolean zero = true;
    for (float x : v) {
      zero &= x == 0;
    }
    if (zero && metric == Metric.COSINE) {
      throw new IllegalArgumentException("a zero vector has no cosine similarity");
    }
  }

  View view() {
    return view;
  }

  int liveCount() {
    return live.size();
  }

  boolean isLive(Object id) {
    return live.containsKey(id);
  }

  /** Adds or replaces {@code id} (a Long or a String); the vector is copied. */
  View upsert(Object id, float[] vector, long millis) {
    seq++;
    Integer old = live.remove(id);
    if (old != null) {
      removedAt[old] = seq;
    }
    deletes.remove(id);
    if (size == removedAt.length) {
      compactOrGrow();
    }
    int slot = size;
    float[] v = vector.clone();
    MetricStrategy.of(metric).prepareQuery(v, 0, dim);
    System.arraycopy(v, 0, vectors, slot * dim, dim);
    lists[slot] = model.assign(v);
    if (stringIds) {
      keys[slot] = (String) id;
    } else {
      ids[slot] = (Long) id;
    }
    removedAt[slot] = LIVE;
    changedMillis[slot] = millis;
    if (graph != null) {
      graph.add(slot);
    }
    size++;
    live.put(id, slot);
    mask.putIfAbsent(id, seq);
    return publish();
  }

  /** Removes {@code id} from the fresh set and masks it in the static index. */
  View delete(Object id, long millis) {
    seq++;
    Integer old = live.remove(id);
    if (old != null) {
      removedAt[old] = seq;
    }
    deletes.put(id, millis);
    mask.putIfAbsent(id, seq);
    return publish();
  }

  /**
   * Forgets the upserts and deletes older than {@code cutoffMillis}: a version whose input was
   * taken then holds them (with a null cutoff nothing is covered). The items left are assigned
   * to the lists of {@code next}, the model of the version about to serve.
   */
  View dropCovered(Long cutoffMillis, IndexModel next) {
    if (cutoffMillis != null) {
      live.entrySet().removeIf(e -> changedMillis[e.getValue()] < cutoffMillis);
      deletes.values().removeIf(t -> t < cutoffMillis);
    }
    seq++;
    rebuild(Math.max(MIN_CAPACITY, 2 * live.size()));
    if (next != model) {
      model = next;
      if (size > 0) {
        model.assign(vectors, size, lists, false);
      }
    }
    mask = new ConcurrentHashMap<>();
    for (Object id : live.keySet()) {
      mask.put(id, seq);
    }
    for (Object id : deletes.keySet()) {
      mask.put(id, seq);
    }
    return publish();
  }

  private void compactOrGrow() {
    // Replaced and deleted slots are garbage once no view needs them; compact when they are
    // at least half, else double.
    int capacity = live.size() * 2 <= size ? removedAt.length : removedAt.length * 2;
    rebuild(Math.max(MIN_CAPACITY, capacity));
  }

  /** Copies the live slots, in slot order, into new arrays of {@code capacity}. */
  private void rebuild(int capacity) {
    float[] oldVectors = vectors;
    long[] oldIds = ids;
    String[] oldKeys = keys;
    long[] oldChanged = changedMillis;
    int[] oldLists = lists;
    int[] order = live.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    boolean compacting = order.length < size;
    allocate(capacity);
    for (int i = 0; i < order.length; i++) {
      int from = order[i];
      System.arraycopy(oldVectors, from * dim, vectors, i * dim, dim);
      if (stringIds) {
        keys[i] = oldKeys[from];
      } else {
        ids[i] = oldIds[from];
      }
      changedMillis[i] = oldChanged[from];
      lists[i] = oldLists[from];
    }
    size = order.length;
    if (graph != null) {
      if (compacting) {
        // Slots move: link them in again (the graph's cost, amortized over the upserts that
        // made at least as many replaced or deleted slots).
        graph.reset(vectors, capacity);
        for (int i = 0; i < size; i++) {
          graph.add(i);
        }
      } else {
        graph.grow(vectors, capacity);
      }
    }
    for (Iterator<Map.Entry<Object, Integer>> it = live.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Object, Integer> e = it.next();
      e.setValue(Arrays.binarySearch(order, e.getValue()));
    }
  }

  private void allocate(int capacity) {
    vectors = new float[capacity * dim];
    ids = stringIds ? null : new long[capacity];
    keys = stringIds ? new String[capacity] : null;
    lists = new int[capacity];
    removedAt = new long[capacity];
    Arrays.fill(removedAt, LIVE);
    changedMillis = new long[capacity];
  }

  private View publish() {
    view = new View(dim, metric, vectors, ids, keys, lists, removedAt, size, seq, mask,
        live.size(), deletes.size(), graph == null ? null : graph.snapshot(size));
    return view;
  }

  /** The fresh set as one query sees it. */
  static final class View implements GraphBeam.Accept {
    private final int dim;
    private final MetricStrategy metric;
    private final float[] vectors;
    private final long[] ids;
    private final String[] keys;
    private final int[] lists;
    private final long[] removedAt;
    private final int size;
    private final long seq;
    private final ConcurrentHashMap<Object, Long> mask;
    private final int liveCount;
    private final int deleteCount;
    private final FreshGraph.Snapshot graph;

    View(int dim, Metric metric, float[] vectors, long[] ids, String[] keys, int[] lists,
        long[] removedAt, int size, long seq, ConcurrentHashMap<Object, Long> mask,
        int liveCount, int deleteCount, FreshGraph.Snapshot graph) {
      this.dim = dim;
      this.metric = MetricStrategy.of(metric);
      this.vectors = vectors;
      this.ids = ids;
      this.keys = keys;
      this.lists = lists;
      this.removedAt = removedAt;
      this.size = size;
      this.seq = seq;
      this.mask = mask;
      this.liveCount = liveCount;
      this.deleteCount = deleteCount;
      this.graph = graph;
    }

    /** Whether a query walks the graph rather than scanning (it has one, and enough items). */
    boolean walks(int graphFrom) {
      return graph != null && liveCount >= graphFrom;
    }

    int liveCount() {
      return liveCount;
    }

    int deleteCount() {
      return deleteCount;
    }

    boolean isEmpty() {
      return size == 0;
    }

    /** Whether any static id is masked (then static candidates must be checked). */
    boolean masksAny() {
      return !mask.isEmpty();
    }

    private boolean masked(Object id) {
      Long first = mask.get(id);
      return first != null && first <= seq;
    }

    /** Accepts the static ids this view does not mask. */
    IdFilter unmasked() {
      return stringIds()
          ? IdFilter.keys(key -> !masked(key))
          : IdFilter.ids(id -> !masked(id));
    }

    private boolean stringIds() {
      return keys != null;
    }

    /**
     * Offers each live slot of a probed list that the filter accepts to {@code top} as
     * (distance, slot): squared L2, or the negated inner product with {@code query} (normalized
     * already for cosine).
     */
    void scan(float[] query, boolean[] probed, IdFilter filter, TopK top) {
      IdFilter.OnIds onIds = filter instanceof IdFilter.OnIds f ? f : null;
      IdFilter.OnKeys onKeys = filter instanceof IdFilter.OnKeys f ? f : null;
      float threshold = top.threshold();
      for (int i = 0; i < size; i++) {
        if (!probed[lists[i]] || removedAt[i] <= seq) {
          continue;
        }
        int off = i * dim;
        float d = metric.distance(query, 0, vectors, off, dim);
        if (d <= threshold
            && (onIds == null || onIds.accept().test(ids[i]))
            && (onKeys == null || onKeys.accept().test(keys[i]))) {
          top.offer(d, i);
          threshold = top.threshold();
        }
      }
    }

    /**
     * Offers to {@code top} the {@code ef} nearest live slots the graph walk finds that the
     * filter accepts, as (distance, slot) like {@link #scan}; {@code beam} is the thread's.
     */
    void walk(float[] query, int ef, IdFilter filter, TopK top, GraphBeam beam) {
      IdFilter.OnIds onIds = filter instanceof IdFilter.OnIds f ? f : null;
      IdFilter.OnKeys onKeys = filter instanceof IdFilter.OnKeys f ? f : null;
      // Unfiltered (the common query) the view itself accepts: nothing allocated per query.
      GraphBeam.Accept accept = filter == null ? this : slot -> test(slot)
          && (onIds == null || onIds.accept().test(ids[slot]))
          && (onKeys == null || onKeys.accept().test(keys[slot]));
      int n = graph.search(query, ef, accept, beam);
      for (int i = 0; i < n; i++) {
        top.offer(beam.dists[i], beam.ids[i]);
      }
    }

    /** Whether {@code slot} is live in this view (replaced and deleted slots are waypoints). */
    @Override
    public boolean test(int slot) {
      return removedAt[slot] > seq;
    }

    /** A beam that fits this view's graph: {@code old} when it does. */
    GraphBeam beam(GraphBeam old) {
      return graph.beam(old);
    }

    long id(int slot) {
      return ids[slot];
    }

    String key(int slot) {
      return keys[slot];
    }
  }
}
