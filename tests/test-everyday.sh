#!/bin/bash
# SPDX-License-Identifier: MIT
# Everyday programs under the default policy behave as they do outside (issue 9): ps, ffprobe,
# Python's multiprocessing, the working directory, the program's own path, pid 1's name, the
# --ro/--rw conflict, a #! wrapper whose interpreter is not visible inside.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# get_mempolicy/set_mempolicy: procps and ffmpeg ask for the NUMA policy of their own memory.
group_mempolicy() {
	sbx_run -- ps -o pid=,comm=
	expect_rc 0 "ps runs under the default policy (get_mempolicy)"
	out_has '^ *2 ps$' "ps lists itself as pid 2"
	sbx_run -- ps aux
	expect_rc 0 "ps aux runs under the default policy"
	if command -v ffprobe >/dev/null; then
		sbx_run -- ffprobe -hide_banner -version
		expect_rc 0 "ffprobe -version runs under the default policy"
	else
		skip "ffprobe -version runs under the default policy" "ffprobe is not installed (package ffmpeg)"
	fi
}

# A private tmpfs on /dev/shm: POSIX semaphores and shared memory.
group_shm() {
	sbx_run -- /bin/sh -c 'grep " /dev/shm " /proc/mounts; stat -c %a /dev/shm'
	out_has '^none /dev/shm tmpfs (.*,)?nosuid,nodev,noexec' "/dev/shm is a tmpfs, nosuid, nodev, noexec"
	out_has '^1777$' "/dev/shm has mode 1777"
	sbx_run -- /bin/sh -c 'echo x >/dev/shm/f && cat /dev/shm/f'
	is "$RC:$OUT" "0:x" "/dev/shm is writable (Landlock too)"
	if [ -x "$PY" ]; then
		sbx_run -- "$PY" -c 'import multiprocessing as m; print(m.Pool(2).map(abs, [-1, -2]))'
		is "$RC:$OUT" "0:[1, 2]" "Python's multiprocessing.Pool works"
	else
		skip "Python's multiprocessing.Pool works" "$PY is not installed"
	fi
}

for_each_mode group_mempolicy
for_each_mode group_shm
done_testing
