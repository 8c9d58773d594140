#!/usr/bin/env bash
# quickstart: Kiln end to end on this machine, in about a minute and a half on 2 cores.
#
#   scripts/quickstart.sh [WORK_DIR]        (default: work/quickstart, which git ignores)
#
# Builds the project if needed, generates a synthetic embedding set with exact ground truth
# (kiln sample), converts it to Parquet (kiln convert), builds an IVF-PQ index with the real
# Spark job in local mode (kiln build), summarizes it (kiln inspect) and searches it through
# the serving loader at a few nprobe values, printing recall@10 and QPS (kiln search).
# Re-runnable: a previous run's index in WORK_DIR is removed first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kiln="$root/scripts/kiln"
work="${1:-$root/work/quickstart}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# Sized to run in about a minute and a half on 2 cores (~78 items per list with IVF256);
# 5000 queries so that the first queries' JIT warm-up does not dominate the QPS.
n=20000
queries=5000
dim=64
index=IVF256,PQ16
version=quickstart-1
nprobes=(1 8 32)

start=$SECONDS
step_no=0
step() {
  step_no=$((step_no + 1))
  echo
  echo "==== [$step_no/6] $*   (t=$((SECONDS - start))s)"
}

echo "Kiln quickstart: work directory $work"
echo "(The JVM's 'Using incubator modules: jdk.incubator.vector' warning is expected: that module"
echo " enables Kiln's SIMD distance kernels.)"

step "Build the project if needed (mvn -B -q -Dstyle.color=never -DskipTests package)"
"$kiln" --version

step "Generate $n synthetic ${dim}-d embeddings, $queries queries and their exact top-100 (kiln sample)"
"$kiln" sample --out "$work" --n "$n" --queries "$queries" --dim "$dim" --seed 42

step "Convert base.fvecs to Parquet (id, embedding) (kiln convert)"
"$kiln" convert --fvecs "$work/base.fvecs" --out "$work/base.parquet"

step "Build $index, metric l2, with Spark in local mode (kiln build)"
if [[ -d "$work/index/versions/$version" ]]; then
  # Published versions are immutable (a second build of the same version exits with code 4).
  echo "removing the previous run's index $work/index"
  rm -rf "$work/index"
fi
"$kiln" build --input "$work/base.parquet" --output "$work/index" \
  --index "$index" --metric l2 --version "$version"

step "Inspect the published version (kiln inspect)"
"$kiln" inspect "$work/index"

step "Search through the serving loader: nprobe ${nprobes[*]} (kiln search)"
summary=()
for p in "${nprobes[@]}"; do
  echo "-- nprobe=$p"
  out=$("$kiln" search --index "$work/index" --queries "$work/query.fvecs" \
    --groundtruth "$work/groundtruth.ivecs" --k 10 --nprobe "$p" --show 1)
  echo "$out"
  qps=$(sed -n 's/.*: \([0-9]*\) qps.*/\1/p' <<<"$out")
  recall=$(sed -n 's/^recall@10=//p' <<<"$out")
  summary+=("$(printf 'nprobe=%-3s recall@10=%s  qps=%s' "$p" "$recall" "$qps")")
done

echo
echo "==== Results ($queries queries, k=10; QPS: one thread, fresh JVM, no warm-up;"
echo "     'scripts/kiln bench' warms up first)"
printf '%s\n' "${summary[@]}"
echo "query 0, exact top-10 ids (groundtruth.ivecs):"
echo "  $(od -An -v -t d4 -j 4 -N 40 "$work/groundtruth.ivecs" | xargs echo)"
echo "(compare with the 'query 0:' lines above: id:squared L2 distance, nearest first)"
echo
echo "Done in $((SECONDS - start)) s. Index: $work/index; try:"
echo "  scripts/kiln search --index $work/index --queries $work/query.fvecs --nprobe 4"
