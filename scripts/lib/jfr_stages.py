"""Splits JFR method samples (``jfr print --json --events jdk.ExecutionSample``) by stage of
Kiln's search path. A sample belongs to the stage of the first frame, from the leaf down, that a
rule below names; kernels (PanamaKernels, ScalarKernels) and TopK name no stage of their own, so
their time goes to whoever called them. Only threads that ran a search are counted."""
import collections
import json
import os
import sys

# (class suffix, method or None for any) -> stage; first match from the leaf wins.
RULES = [
    ("quantize.CoarseQuantizer", None, "coarse"),
    ("quantize.GraphWalk", None, "graph walk"),
    ("search.GraphScanner", None, "graph walk"),
    ("quantize.ProductQuantizer", "innerProductTable", "tables"),
    ("quantize.ProductQuantizer", "l2Table", "tables"),
    ("quantize.MetricStrategy", "signQueryTable", "tables"),
    ("search.PqScanner", "listTable", "tables"),
    ("search.FastScanScanner", "listTable", "tables"),
    ("vector.PanamaKernels", "quantizeTables", "tables"),
    ("vector.ScalarKernels", "quantizeTables", "tables"),
    ("search.Candidates", None, "top-k"),
    ("search.Reranker", None, "re-rank"),
    ("search.Searcher", "results", "mapping"),
    ("search.Neighbors", None, "mapping"),
    ("search.PqScanner", "scan", "list scan"),
    ("search.PqScanner", "scanList", "list scan"),
    ("search.PqScanner", "prepare", "tables"),
    ("search.PqScanner", "prepareBlock", "tables"),
    ("search.FastScanScanner", "scanList", "list scan"),
    ("search.FastScanScanner", "prepare", "tables"),
    ("search.FastScanScanner", "prepareBlock", "tables"),
    ("search.BlockSchedule", None, "list scan"),
    ("search.FlatScanner", None, "list scan"),
    ("search.Searcher", "searchProbed", "top-k"),
    ("search.Searcher", "prepare", "prepare"),
    ("quantize.MetricStrategy", "prepareQuery", "prepare"),
    ("search.Searcher", "search", "prepare"),
    ("search.KilnIndex", None, "checks"),
    ("search.QueryCheck", None, "checks"),
]
# Checked first, over the whole stack: a sub-space's CoarseQuantizer computes the PQ query table;
# a GraphWalk under HnswProber is the coarse step (under GraphScanner it is HNSW{M}'s search).
ENCLOSING = [
    ("quantize.HnswProber", None, "coarse"),
    ("quantize.ProductQuantizer", "innerProductTable", "tables"),
    ("quantize.ProductQuantizer", "innerProductTables", "tables"),
]
ORDER = ["coarse", "graph walk", "tables", "list scan", "top-k", "re-rank", "mapping", "prepare", "checks",
         "other"]


def outer_class(frame):
    """The frame's class, nested classes (Reranker$Float32) named by their outer one."""
    return frame["method"]["type"]["name"].replace("/", ".").split("$")[0]


def stage(frames):
    for f in frames:
        cls = outer_class(f)
        for suffix, method, st in ENCLOSING:
            if cls.endswith(suffix) and method in (None, f["method"]["name"]):
                return st
    for f in frames:
        cls = outer_class(f)
        name = f["method"]["name"]
        for suffix, method, st in RULES:
            if cls.endswith(suffix) and (method is None or method == name):
                return st
    return "other"


def main(path):
    events = json.load(open(path))["recording"]["events"]
    searching = collections.Counter()
    leaf = collections.Counter()
    for e in events:
        frames = (e["values"].get("stackTrace") or {}).get("frames") or []
        # A search, not an open: Searcher's constructor (under KilnIndex.open, which the CLI
        # repeats to time it) builds the probers, e.g. CentroidSubspace's orthonormal basis.
        if not any(f["method"]["type"]["name"].endswith("search/Searcher")
                   and f["method"]["name"] != "<init>" for f in frames):
            continue
        st = stage(frames)
        searching[st] += 1
        top = frames[0]["method"]
        leaf[(st, top["type"]["name"].split("/")[-1] + "." + top["name"])] += 1
    total = sum(searching.values())
    if total == 0:
        sys.exit("no samples in the search path (is the run long enough?)")
    print(f"{total} samples of the searching thread")
    print(f"{'stage':<10} {'share':>6}  hottest leaf methods")
    for st in ORDER:
        if searching[st]:
            tops = sorted(((n, m) for (s, m), n in leaf.items() if s == st), reverse=True)[:int(os.environ.get("KILN_TOP_LEAVES", "3"))]
            hot = ", ".join(f"{m} {100 * n / total:.0f}%" for n, m in tops)
            print(f"{st:<10} {100 * searching[st] / total:5.1f}%  {hot}")


if __name__ == "__main__":
    main(sys.argv[1])
