#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/batch.sh [BUILD-DIR] [JOBS] [ROUNDS]
#
# Many short jobs (issue 10), measured in one run and printed as ratios:
#  - throughput: `cat` of JOBS small files (default 1500), 2 at once: plain `xargs -P 2 -n 1
#    cat`, `sbx --each LIST -j 2 -- cat {}` (its jobs start on the batch's zygote), the same with
#    --no-zygote (each job a single run's launch), bwrap per job, and the bare zygote of
#    bench/bare.c (each job's namespaces, mounts, capability drop, Landlock and filter, nothing
#    else: the most anything keeping those could reach here) beside them; ROUNDS rounds
#    (default 3), interleaved, medians in jobs/s. Target: sbx --each >= 0.7 of xargs.
#  - latency: a warm job of /bin/true through a libsbx pool with a ready worker (bench/pool warm:
#    sbx_pool_keep_ready, each job timed once one is ready) against bwrap's cold launch, the same
#    without ready workers (bench/pool latency), and the cold `sbx -- /bin/true` against bwrap.
#    Targets: warm <= 0.25, cold <= 0.6.
#  - the broker's RSS with 100 live workers (bench/pool rss). Target: <= 8 MB.
# Run on demand only; absolute numbers on shared VMs are noisy, only ratios of one run count.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
jobs=${2:-1500}
rounds=${3:-3}
sbx=$build/sbx
pool=$build/bench/pool
timer=$build/bench/launch-timer
bare=$build/bench/bare
for f in "$sbx" "$pool" "$timer" "$bare"; do
	[ -x "$f" ] || { echo "batch.sh: $f missing (ninja -C $build)" >&2; exit 1; }
done
bwrap=$(command -v bwrap || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 0755 "$tmp"
mkdir "$tmp/in"
for i in $(seq 1 "$jobs"); do echo "input $i" >"$tmp/in/$i"; done
chmod -R a+rX "$tmp/in"
ls -d "$tmp"/in/* >"$tmp/list"

bw_args=(--unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib
	--symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp
	--ro-bind "$tmp/in" "$tmp/in" --cap-drop ALL)

# rate CMD...: jobs/s of one run of CMD (its output must be $jobs lines).
rate() {
	local t0 t1 lines
	t0=$(date +%s%N)
	lines=$("$@" 2>/dev/null | wc -l)
	t1=$(date +%s%N)
	[ "$lines" = "$jobs" ] || { echo FAILED; return; }
	awk -v n="$jobs" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }'
}
plain() { xargs -P 2 -n 1 cat <"$tmp/list"; }
each() { "$sbx" --each "$tmp/list" -j 2 --ro "$tmp/in" -- cat {}; }
each_cold() { "$sbx" --each "$tmp/list" -j 2 --no-zygote --ro "$tmp/in" -- cat {}; }
bare_each() { "$bare" each -j 2 -r "$tmp/in" "$tmp/list" cat {}; }
bw() { xargs -P 2 -I{} "$bwrap" "${bw_args[@]}" cat {} <"$tmp/list"; }

echo "$jobs jobs of cat, 2 at once, $rounds rounds interleaved; $(nproc) CPUs, $(uname -r), uid $(id -u)"
: >"$tmp/rates"
for r in $(seq 1 "$rounds"); do
	echo "plain $(rate plain)" >>"$tmp/rates"
	echo "each $(rate each)" >>"$tmp/rates"
	echo "cold $(rate each_cold)" >>"$tmp/rates"
	echo "bare $(rate bare_each)" >>"$tmp/rates"
	[ -n "$bwrap" ] && echo "bwrap $(rate bw)" >>"$tmp/rates"
done
med() { awk -v l="$1" '$1 == l && $2 != "FAILED" { print $2 }' "$2" | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
p=$(med plain "$tmp/rates"); e=$(med each "$tmp/rates"); c=$(med cold "$tmp/rates"); b=$(med bwrap "$tmp/rates")
z=$(med bare "$tmp/rates")
printf 'jobs/s (median): xargs %s   sbx --each %s   sbx --each --no-zygote %s   bwrap per job %s   bare zygote %s\n' \
	"$p" "$e" "$c" "${b:--}" "${z:--}"
awk -v p="$p" -v e="$e" -v c="$c" -v b="${b:-0}" -v z="${z:-0}" 'BEGIN {
	r = e / p
	printf "ratio sbx --each / xargs: %.2f   target >= 0.7   %s\n", r, (r >= 0.7) ? "MET" : "NOT MET"
	printf "ratio sbx --each / sbx --each --no-zygote: %.2f\n", e / c
	if (b > 0) printf "ratio sbx --each / bwrap per job: %.2f\n", e / b
	if (z > 0) printf "ratio bare zygote / xargs: %.2f (the ceiling here)   sbx --each / bare zygote: %.2f\n", z / p, e / z
}'

echo
n=100
set -- cold "$sbx" -- /bin/true
[ -n "$bwrap" ] && set -- "$@" :: bwrap "$bwrap" --unshare-all --die-with-parent --ro-bind /usr /usr \
	--symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev \
	--tmpfs /tmp --cap-drop ALL /bin/true
"$timer" -n "$n" "$@" | grep '^RESULT' >"$tmp/lat"
"$pool" warm "$n" 2>/dev/null | grep '^RESULT' >>"$tmp/lat"
"$pool" latency "$n" 2>/dev/null | grep '^RESULT' >>"$tmp/lat"
us() { awk -v l="$1" '$1 == "RESULT" && $2 == l { print $3 }' "$tmp/lat"; }
c=$(us cold); b=$(us bwrap); w=$(us warm); p=$(us pool)
printf 'latency (median us): pool, ready worker %s   pool, no ready worker %s   sbx cold %s   bwrap cold %s\n' \
	"$w" "$p" "$c" "${b:--}"
if [ -n "$b" ]; then
	awk -v w="$w" -v p="$p" -v c="$c" -v b="$b" 'BEGIN {
		printf "ratio pool (ready worker) / bwrap: %.2f   target <= 0.25   %s\n", w / b, (w / b <= 0.25) ? "MET" : "NOT MET"
		printf "ratio pool (no ready worker) / bwrap: %.2f\n", p / b
		printf "ratio cold sbx / bwrap: %.2f   target <= 0.6   %s\n", c / b, (c / b <= 0.6) ? "MET" : "NOT MET"
	}'
fi

echo
kib=$("$pool" rss 100 2>/dev/null | awk '/^RESULT rss/ { print $3 }')
awk -v k="$kib" 'BEGIN { printf "broker RSS with 100 live workers: %.1f MB   target <= 8 MB   %s\n", k / 1024,
	(k <= 8192) ? "MET" : "NOT MET" }'
