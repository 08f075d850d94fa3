#!/bin/bash
# SPDX-License-Identifier: MIT
# fd requests per second and the round trip of one request through libsbx's broker, against a
# bare socketpair measured in the same run (see bench/fdpass.c and bench/README.md).
# Usage: bench/fdpass.sh [BUILD-DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-8}
bin="$build/bench/fdpass"
if [ ! -x "$bin" ]; then
	echo "fdpass.sh: $bin is not built; run: ninja -C $build bench/fdpass" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "fdpass.sh: note: not root; the worker runs as your own uid through a user namespace" >&2
fi
echo "# $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
exec "$bin" "$rounds"
