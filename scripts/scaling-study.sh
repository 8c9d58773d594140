#!/usr/bin/env bash
# Build time against data size: the real Spark build in local mode (no evaluation) of the same
# index type on 250k, 500k, 1M, 2M and 4M vectors of one distribution, written by
# scripts/make-scaling-data.py. Prints build seconds and the ratio to a linear extrapolation
# from the smallest size (1.00 = linear; below 1 = better than linear).
#
# usage: scripts/scaling-study.sh DATA_DIR [INDEX] [SIZES...]
#   e.g. scripts/scaling-study.sh /work/data IVF4096,PQ16 250000 500000 1000000 2000000
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
data=$1 index=${2:-IVF4096,PQ16}
shift $(($# < 2 ? $# : 2))
sizes=("$@")
((${#sizes[@]})) || sizes=(250000 500000 1000000 2000000 4000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%10s %9s %12s %10s\n' vectors build_s s_per_1M vs_linear
first_n="" first_s=""
for n in "${sizes[@]}"; do
  fvecs="$data/synth-scale-${n}_base.fvecs"
  [[ -f $fvecs ]] || { echo "missing $fvecs: run scripts/make-scaling-data.py $data" >&2; exit 2; }
  "$here/scripts/kiln" convert --fvecs "$fvecs" --out "$work/base.parquet" >/dev/null 2>"$work/log.txt"
  "$here/scripts/kiln" build --input "$work/base.parquet" --output "$work/index" --index "$index" \
    --version "n$n" --eval-queries 0 --progress none >"$work/out.txt" 2>>"$work/log.txt" \
    || { echo "build of $n failed; log:" >&2; tail -5 "$work/log.txt" >&2; exit 1; }
  secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$work/out.txt")
  if [[ -z $first_n ]]; then first_n=$n first_s=$secs; fi
  awk -v n="$n" -v s="$secs" -v n0="$first_n" -v s0="$first_s" \
    'BEGIN { printf "%10d %9.1f %12.1f %10.2f\n", n, s, s * 1e6 / n, s / (s0 * n / n0) }'
  rm -rf "$work/base.parquet" "$work/index"
done
