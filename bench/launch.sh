#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/launch.sh [BUILD-DIR] [ITERATIONS]
#
# Cold-launch latency of `sbx -- /bin/true` against the equivalent bubblewrap sandbox and a
# plain fork+exec of /bin/true (the floor), measured in one run, interleaved, N times each
# (default 200). Prints medians and the ratio sbx/bwrap. Goal: ratio <= 0.6.
# Beside them the bare launcher (bench/bare.c, built as BUILD-DIR/bench/bare): the same
# namespaces and mounts as sbx's launch and nothing else, with and without the network
# namespace: the least any launcher giving that sandbox could cost here.
#
# Run on demand only; it is not part of the test suite (absolute times on shared VMs are
# noisy, so only ratios measured side by side mean anything).
set -eu

GOAL=0.6
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build}
iterations=${2:-200}

case $iterations in
        ''|*[!0-9]*) echo "launch.sh: ITERATIONS must be a number" >&2; exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The timer: a fork/exec/wait loop in C, so the shell's own start-up is not in the numbers.
timer=$build/bench/launch-timer
if [ ! -x "$timer" ]; then
        timer=$tmp/launch-timer
        ${CC:-cc} -O2 -o "$timer" "$here/launch-timer.c" || {
                echo "launch.sh: cannot compile bench/launch-timer.c" >&2; exit 1; }
fi

# Inside both sandboxes /bin/true resolves through the /bin -> usr/bin symlink.
true_bin=/bin/true

set -- floor "$true_bin"

# --- bubblewrap -------------------------------------------------------------------------
bwrap=$(command -v bwrap 2>/dev/null || true)
if [ -z "$bwrap" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                echo "bwrap missing: installing bubblewrap with apt-get (running as root)"
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null \
                        || echo "apt-get install bubblewrap failed"
                bwrap=$(command -v bwrap 2>/dev/null || true)
        else
                echo "bwrap missing and not root: skipping bubblewrap (install the bubblewrap package)"
        fi
fi
if [ -n "$bwrap" ]; then
        # --cap-drop ALL: as root bwrap otherwise keeps every capability (FACTS.md).
        if "$bwrap" --unshare-all --die-with-parent --ro-bind /usr /usr \
                --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin \
                --proc /proc --dev /dev --tmpfs /tmp --cap-drop ALL "$true_bin" 2>"$tmp/bwrap.err"
        then
                set -- "$@" :: bwrap "$bwrap" --unshare-all --die-with-parent \
                        --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
                        --symlink usr/bin /bin \
                        --proc /proc --dev /dev --tmpfs /tmp --cap-drop ALL "$true_bin"
        else
                echo "bwrap does not work here, skipping it: $(head -c 300 "$tmp/bwrap.err")"
                bwrap=
        fi
fi

# --- sbx --------------------------------------------------------------------------------
sbx=$build/sbx
if [ ! -x "$sbx" ]; then
        echo "sbx not found at $sbx (build it: meson setup $build && ninja -C $build)"
        sbx=
elif ! "$sbx" -- "$true_bin" >/dev/null 2>"$tmp/sbx.err"; then
        echo "sbx does not work yet, skipping it: $(head -c 300 "$tmp/sbx.err")"
        sbx=
else
        set -- "$@" :: sbx "$sbx" -- "$true_bin"
fi

# --- the bare launcher (bench/bare.c): the same namespaces and mounts, nothing else ------
bare=$build/bench/bare
if [ -x "$bare" ] && "$bare" launch "$true_bin" 2>"$tmp/bare.err"; then
        set -- "$@" :: bare "$bare" launch "$true_bin" :: bare-nonet "$bare" launch -n "$true_bin"
else
        echo "bench/bare missing or not working here, skipping it: $(head -c 300 "$tmp/bare.err" 2>/dev/null)"
fi

# --- an earlier sbx, to compare a change against (SBX_BASELINE=/path/to/old/sbx) ---------
base=${SBX_BASELINE:-}
if [ -n "$base" ]; then
        if "$base" -- "$true_bin" >/dev/null 2>"$tmp/base.err"; then
                set -- "$@" :: base "$base" -- "$true_bin"
        else
                echo "SBX_BASELINE=$base does not work, skipping it: $(head -c 300 "$tmp/base.err")"
                base=
        fi
fi

echo "launch latency of /bin/true, $iterations runs each, interleaved; $(nproc) CPUs, $(uname -r), uid $(id -u)"
"$timer" -n "$iterations" "$@" | tee "$tmp/out" | grep -v '^RESULT '

med() { awk -v l="$1" '$1 == "RESULT" && $2 == l && $3 != "FAILED" { print $3 }' "$tmp/out"; }
floor_us=$(med floor)
bwrap_us=$(med bwrap)
sbx_us=$(med sbx)

echo
if [ -n "$sbx_us" ] && [ -n "$bwrap_us" ]; then
        awk -v s="$sbx_us" -v b="$bwrap_us" -v f="${floor_us:-0}" -v g="$GOAL" 'BEGIN {
                r = s / b
                printf "ratio sbx/bwrap (medians): %.2f   goal: <= %.1f   %s\n", r, g,
                        (r <= g) ? "MET" : "NOT MET"
                if (f > 0)
                        printf "above the fork+exec floor: sbx +%.2f ms, bwrap +%.2f ms\n",
                                (s - f) / 1000, (b - f) / 1000
        }'
else
        echo "ratio sbx/bwrap: not measured (needs both sbx and bwrap working); goal: <= $GOAL"
fi
bare_us=$(med bare)
bare_nonet_us=$(med bare-nonet)
if [ -n "$bare_us" ] && [ -n "$bwrap_us" ]; then
        awk -v a="$bare_us" -v n="${bare_nonet_us:-0}" -v b="$bwrap_us" -v s="${sbx_us:-0}" 'BEGIN {
                printf "ratio bare launcher/bwrap: %.2f", a / b
                if (n > 0)
                        printf "   without the network namespace: %.2f", n / b
                printf "\n"
                if (s > 0)
                        printf "sbx above the bare launcher: +%.2f ms\n", (s - a) / 1000
        }'
fi
base_us=$(med base)
if [ -n "$base_us" ] && [ -n "$sbx_us" ]; then
        awk -v s="$sbx_us" -v b="$base_us" -v w="${bwrap_us:-0}" 'BEGIN {
                printf "ratio sbx/baseline (medians): %.2f", s / b
                if (w > 0)
                        printf "   baseline/bwrap: %.2f", b / w
                printf "\n"
        }'
fi
