#!/usr/bin/env python3
"""The Faiss side of FaissInteropTest (builder-job): run with Debian's python3-faiss.

usage: faiss_check.py JOB.json

JOB.json:
  {"queries": "q.fvecs", "base": "b.fvecs", "k": 10, "nprobes": [1, 16], "efs": [256],
   "report": "out.json",
   "read":  [{"name": N, "index": FILE, "out": PREFIX}],
   "train": [{"name": N, "factory": "IVF64,PQ8np", "metric": "l2"|"ip",
              "ids": "sequential"|"ivf"|"idmap"|"idmap2", "out": FILE}]}

"read": opens an index file Kiln wrote with faiss.read_index, plainly and with IO_FLAG_MMAP,
checks that faiss writes it back byte for byte, and searches the queries at each nprobe (an
IndexIDMap over an IndexHNSWFlat, Kiln's HNSW{M}: at each value of "efs" instead, into
PREFIX.<mode>.ef<E>.I and .D).
"train": trains and fills an index with Faiss on the base vectors (ids: "sequential" = 0..n-1
added with add(); otherwise Kiln-test-style int64 ids spread over the whole range, added with
add_with_ids on the IVF itself ("ivf") or through an IndexIDMap / IndexIDMap2), writes it to
FILE, reads it back plainly and with IO_FLAG_MMAP, and searches.

Every search writes PREFIX.<plain|mmap>.np<N>.I (int64, nq x k) and .D (float32, nq x k),
little-endian, row-major. An index with an HNSW quantizer is searched at its own efSearch as
read, then once more per value of "efs" (the quantizer's hnsw.efSearch), into
PREFIX.<mode>.np<N>.ef<E>.I and .D. The report (JSON) says, per entry, the Faiss type read, ntotal, and
whether write_index(read_index(FILE)) reproduced FILE.
"""
import json
import os
import sys

import numpy as np

import faiss


def fvecs(path):
    a = np.fromfile(path, dtype="<i4")
    d = int(a[0])
    return np.ascontiguousarray(a.reshape(-1, d + 1)[:, 1:]).view("<f4")


def spread_ids(n):
    # KilnTestData.longIds: (i - n/2) * 3_000_000_019 + 17, negative and beyond 2^32 included.
    i = np.arange(n, dtype=np.int64)
    return (i - n // 2) * np.int64(3_000_000_019) + np.int64(17)


def ivf_of(index):
    return faiss.extract_index_ivf(index)


def hnsw_of(index):
    """The IndexHNSW inside an IndexIDMap (Kiln's HNSW{M} export), or None."""
    if not isinstance(index, faiss.IndexIDMap):
        return None
    inner = faiss.downcast_index(index.index)
    return inner if isinstance(inner, faiss.IndexHNSW) else None


def search_graph(index, hnsw, queries, k, efs, prefix, mode):
    for ef in efs:
        hnsw.hnsw.efSearch = ef
        D, I = index.search(queries, k)
        stem = "%s.%s.ef%d" % (prefix, mode, ef)
        I.astype("<i8").tofile(stem + ".I")
        D.astype("<f4").tofile(stem + ".D")


def search_all(index, queries, k, nprobes, efs, prefix, mode):
    ivf = ivf_of(index)
    quantizer = faiss.downcast_index(ivf.quantizer)
    hnsw = quantizer.hnsw if isinstance(quantizer, faiss.IndexHNSW) else None
    for ef in [None] + (list(efs) if hnsw is not None else []):
        if ef is not None:
            hnsw.efSearch = ef
        for nprobe in nprobes:
            ivf.nprobe = nprobe
            D, I = index.search(queries, k)
            stem = "%s.%s.np%d%s" % (prefix, mode, nprobe, "" if ef is None else ".ef%d" % ef)
            I.astype("<i8").tofile(stem + ".I")
            D.astype("<f4").tofile(stem + ".D")


def read_and_search(path, queries, k, nprobes, efs, prefix):
    out = {}
    for mode, flags in (("plain", 0), ("mmap", faiss.IO_FLAG_MMAP)):
        index = faiss.read_index(path, flags)
        hnsw = hnsw_of(index)
        if hnsw is not None:
            out[mode] = {"type": type(index).__name__, "ntotal": int(index.ntotal),
                         "d": int(index.d), "inner": type(hnsw).__name__,
                         "storage": type(faiss.downcast_index(hnsw.storage)).__name__}
            search_graph(index, hnsw, queries, k, efs, prefix, mode)
            del index
            continue
        ivf = ivf_of(index)
        out[mode] = {"type": type(index).__name__, "ntotal": int(index.ntotal),
                     "nlist": int(ivf.nlist), "d": int(index.d),
                     "quantizer": type(faiss.downcast_index(ivf.quantizer)).__name__}
        search_all(index, queries, k, nprobes, efs, prefix, mode)
        del index
    again = path + ".rewritten"
    faiss.write_index(faiss.read_index(path), again)
    with open(path, "rb") as a, open(again, "rb") as b:
        out["rewriteIdentical"] = a.read() == b.read()
    os.remove(again)
    return out


def train(spec, base):
    n, d = base.shape
    metric = faiss.METRIC_L2 if spec["metric"] == "l2" else faiss.METRIC_INNER_PRODUCT
    index = faiss.index_factory(d, spec["factory"], metric)
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    ivf.cp.niter = 10
    if isinstance(ivf, faiss.IndexIVFPQ):
        # Agreement, not recall, is tested: a lighter PQ training keeps the test fast.
        ivf.pq.cp.niter = 10
        ivf.pq.cp.max_points_per_centroid = 32
    index.train(base)
    ids = spread_ids(n)
    how = spec["ids"]
    if how == "sequential":
        index.add(base)
    elif how == "ivf":
        index.add_with_ids(base, ids)
    elif how in ("idmap", "idmap2"):
        index = faiss.IndexIDMap(index) if how == "idmap" else faiss.IndexIDMap2(index)
        index.add_with_ids(base, ids)
    else:
        raise ValueError("ids: " + how)
    faiss.write_index(index, spec["out"])


def main():
    job = json.load(open(sys.argv[1]))
    faiss.omp_set_num_threads(1)  # shared CI cores; results do not depend on it
    queries = fvecs(job["queries"])
    k = job["k"]
    nprobes = job["nprobes"]
    efs = job.get("efs", [])
    report = {"faiss": faiss.__version__, "entries": {}}
    for entry in job.get("read", []):
        report["entries"][entry["name"]] = read_and_search(
            entry["index"], queries, k, nprobes, efs, entry["out"])
    if job.get("train"):
        base = fvecs(job["base"])
        for entry in job["train"]:
            train(entry, base)
            report["entries"][entry["name"]] = read_and_search(
                entry["out"], queries, k, nprobes, efs, entry["out"])
    with open(job["report"], "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
