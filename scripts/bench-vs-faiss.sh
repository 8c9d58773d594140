#!/usr/bin/env bash
# Kiln and Faiss side by side, in one run, on the same .fvecs files: recall@10 and
# single-thread QPS per nprobe (per efSearch for HNSW{M}), and the ratios Kiln/Faiss.
#
# usage: scripts/bench-vs-faiss.sh DATA_DIR NAME INDEX [NPROBES] [KILN BENCH OPTIONS...]
#   DATA_DIR/NAME_{base,query}.fvecs and NAME_groundtruth.ivecs, as written by the shared
#   make_datasets.py; INDEX in Kiln's spelling (IVF1024,PQ16, IVF1024,Flat or HNSW32: then
#   NPROBES is the efSearch list, passed to kiln bench as --ef); METRIC=l2|ip.
#   Needs Debian's python3-faiss and libopenblas0-pthread (Faiss is 3-5x slower without it).
#   FAISS_BASELINE overrides the Faiss script (default: ../shared/bench/faiss_baseline.py).
#   MAX_PTS: Faiss's coarse training sample per list, default 32 = Kiln's default
#   (--train-points-per-list), so both train on the same sample size.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
data=$1 name=$2 index=$3 probes=${4:-1,4,16,64}
shift $(($# < 4 ? $# : 4))
metric=${METRIC:-l2}
faiss_script=${FAISS_BASELINE:-$here/../shared/bench/faiss_baseline.py}
[[ -f $faiss_script ]] || { echo "no Faiss baseline script at $faiss_script (set FAISS_BASELINE)" >&2; exit 2; }
# Debian's python3-faiss lives in the system interpreter, which may not be the first python3.
py=""
for candidate in ${PYTHON:-} /usr/bin/python3 python3; do
  if "$candidate" -c 'import faiss' 2>/dev/null; then py=$candidate; break; fi
done
[[ -n $py ]] || { echo "python3-faiss is not installed (apt-get install python3-faiss libopenblas0-pthread)" >&2; exit 2; }

# Faiss spells PQ without polysemous training as PQ{m}np; Kiln never does polysemous training.
faiss_index=$index
[[ $index == *PQ* && $index != *np* ]] && faiss_index="${index}np"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
knob=--nprobe
[[ $index == HNSW* ]] && knob=--ef
echo "== Kiln: $index metric=$metric on $name" >&2
"$here/scripts/kiln" bench --base "$data/${name}_base.fvecs" --queries "$data/${name}_query.fvecs" \
  --groundtruth "$data/${name}_groundtruth.ivecs" --index "$index" --metric "$metric" \
  "$knob" "$probes" --work "$out/kiln" "$@" 2>"$out/kiln.log" | tee "$out/kiln.txt"
echo "== Faiss: $faiss_index metric=$metric on $name" >&2
# The script's single-thread search sets OpenMP to one thread, but a pthreads OpenBLAS (Debian's
# libopenblas0-pthread, a Faiss built against it) keeps its own threads: the coarse step's GEMM
# of a "1-thread" batch search then runs on every core (Fashion-MNIST IVF1024,Flat at nprobe 1:
# 1.9 CPU seconds a second, 1.4-1.5x the QPS of one thread). So OpenBLAS's threads follow
# faiss.omp_set_num_threads: 2 for the build, 1 for the search, as Kiln's.
MAX_PTS=${MAX_PTS:-32} METRIC=$metric "$py" - "$faiss_script" "$data" "$name" "$faiss_index" "$probes" <<'PY' | tee "$out/faiss.txt"
import ctypes, runpy, sys
import faiss
setters = []
with open('/proc/self/maps') as maps:
    for path in sorted({line.split()[-1] for line in maps if 'openblas' in line}):
        try:
            setters.append(ctypes.CDLL(path).openblas_set_num_threads)
        except (OSError, AttributeError):
            pass
omp = faiss.omp_set_num_threads
def threads(n):
    omp(n)
    for set_blas in setters:
        set_blas(n)
faiss.omp_set_num_threads = threads
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
PY

echo
echo "Single-thread QPS. kiln_batch1: all queries in one batch call on one thread, as Faiss's"
echo "benchmark searches (batch ratio = like for like); kiln_each: one search() call per query."
echo "${knob#--}  kiln_recall  faiss_recall  d_recall  kiln_batch1  kiln_each  faiss_qps  batch_ratio  each_ratio"
awk '
  FNR == NR && /^(nprobe|ef)=[0-9]+ recall/ {
    p = ""
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=");
      if (kv[1] == "nprobe" || kv[1] == "ef") { p = kv[2]; order[++n] = p }
      if (kv[1] ~ /^recall@/) kr[p] = kv[2];
      if (kv[1] == "qps") kq[p] = kv[2];
      if (kv[1] == "batch1_qps") kb[p] = kv[2];
    }
    next }
  FNR != NR && /(nprobe|ef)=/ {
    line = $0; gsub(/ +/, " ", line); gsub(/= /, "=", line);
    m = split(line, f, " ");
    for (i = 1; i <= m; i++) {
      split(f[i], kv, "=");
      if (kv[1] == "nprobe" || kv[1] == "ef") p = kv[2];
      if (kv[1] == "recall@10") fr[p] = kv[2];
      if (kv[1] == "qps_1thread") fq[p] = kv[2];
    } }
  /build=/ && FNR != NR { match($0, /build=[0-9.]+/); fb = substr($0, RSTART + 6, RLENGTH - 6) }
  END {
    for (i = 1; i <= n; i++) { p = order[i];
      printf "%6s  %11.4f  %12.4f  %+8.4f  %11.0f  %9.0f  %9.0f  %10.2fx  %9.2fx\n", p, kr[p], fr[p], kr[p] - fr[p], kb[p], kq[p], fq[p], kb[p] / fq[p], kq[p] / fq[p] }
    if (fb != "") printf "faiss build (train+add): %s s\n", fb
  }' "$out/kiln.txt" "$out/faiss.txt"
grep '^build_seconds=' "$out/kiln.txt" | sed 's/^/kiln /'
