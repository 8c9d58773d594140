package dev.kiln.serve;

import dev.kiln.format.Metric;
import dev.kiln.graph.GraphBeam;
import dev.kiln.graph.GraphInsert;
import dev.kiln.graph.GraphRows;
import java.util.SplittableRandom;

/**
 * The HNSW graph over the fresh set's slots, grown one upsert at a time by the writer while
 * queries walk it (see {@link GraphRows} for why that is safe without locks). Replaced and
 * deleted slots stay in the graph as waypoints until the fresh set compacts, which builds the
 * graph again over the live slots: a query walks through them but never returns them.
 *
 * <p>M 32 and efConstruction 40, as Kiln's {@code HNSW32} default (measured there: recall@10
 * 0.987 at efSearch 16 on Fashion-MNIST).
 */
final class FreshGraph {
  static final int M = 32;
  static final int EF_CONSTRUCTION = 40;

  private final int dim;
  private final Metric metric;
  private final SplittableRandom levels = new SplittableRandom(0x6b696c6eL);
  private GraphRows rows;
  private GraphInsert insert;
  private GraphBeam beam;
  private final GraphInsert.Links links = new GraphInsert.Links();

  FreshGraph(float[] vectors, int capacity, int dim, Metric metric) {
    this.dim = dim;
    this.metric = metric;
    reset(vectors, capacity);
  }

  /** An empty graph over {@code vectors} (room for {@code capacity} slots). */
  void reset(float[] vectors, int capacity) {
    rows = new GraphRows(vectors, capacity, dim, metric, M, new int[capacity]);
    insert = new GraphInsert(rows, EF_CONSTRUCTION);
    beam = insert.newBeam();
  }

  /** The same graph over {@code vectors} (the same slots, copied) with room for more. */
  void grow(float[] vectors, int capacity) {
    rows = rows.grow(vectors, capacity);
    insert = new GraphInsert(rows, EF_CONSTRUCTION, insert.entry(), insert.maxLevel());
    beam = insert.newBeam();
  }

  /** Links in {@code slot}, whose vector is in place (prepared: normalized for cosine). */
  void add(int slot) {
    rows.setLevel(slot, GraphInsert.drawLevel(levels, M));
    insert.insert(slot, beam, links);
  }

  /** The graph as a reader of the first {@code size} slots sees it. */
  Snapshot snapshot(int size) {
    return new Snapshot(rows, insert.entry(), insert.maxLevel(), size);
  }

  /** What one view of the fresh set walks: the rows, the entry point, the slots it may see. */
  record Snapshot(GraphRows rows, int entry, int maxLevel, int bound) {
    /**
     * The {@code ef} nearest slots to {@code query} that {@code accept} takes, nearest first,
     * in {@code beam.ids / beam.dists}; returns how many.
     */
    int search(float[] query, int ef, GraphBeam.Accept accept, GraphBeam beam) {
      if (bound == 0 || entry < 0) {
        return 0;
      }
      return beam.query(rows, entry, maxLevel, bound, query, ef, accept);
    }

    /** A beam for this graph: {@code old} if it is large enough. */
    GraphBeam beam(GraphBeam old) {
      return old != null && old.fits(rows.n, 2 * M) ? old : new GraphBeam(rows.n, 2 * M);
    }
  }
}
