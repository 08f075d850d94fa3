#!/bin/bash
# SPDX-License-Identifier: MIT
# Containment under a hostile load (issue 13): no sandbox can deny another its launch; a
# program that ignores SIGTERM does not keep sbx alive; /tmp's inodes are bounded; a memory
# kill is named; stale cgroups of a dead broker are collected whole. Runs alone: it fills
# per-uid kernel accounting that every other sandbox of the uid shares.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# A worker that keeps as many fds in flight as the kernel lets its uid (a socketpair to itself,
# never read), then waits: the next launch by the same uid must not be denied.
cat >"$T/data/flood.py" <<'PY'
import array, errno, socket, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
fds = array.array("i", [b.fileno()] * 250).tobytes()
sent = 0
while True:
    try:
        a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)], socket.MSG_DONTWAIT)
        sent += 250
    except OSError as e:
        print("flood: %d fds in flight, then %s" % (sent, errno.errorcode.get(e.errno, e.errno)), flush=True)
        break
time.sleep(float(sys.argv[1]))
PY
chmod 0644 "$T/data/flood.py"

flood_ready() {
	grep -q '^flood: ' "$T/bg.out"
}

group_starvation() {
	if [ ! -x "$PY" ]; then
		skip "a worker's fds in flight do not stop another launch" "$PY not installed"
		return
	fi
	start_bg --ro "$T/data" -- "$PY" "$T/data/flood.py" 30
	if ! wait_until 20 flood_ready; then
		fail "the flooding worker ran" "$(cat "$T/bg.out" "$T/bg.err")"
		stop_bg
		return
	fi
	if grep -q 'ETOOMANYREFS' "$T/bg.out"; then
		pass "the flooding worker reached its uid's limit of fds in flight: $(cat "$T/bg.out")"
	else
		fail "the flooding worker reached its uid's limit of fds in flight (ETOOMANYREFS)" "$(cat "$T/bg.out")"
	fi
	sbx_run -- sh -c 'echo ran'
	if [ "$RC" = 0 ] && [ "$OUT" = ran ]; then
		pass "another sandbox of the same uid launches beside it (default policy)"
	else
		fail "another sandbox of the same uid launches beside it (default policy)" "$(show_run)"
	fi
	sbx_run --policy pcap -- "$P" exit 3
	expect_rc 3 "and one under a strict policy (exec none: the broker lets the exec through)"
	sbx_run -- "$P" syscall ptrace
	if [ "$RC" = 159 ]; then
		pass "and the broker still holds its listener: a violation is caught (159)"
	else
		fail "and the broker still holds its listener: a violation is caught (159)" "$(show_run)"
	fi
	stop_bg
}

for_each_mode group_starvation
done_testing
