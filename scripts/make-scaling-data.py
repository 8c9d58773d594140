#!/usr/bin/python3
"""Base vectors for the build-time scaling study: the shared benchmark's synthetic latent-factor
model (../shared/bench/make_datasets.py, the one behind synth-1m-128), 4,000,000 draws, written
as .fvecs prefixes of 250k, 500k, 1M, 2M and 4M rows (DATA/synth-scale-<n>_base.fvecs). No
queries or ground truth: the study measures build time only.

usage: scripts/make-scaling-data.py DATA_DIR [MAKE_DATASETS_DIR]
"""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, '..', '..', 'shared', 'bench'))
from make_datasets import synth, write_fvecs  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
base, _ = synth(4_000_000, 1, seed=4321)
for n in (250_000, 500_000, 1_000_000, 2_000_000, 4_000_000):
    path = f'{out}/synth-scale-{n}_base.fvecs'
    if not os.path.exists(path):
        write_fvecs(path, base[:n])
    print(path)
