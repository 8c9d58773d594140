#!/usr/bin/env bash
# Where a query's time goes: runs `kiln search` under Java Flight Recorder (method samples every
# millisecond) and splits the searching thread's samples by stage of the search path: coarse
# step, table construction, list scan, top-k, re-rank, result mapping (scripts/lib/jfr_stages.py).
#
# usage: scripts/profile-search.sh INDEX QUERIES NPROBE [each|batch1] [REPEAT]
#   INDEX an index root or version directory; QUERIES an .fvecs file. REPEAT timed passes
#   (default 5) after the warm-up, so the profile holds thousands of samples. Run it on a quiet
#   machine: the figures are shares of one thread's time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 3 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
index=$1 queries=$2 nprobe=$3 mode=${4:-each} repeat=${5:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
KILN_JAVA_OPTS="-Xmx8g -XX:+UseParallelGC -XX:+UseTransparentHugePages -XX:StartFlightRecording=filename=$out/search.jfr,settings=profile,jdk.ExecutionSample#period=1ms" \
  "$here/scripts/kiln" search --index "$index" --queries "$queries" --nprobe "$nprobe" \
  --mode "$mode" --repeat "$repeat" --show 0 ${KILN_SEARCH_ARGS:-} 2>"$out/stderr" | grep -E "qps" || { cat "$out/stderr" >&2; exit 1; }
jfr print --json --events jdk.ExecutionSample --stack-depth 64 "$out/search.jfr" > "$out/samples.json"
python3 "$here/scripts/lib/jfr_stages.py" "$out/samples.json"
