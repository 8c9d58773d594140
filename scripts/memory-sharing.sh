#!/usr/bin/env bash
# Two serving processes on one index: do they share its pages? Starts two `kiln search --hold`
# processes on the same index one after the other, waits until both have searched (so both have
# the index's pages mapped and resident), then reads /proc/PID/smaps of each and prints, per
# process, the resident (RSS) and proportional (PSS) size of the index files' mappings and of
# the whole process, and the Java heap in use. PSS splits each shared page between the processes
# that map it: two processes sharing the index each show about half its RSS.
#
# usage: scripts/memory-sharing.sh INDEX QUERIES.fvecs [NPROBE]
#   INDEX: a root (follows LATEST) or a version directory; NPROBE defaults to 64.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 2 ]]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
index=$1 queries=$2 nprobe=${3:-64}
version=$(cd "$index" && if [[ -f LATEST ]]; then echo "$PWD/versions/$(tr -d '[:space:]' < LATEST)"; else echo "$PWD"; fi)
work=$(mktemp -d)
pids=()
cleanup() {
  exec 7>&- 8>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start N FD: one holding search process reading its stdin from a fifo kept open on FD.
start() {
  mkfifo "$work/in$1"
  "$here/scripts/kiln" search --index "$index" --queries "$queries" --nprobe "$nprobe" --show 0 \
    --hold < "$work/in$1" > "$work/out$1" 2> "$work/err$1" &
  pids+=($!)
  eval "exec $2>\"$work/in$1\""
  # Wait for the process to report it holds the index (or to die).
  until grep -q '^holding' "$work/out$1"; do
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "search process $1 failed:" >&2; cat "$work/err$1" >&2; exit 1
    fi
    sleep 0.5
  done
}

# MiB of Rss and Pss in /proc/PID/smaps, for mappings under $version and in total.
measure() {
  awk -v dir="$version/" '
    /^[0-9a-f]+-[0-9a-f]+ / { inIndex = (index($6, dir) == 1) }
    /^Rss:/ { rss += $2; if (inIndex) irss += $2 }
    /^Pss:/ { pss += $2; if (inIndex) ipss += $2 }
    END { printf "%.1f %.1f %.1f %.1f\n", irss / 1024, ipss / 1024, rss / 1024, pss / 1024 }' \
    "/proc/$1/smaps"
}

start 1 7
start 2 8
index_mb=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^index_bytes=/) { split($i, a, "="); printf "%.1f", a[2] / 1048576 } }' "$work/out1")
echo "index: $version ($index_mb MiB of files), both processes searched at nprobe $nprobe"
printf '%-9s %8s %16s %16s %16s %16s %14s\n' process pid "index RSS MiB" "index PSS MiB" \
  "process RSS MiB" "process PSS MiB" "heap MiB"
for n in 1 2; do
  pid=$(sed -n 's/^holding pid=\([0-9]*\).*/\1/p' "$work/out$n")
  heap=$(sed -n 's/.*heap_used_after_gc=\([0-9]*\).*/\1/p' "$work/out$n")
  read -r irss ipss rss pss < <(measure "$pid")
  printf '%-9s %8d %16s %16s %16s %16s %14s\n' "search $n" "$pid" "$irss" "$ipss" "$rss" \
    "$pss" "$(awk -v b="$heap" 'BEGIN { printf "%.1f", b / 1048576 }')"
done
