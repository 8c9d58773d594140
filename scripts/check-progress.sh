#!/usr/bin/env bash
# check-progress.sh: run `kiln build --progress bar` on a terminal (a pty, through `script`)
# and check what the terminal received: no log line lands on the end of a bar, and within a
# stage the percentage never goes down.
#
#   scripts/check-progress.sh INPUT_PARQUET [INDEX]      (INDEX default: IVF1024,PQ16)
#
# Writes the raw terminal bytes to work/check-progress/terminal.log and prints one line per
# check; exits 0 when both hold, 1 otherwise.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 1 ]] || { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
input=$1
index=${2:-IVF1024,PQ16}
work="$root/work/check-progress"
rm -rf "$work"
mkdir -p "$work"
log="$work/terminal.log"

cmd=$(printf '%q ' "$root/scripts/kiln" build --input "$input" --output "$work/index" \
  --index "$index" --metric l2 --version p1 --eval-queries 0 --progress bar)
# script gives the build a terminal (System.console() is set), as an interactive run has.
script -qefc "$cmd" /dev/null > "$log" 2>&1

python3 - "$log" <<'EOF'
import re, sys

raw = open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read().replace("\r\n", "\n")
BAR = re.compile(r"^(.*?) \[[= >]*\] (\d+)% \(")
LOG = re.compile(r"\d\d:\d\d:\d\d (INFO|WARN|ERROR) ")

# The terminal: "\r\033[K" clears the line, "\n" ends it.
lines, draws, cur = [], [], ""
for part in re.split(r"(\r\x1b\[K|\n)", raw):
    if part == "\r\x1b[K":
        cur = ""
    elif part == "\n":
        lines.append(cur)
        cur = ""
    else:
        if cur == "" and BAR.match(part):
            draws.append(part)
        cur += part
lines.append(cur)

bad = [l for l in lines if BAR.match(l) and LOG.search(l)]
print(f"bars drawn: {len(draws)}; lines with log text after a bar: {len(bad)}")
for l in bad[:3]:
    print("  " + l[:160])

back, last = [], {}
for d in draws:
    m = BAR.match(d)
    stage, pct = m.group(1), int(m.group(2))
    if stage in last and pct < last[stage]:
        back.append(f"{stage}: {last[stage]}% -> {pct}%")
    last[stage] = pct
print(f"stages with a bar: {len(last)}; percentages that went down: {len(back)}")
for b in back[:3]:
    print("  " + b)
sys.exit(0 if draws and not bad and not back else 1)
EOF
