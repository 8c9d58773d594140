#!/usr/bin/env bash
# Build and measure several index types and training-sample sizes on one data set, one after
# the other, with `kiln bench` (the real Spark build in local mode, then the loader on one
# thread), and print one table: bytes to serve, build time, recall@10 and QPS per nprobe.
# Used for the --index auto rule and the --train-points-per-list default (README).
#
# usage: scripts/param-study.sh DATA_DIR NAME "INDEX..." ["POINTS_PER_LIST..."] [NPROBES]
#   e.g. scripts/param-study.sh /work/data fashion-mnist-784 "IVF1024,PQ8 IVF1024,PQ16" "256" 1,4,16
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
data=$1 name=$2 indexes=$3 ppcs=${4:-256} probes=${5:-1,4,16,64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-16s %5s %12s %8s' index ppl bytes build_s
IFS=, read -ra np <<<"$probes"
for p in "${np[@]}"; do printf ' %8s %7s' "r@np$p" "qps"; done
echo
for index in $indexes; do
  for ppc in $ppcs; do
    "$here/scripts/kiln" bench --base "$data/${name}_base.fvecs" --queries "$data/${name}_query.fvecs" \
      --groundtruth "$data/${name}_groundtruth.ivecs" --index "$index" --nprobe "$probes" \
      --train-points-per-list "$ppc" --work "$work/run" >"$work/out.txt" 2>"$work/log.txt" \
      || { echo "$index ppl=$ppc failed; log:" >&2; tail -5 "$work/log.txt" >&2; exit 1; }
    awk -v index="$index" -v ppc="$ppc" '
      /^build_seconds=/ { split($1, a, "="); build = a[2] }
      /^index_bytes=/ { split($1, a, "="); bytes = a[2] }
      /^nprobe=[0-9]+ recall/ { split($2, r, "="); split($3, q, "="); row = row sprintf(" %8.4f %7.0f", r[2], q[2]) }
      END { printf "%-16s %5s %12s %8.1f%s\n", index, ppc, bytes, build, row }' "$work/out.txt"
    rm -rf "$work/run"
  done
done
