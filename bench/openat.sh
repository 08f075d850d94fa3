#!/bin/bash
# SPDX-License-Identifier: MIT
# The cost of a brokered open (docs/policy.md, "Brokered calls"), measured in one run against a
# plain openat of the same file: open + close, N per round, the median round, for
#   plain      outside sbx
#   no-grant   under sbx without a directory grant (the build-time filter: openat allowed)
#   continued  under sbx with a directory grant, a path below none (notified, then continued)
#   brokered   under sbx with a directory grant, a path below it (read, decided, opened, ADDFD)
# Every brokered open counts against the worker's fd quota (256 in its life): ROUNDS x N stays
# at 240.
# Usage: bench/openat.sh [BUILD-DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-15}
timer="$build/bench/open-timer"
sbx="$build/sbx"
for f in "$timer" "$sbx"; do
	[ -x "$f" ] || { echo "openat.sh: $f is not built; run: ninja -C $build" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/sbx-openat.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir "$dir/in" "$dir/vis"
echo x > "$dir/in/f.txt"
echo x > "$dir/vis/f.txt"
chmod -R a+rX "$dir"
cp "$timer" "$dir/open-timer"
n=$((240 / rounds))
[ "$n" -ge 1 ] || n=1
echo "# $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ); $rounds rounds of $n opens"
plain=$("$dir/open-timer" "$dir/in/f.txt" "$n" "$rounds")
nogrant=$("$sbx" --ro "$dir/vis" --ro "$dir/open-timer" -- "$dir/open-timer" "$dir/vis/f.txt" "$n" "$rounds")
cont=$("$sbx" --ro "$dir/vis" --ro "$dir/open-timer" --dir "in=$dir/in:r:*.txt" -- "$dir/open-timer" "$dir/vis/f.txt" "$n" "$rounds")
brok=$("$sbx" --ro "$dir/open-timer" --dir "in=$dir/in:r:*.txt" -- "$dir/open-timer" "$dir/in/f.txt" "$n" "$rounds")
us() { awk -v v="$1" 'BEGIN { printf "%.1f us", v / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
printf '%-10s %10s\n' plain "$(us "$plain")"
printf '%-10s %10s  %s plain\n' no-grant "$(us "$nogrant")" "$(ratio "$nogrant" "$plain")"
printf '%-10s %10s  %s plain\n' continued "$(us "$cont")" "$(ratio "$cont" "$plain")"
printf '%-10s %10s  %s plain\n' brokered "$(us "$brok")" "$(ratio "$brok" "$plain")"
awk -v b="$brok" 'BEGIN { printf "brokered open round trip: %.1f us (target <= 50 us): %s\n", b / 1000, b <= 50000 ? "met" : "NOT met" }'
