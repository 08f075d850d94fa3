#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/steady.sh [BUILD-DIR] [ITERATIONS] [SIZE-MB]
#
# Steady-state cost of a sandbox: a long-running parser, not its launch. `tcpdump -nn -r` of a
# SIZE-MB capture (default 100) and `pdftotext` of a large PDF, each run plain, under bwrap and
# under sbx (default policy, and the shipped policy where there is one), interleaved N times
# (default 5). Prints medians and the ratios against plain and bwrap. Target: <= 1.03x plain.
# TZ is unset, as for most users: glibc's localtime() then stats /etc/localtime per packet.
#
# Run on demand only; not part of the test suite. The inputs are generated (bench/make-inputs.py).
set -eu

TARGET=1.03
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build}
iterations=${2:-5}
size_mb=${3:-100}
unset TZ

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbx-steady.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# The workers run as uid 65534 when sbx runs as root: the inputs must be readable by it.
chmod 755 "$tmp"
timer=$build/bench/launch-timer
[ -x "$timer" ] || { echo "steady.sh: build $timer first (ninja -C $build)" >&2; exit 1; }
sbx=$build/sbx
[ -x "$sbx" ] || { echo "steady.sh: build $sbx first" >&2; exit 1; }

echo "generating a ${size_mb} MB capture and a 3000-page PDF in $tmp"
python3 "$here/make-inputs.py" pcap "$tmp/in.pcap" "$size_mb"
python3 "$here/make-inputs.py" pdf "$tmp/in.pdf" 3000
chmod 644 "$tmp/in.pcap" "$tmp/in.pdf"

bwrap=$(command -v bwrap 2>/dev/null || true)
bw() {
        # A non-root uid inside, as sbx gives: tcpdump as uid 0 tries to switch to its own user.
        echo "$bwrap --unshare-all --unshare-user --uid 65534 --gid 65534 --die-with-parent" \
             "--ro-bind /usr /usr --symlink usr/lib /lib" \
             "--symlink usr/lib64 /lib64 --symlink usr/bin /bin --ro-bind /etc /etc --proc /proc" \
             "--dev /dev --tmpfs /tmp --ro-bind $tmp $tmp --cap-drop ALL"
}

report() {
        out=$1
        med() { awk -v l="$1" '$1 == "RESULT" && $2 == l && $3 != "FAILED" { print $3 }' "$out"; }
        plain=$(med plain)
        for label in bwrap sbx sbx-policy; do
                v=$(med "$label")
                [ -n "$v" ] && [ -n "$plain" ] || continue
                awk -v l="$label" -v v="$v" -v p="$plain" -v b="$(med bwrap)" -v t="$TARGET" 'BEGIN {
                        printf "ratio %s/plain: %.3f", l, v / p
                        if (b > 0 && l != "bwrap")
                                printf "   %s/bwrap: %.3f", l, v / b
                        if (l != "bwrap")
                                printf "   target <= %.2f: %s", t, (v / p <= t) ? "MET" : "NOT MET"
                        printf "\n"
                }'
        done
}

# bench NAME POLICY "COMMAND": COMMAND is split on blanks (the paths here have none).
bench() {
        name=$1 policy=$2 cmd=$3
        echo
        echo "== $name ($iterations runs each, interleaved)"
        set -- plain $cmd :: sbx "$sbx" --ro "$tmp" -- $cmd
        [ -n "$bwrap" ] && set -- "$@" :: bwrap $(bw) $cmd
        if "$sbx" policy check "$policy" >/dev/null 2>&1; then
                set -- "$@" :: sbx-policy "$sbx" --policy "$policy" --ro "$tmp" -- $cmd
        else
                echo "(no usable shipped policy '$policy': sbx-policy skipped)"
        fi
        "$timer" -n "$iterations" -w 1 "$@" | tee "$tmp/out" | grep -v '^RESULT '
        report "$tmp/out"
}

echo "steady state, $(nproc) CPUs, $(uname -r), uid $(id -u), TZ unset"
bench "tcpdump -nn -r (${size_mb} MB)" pcap "tcpdump -nn -r $tmp/in.pcap"
if command -v pdftotext >/dev/null 2>&1; then
        bench "pdftotext (3000 pages)" pdftotext "pdftotext $tmp/in.pdf -"
else
        echo "pdftotext missing: skipped (Debian package poppler-utils)"
fi
