#!/bin/bash
# SPDX-License-Identifier: MIT
# Limits under abuse (issue 13): a fork bomb, memory hogs in one and in many processes, /tmp
# filled with data, a CPU spin, an output flood to a slow reader, a flood of broker requests.
# Each must be stopped by its limit, sbx must name the limit that ended the run, the host must
# stay healthy and nothing may be left behind; as root and as uid 65534. Elsewhere:
# /tmp filled with empty files and a program ignoring SIGTERM (tests/test-contain.sh,
# group_tmp_inodes and group_kill_after), the address-space and pids limits' basics
# (tests/test-limits.sh). docs/security.md lists what bounds each resource.
. "$(dirname "$0")/lib.sh"

: "${HOSTILE:=}"
if [ -n "$HOSTILE" ] && [ -x "$HOSTILE" ]; then
	cp "$HOSTILE" "$T/bin/hostile" && chmod 0755 "$T/bin/hostile"
fi

# host_healthy DESC: the host can still start processes and sbx can still run a sandbox.
host_healthy() {
	local out
	out=$( (cd "$T/cwd" && timeout 30 "${RUNAS[@]}" "$S" -- "$P" exit 0) 2>&1)
	if [ $? = 0 ] && sh -c 'exit 0'; then
		pass "$1: the host is healthy afterwards (a process and a sandbox start)"
	else
		fail "$1: the host is healthy afterwards (a process and a sandbox start)" "$out"
	fi
}

# nothing_left MARKER DESC: no process with MARKER survives the run.
nothing_left() {
	if wait_until 5 no_pids_with_marker "$1"; then
		pass "$2: nothing is left behind"
	else
		fail "$2: nothing is left behind" "left: $(pids_with_marker "$1" | tr '\n' ' ')"
	fi
	kill_leftovers "$1"
}

# A fork bomb that keeps trying when fork fails (forked children keep its command line, so the
# marker finds them all), under --pids-limit, ended by --time-limit; the host counts the
# processes while it runs.
FORK_BOMB='
import os, sys, time
while True:
    try:
        if os.fork() == 0:
            time.sleep(100)
            os._exit(0)
    except OSError:
        time.sleep(0.01)
'
group_fork_bomb() {
	local marker max=0 n
	marker=$(new_marker)
	start_bg --pids-limit 32 --time-limit 3 -- /usr/bin/python3 -c "$FORK_BOMB" "$marker"
	local deadline=$(($(date +%s) + 15))
	while ! bg_gone && [ "$(date +%s)" -lt "$deadline" ]; do
		n=$(pids_with_marker "$marker" | wc -l)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.1
	done
	stop_bg "$marker"
	# sbx itself and init carry the marker too.
	[ "$max" -gt 0 ] && [ "$max" -le 34 ]
	ok $? "fork bomb: never more than the pids limit (32) inside (seen: $max with sbx and init)"
	is "$BG_RC" 124 "fork bomb: ended by the time limit (124)"
	bg_err_has 'time limit' "fork bomb: sbx names the time limit"
	nothing_left "$marker" "fork bomb"
	host_healthy "fork bomb"
}

# One process asking for more than the address-space limit: its allocation fails (the program
# sees ENOMEM; nothing ends the run, so there is no limit for sbx to name).
group_memory_one() {
	sbx_run --memory-limit 128M -- "$P" alloc 1G
	if [ "$RC" = 1 ] && grep -q 'alloc .*: failed: Cannot allocate memory' <<<"$OUT"; then
		pass "memory hog, one process: 1G under --memory-limit 128M fails with ENOMEM"
	elif [ "$RC" = 137 ] && grep -q 'memory limit' <<<"$ERR"; then
		pass "memory hog, one process: 1G under --memory-limit 128M: killed, the memory limit named"
	else
		fail "memory hog, one process: 1G under --memory-limit 128M is stopped" "$(show_run)"
	fi
	# The default address space (4 GiB) without an option.
	sbx_run -- "$P" alloc 6G
	if [ "$RC" = 1 ]; then
		pass "memory hog, one process: 6G without options fails (RLIMIT_AS 4 GiB)"
	else
		fail "memory hog, one process: 6G without options fails (RLIMIT_AS 4 GiB)" "$(show_run)"
	fi
	host_healthy "memory hog, one process"
}

# Many processes, each below the address-space limit, together above the memory limit: only a
# memory cgroup bounds the total; sbx names the limit when it ends the run.
group_memory_many() {
	sbx_run -v --memory-limit 128M -- true
	if grep -q 'relying on rlimits' <<<"$ERR"; then
		skip "memory hog, many processes: the total is bounded" \
			"no memory cgroup for this user here: RLIMIT_AS bounds each process only (docs/security.md)"
		return
	fi
	local marker
	marker=$(new_marker)
	sbx_run --memory-limit 128M --ro "$T/bin" -- /bin/sh -c \
		'for i in 1 2 3 4 5 6; do "$0" alloc-hold 60M 20 & done; wait' "$P" "$marker"
	# Each child holds its 60M for 20 s: 360M together, never all at once under 128M.
	local held
	held=$(grep -c '^alloc .*: ok$' <<<"$OUT")
	if [ "$held" -lt 6 ]; then
		pass "memory hog, many processes: 6 x 60M under --memory-limit 128M: only $held got their memory"
	else
		fail "memory hog, many processes: 6 x 60M under --memory-limit 128M: not all get their memory" "$(show_run)"
	fi
	# The kernel's OOM killer may pick hogs rather than the program (sh), which then ends
	# well: sbx names the limit all the same.
	if grep -q 'memory limit' <<<"$ERR"; then
		pass "memory hog, many processes: sbx names the memory limit"
	else
		fail "memory hog, many processes: sbx names the memory limit" "$(show_run)"
	fi
	nothing_left "$marker" "memory hog, many processes"
	host_healthy "memory hog, many processes"
}

