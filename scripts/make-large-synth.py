#!/usr/bin/python3
"""A large synthetic set from the shared benchmark's latent-factor model (the one behind
synth-1m-128 in ../shared/bench/make_datasets.py: 24 latent factors, 2,000 clusters, d = 128),
streamed: base vectors are drawn and written a chunk at a time, and the exact top-100 of the
queries is kept across chunks, so memory stays at a chunk of 50,000 vectors (26 MB) plus the
queries' distances to it (200 MB for 1,000 queries), whatever N. Same distribution as synth-1m-128, not the same vectors.

Writes DATA/synth-<N>-128_base.fvecs, _query.fvecs and _groundtruth.ivecs (l2).

usage: scripts/make-large-synth.py DATA_DIR N [QUERIES]   (QUERIES default 1,000)
"""
import os, sys
import numpy as np

D, LATENT, CLUSTERS, SEED, CHUNK, K = 128, 24, 2000, 1234, 50_000, 100


def main(out, n, nq):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    proj = rng.standard_normal((LATENT, D)).astype(np.float32) / np.sqrt(LATENT)
    centers = rng.standard_normal((CLUSTERS, LATENT)).astype(np.float32) * 2.0

    def draw(m):
        c = rng.integers(0, CLUSTERS, m)
        z = centers[c] + rng.standard_normal((m, LATENT)).astype(np.float32)
        return z @ proj + 0.1 * rng.standard_normal((m, D)).astype(np.float32)

    def records(x):
        rows = np.empty((x.shape[0], D + 1), dtype=np.float32)
        rows[:, 0] = np.array([D], dtype=np.int32).view(np.float32)[0]
        rows[:, 1:] = x
        return rows.tobytes()

    name = f'{out}/synth-{n}-128'
    queries = draw(nq)
    with open(f'{name}_query.fvecs', 'wb') as f:
        f.write(records(queries))
    best_d = np.full((nq, K), np.inf, dtype=np.float32)
    best_i = np.zeros((nq, K), dtype=np.int64)
    qq = (queries * queries).sum(1, keepdims=True)
    with open(f'{name}_base.fvecs', 'wb') as f:
        for start in range(0, n, CHUNK):
            x = draw(min(CHUNK, n - start))
            f.write(records(x))
            dist = qq - 2 * queries @ x.T + (x * x).sum(1)[None, :]
            part = np.argpartition(dist, K - 1, axis=1)[:, :K]
            d = np.concatenate([best_d, np.take_along_axis(dist, part, 1)], axis=1)
            i = np.concatenate([best_i, part + start], axis=1)
            keep = np.argpartition(d, K - 1, axis=1)[:, :K]
            best_d = np.take_along_axis(d, keep, 1)
            best_i = np.take_along_axis(i, keep, 1)
            print(f'{start + x.shape[0]:,} of {n:,}', file=sys.stderr, flush=True)
    order = np.argsort(best_d, axis=1, kind='stable')
    gt = np.take_along_axis(best_i, order, 1).astype(np.int32)
    rows = np.empty((nq, K + 1), dtype=np.int32)
    rows[:, 0] = K
    rows[:, 1:] = gt
    with open(f'{name}_groundtruth.ivecs', 'wb') as f:
        f.write(rows.tobytes())
    print(name)


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
