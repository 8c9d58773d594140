package dev.kiln.serve;

import dev.kiln.format.Metric;
import dev.kiln.graph.GraphBeam;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.TopK;
import dev.kiln.search.IdFilter;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import java.util.Arrays;

/**
 * Searches the fresh items and merges them with the serving version's answer, best first. A
 * small fresh set is scanned in the lists the query probes in the version: the probe and the
 * query preparation are the version's own ({@link KilnIndex#probe}), so the fresh scan sees the
 * lists the static scan saw. From {@code graphFrom} live items on, the query walks the fresh
 * set's HNSW graph instead, with the beam {@code efSearch} gives (or {@link
 * SearchParams#DEFAULT_GRAPH_EF_SEARCH}), at least k.
 */
final class FreshMerge {
  private final MetricStrategy metric;
  private final boolean stringIds;
  private final int graphFrom;
  private final ThreadLocal<Scratch> scratch;

  FreshMerge(Metric metric, int dim, boolean stringIds, int graphFrom) {
    this.metric = MetricStrategy.of(metric);
    this.stringIds = stringIds;
    this.graphFrom = graphFrom;
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(dim));
  }

  /**
   * The {@code k} nearest of the version's items (the ids the fresh set updated or deleted
   * masked out, during its scan) and the fresh items of the lists the query probes.
   */
  Neighbors search(KilnIndex index, FreshItems.View view, float[] query, int k,
      SearchParams params) {
    Neighbors fromVersion = index.search(query, k, params.withFilter(versionFilter(params, view)));
    return view.isEmpty() ? fromVersion : merge(fromVersion, index, view, query, k, params);
  }

  /** {@link #search(KilnIndex, FreshItems.View, float[], int, SearchParams)} of a batch. */
  Neighbors[] search(KilnIndex index, FreshItems.View view, float[][] batch, int k,
      SearchParams params) {
    Neighbors[] out = index.search(batch, k, params.withFilter(versionFilter(params, view)));
    if (!view.isEmpty()) {
      for (int i = 0; i < out.length; i++) {
        out[i] = merge(out[i], index, view, batch[i], k, params);
      }
    }
    return out;
  }

  /** The caller's filter, and the ids the fresh set updated or deleted masked out. */
  private static IdFilter versionFilter(SearchParams params, FreshItems.View view) {
    IdFilter user = params.filter();
    if (!view.masksAny()) {
      return user;
    }
    return user == null ? view.unmasked() : view.unmasked().and(user);
  }

  /** The best {@code k} of {@code fromVersion} (found in {@code index}) and the fresh items. */
  Neighbors merge(Neighbors fromVersion, KilnIndex index, FreshItems.View view, float[] query,
      int k, SearchParams params) {
    Scratch sc = scratch.get();
    IdFilter filter = params.filter();
    // As in KilnIndex: size the heap by what the fresh set holds, not by k alone.
    int freshK = Math.max(1, Math.min(k, view.liveCount()));
    sc.top.reset(freshK);
    if (view.walks(graphFrom)) {
      index.prepare(query, sc.query);
      int ef = Math.max(k, params.efSearch() > 0 ? params.efSearch()
          : SearchParams.DEFAULT_GRAPH_EF_SEARCH);
      sc.beam = view.beam(sc.beam);
      view.walk(sc.query, ef, filter, sc.top, sc.beam);
    } else {
      // The lists the version probed: computed again, as KilnIndex does (a few µs against the
      // scan of every fresh item it saves).
      Probe probe = index.probe(query, params, sc.query, sc.probe);
      boolean[] probed = sc.probed(index.model().coarse().nlist());
      for (int p = 0; p < probe.size(); p++) {
        probed[probe.list(p)] = true;
      }
      view.scan(sc.query, probed, filter, sc.top);
    }
    sc.ensure(freshK);
    int nf = sc.top.drainSorted(sc.dist, sc.ref);
    return merge(fromVersion, view, sc.dist, sc.ref, nf, k);
  }

  /** Merges the version's answer with {@code nf} fresh (distance, slot) pairs, best first. */
  private Neighbors merge(Neighbors fromVersion, FreshItems.View view, float[] dist, long[] ref,
      int nf, int k) {
    int ns = fromVersion.size();
    int kept = (int) Math.min(k, (long) nf + ns);
    float[] staticScores = fromVersion.scores();
    float[] scores = new float[kept];
    long[] ids = stringIds ? null : new long[kept];
    String[] keys = stringIds ? new String[kept] : null;
    int i = 0;
    int j = 0;
    for (int o = 0; o < kept; o++) {
      // The heap holds distances (lower is better); scores are negated back for ip/cosine.
      boolean takeStatic = j >= nf || (i < ns && metric.distanceOf(staticScores[i]) <= dist[j]);
      if (takeStatic) {
        scores[o] = staticScores[i];
        if (stringIds) {
          keys[o] = fromVersion.keys()[i];
        } else {
          ids[o] = fromVersion.ids()[i];
        }
        i++;
      } else {
        scores[o] = metric.score(dist[j]);
        int slot = (int) ref[j];
        if (stringIds) {
          keys[o] = view.key(slot);
        } else {
          ids[o] = view.id(slot);
        }
        j++;
      }
    }
    return stringIds ? Neighbors.ofKeys(keys, scores) : Neighbors.ofIds(ids, scores);
  }

  /** Per-thread buffers for the fresh scan and the merge. */
  private static final class Scratch {
    final float[] query;
    final Probe probe = new Probe();
    final TopK top = new TopK();
    GraphBeam beam;
    float[] dist = new float[0];
    long[] ref = new long[0];
    private boolean[] probed = new boolean[0];

    Scratch(int dim) {
      query = new float[dim];
    }

    /** A cleared flag per list (versions may differ in nlist). */
    boolean[] probed(int nlist) {
      if (probed.length != nlist) {
        probed = new boolean[nlist];
      } else {
        Arrays.fill(probed, false);
      }
      return probed;
    }

    void ensure(int k) {
      if (dist.length < k) {
        dist = new float[k];
        ref = new long[k];
      }
    }
  }
}