# /tmp filled with data: the 64 MiB tmpfs says ENOSPC; the next sandbox starts with an empty one.
group_tmp_data() {
	sbx_run -- "$P" fill /tmp/big 1G
	local written
	written=$(awk '/^written: / { print $2 }' <<<"$OUT")
	if [ "$RC" = 0 ] && grep -q '^error: No space left on device$' <<<"$OUT" &&
		[ -n "$written" ] && [ "$written" -le $((64 << 20)) ]; then
		pass "/tmp filled with data: ENOSPC at 64 MiB ($written bytes)"
	else
		fail "/tmp filled with data: ENOSPC at 64 MiB" "$(show_run)"
	fi
	sbx_run -- "$P" tmp 64M
	expect_held "/tmp filled with data: the next sandbox's /tmp is empty"
	host_healthy "/tmp filled with data"
}

# A CPU spin: --time-limit ends it on time, named.
group_cpu_spin() {
	local marker start end
	marker=$(new_marker)
	start=$(date +%s%N)
	sbx_run --time-limit 1 -- /bin/sh -c 'while :; do :; done' "$marker"
	end=$(date +%s%N)
	expect_rc 124 "CPU spin: --time-limit 1 ends it (124)"
	if [ $(((end - start) / 1000000)) -le 6000 ]; then
		pass "CPU spin: ended within 6 s ($(((end - start) / 1000000)) ms)"
	else
		fail "CPU spin: ended within 6 s" "took $(((end - start) / 1000000)) ms"
	fi
	err_has '[Tt]ime limit' "CPU spin: sbx names the time limit"
	nothing_left "$marker" "CPU spin"
	host_healthy "CPU spin"
}

# An output flood into a pipe nobody reads: the program blocks (sbx buffers nothing: its memory
# stays small) until the time limit ends it.
group_output_flood() {
	local marker rss=0 r
	marker=$(new_marker)
	mkfifo -m 0600 "$T/slow.fifo"
	start_bg_out "$T/slow.fifo" --time-limit 3 -- /bin/sh -c 'exec yes "$0"' "$marker"
	# The slow reader: 64 KiB, then nothing for 2 s, then it goes.
	(head -c 65536 >/dev/null && sleep 2) <"$T/slow.fifo" &
	local reader=$!
	local deadline=$(($(date +%s) + 15))
	while ! bg_gone && [ "$(date +%s)" -lt "$deadline" ]; do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$BG_PID/status" 2>/dev/null)
		[ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
		sleep 0.1
	done
	stop_bg "$marker"
	wait "$reader" 2>/dev/null
	rm -f "$T/slow.fifo"
	# When the reader goes, yes dies of SIGPIPE (141); a reader that stays is outlasted by the
	# time limit (124). Either way the run ends and sbx stays small.
	if [ "$BG_RC" = 141 ] || [ "$BG_RC" = 124 ]; then
		pass "output flood to a slow reader: the run ends (status $BG_RC)"
	else
		fail "output flood to a slow reader: the run ends (141 or 124)" "status $BG_RC" "$(cat "$T/bg.err")"
	fi
	if [ "$rss" -gt 0 ] && [ "$rss" -le 65536 ]; then
		pass "output flood to a slow reader: sbx buffers nothing (peak RSS $rss KiB)"
	else
		fail "output flood to a slow reader: sbx buffers nothing (peak RSS under 64 MiB)" "peak RSS $rss KiB"
	fi
	nothing_left "$marker" "output flood"
	# A reader that stays but never reads: the time limit ends it, named.
	marker=$(new_marker)
	mkfifo -m 0600 "$T/slow.fifo"
	exec 8<>"$T/slow.fifo"
	start_bg_out "$T/slow.fifo" --time-limit 2 -- /bin/sh -c 'exec yes "$0"' "$marker"
	wait_until 15 bg_gone
	stop_bg "$marker"
	exec 8<&-
	rm -f "$T/slow.fifo"
	is "$BG_RC" 124 "output flood to a reader that never reads: the time limit ends it (124)"
	bg_err_has 'time limit' "output flood to a reader that never reads: sbx names the time limit"
	nothing_left "$marker" "output flood, reader that never reads"
	host_healthy "output flood"
}

# start_bg_out FILE [SBX ARGS...]: as start_bg, stdout to FILE (a FIFO).
start_bg_out() {
	local out=$1
	shift
	(cd "$T/cwd" && exec "${RUNAS[@]}" "$S" "$@") </dev/null >"$out" 2>"$T/bg.err" &
	BG_PID=$!
}

# A flood of broker requests (tests/broker/hostile.c, faster than the burst limit): the worker
# is killed and the reason named; the broker's own libsbx test is tests/broker (flood, quota).
group_request_flood() {
	if [ ! -x "$T/bin/hostile" ]; then
		skip "a flood of broker requests" "HOSTILE (tests/broker/hostile) not given"
		return
	fi
	sbx_run --requests -- "$T/bin/hostile" flood
	if [ "$RC" = 137 ] || [ "$RC" = 159 ]; then
		pass "a flood of broker requests: the worker is killed ($RC)"
	else
		fail "a flood of broker requests: the worker is killed" "$(show_run)"
	fi
	err_has 'request quota exceeded \(flooding\)' "a flood of broker requests: sbx names the limit"
	host_healthy "a flood of broker requests"
}

for_each_mode group_fork_bomb
for_each_mode group_memory_one
for_each_mode group_memory_many
for_each_mode group_tmp_data
for_each_mode group_cpu_spin
for_each_mode group_output_flood
for_each_mode group_request_flood
done_testing
