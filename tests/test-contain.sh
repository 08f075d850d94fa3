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
	# A batch: unprivileged, its broker cannot hand the zygote a job's fds (the same uid's
	# fds in flight are at their limit), and those jobs start cold; the zygote sends none.
	printf '%s\n' a b c >"$T/data/flood-list"
	chmod 0644 "$T/data/flood-list"
	sbx_run -v --each "$T/data/flood-list" -j 2 -- sh -c 'echo job {}'
	expect_rc 0 "and a batch of the same uid: every job exited 0"
	is "$(grep -c '^job [abc]$' <<<"$OUT")" 3 "and a batch of the same uid: every job ran"
	if [ "$MODE" = root ]; then
		is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 3 \
			"and as root each job of the batch starts on the zygote (which sends the broker no fd)"
	fi
	stop_bg
}

for_each_mode group_starvation

bg_started() {
	grep -q '^started$' "$T/bg.out"
}

# term_ignorer [SBX ARGS...]: start a program that ignores SIGTERM, send sbx SIGTERM once it
# runs; ELAPSED_MS is how long sbx took to end after it, BG_RC its status.
term_ignorer() {
	start_bg "$@" -- sh -c 'trap "" TERM; echo started; while :; do sleep 0.2; done'
	if ! wait_until 20 bg_started; then
		fail "the program that ignores SIGTERM started" "$(cat "$T/bg.err")"
		stop_bg
		ELAPSED_MS=-1
		return
	fi
	local start end
	start=$(date +%s%N)
	kill -TERM "$BG_PID"
	wait_until 30 bg_gone
	end=$(date +%s%N)
	ELAPSED_MS=$(((end - start) / 1000000))
	stop_bg
}

group_kill_after() {
	term_ignorer --kill-after 1s
	if [ "$ELAPSED_MS" -ge 900 ] && [ "$ELAPSED_MS" -le 6000 ]; then
		pass "--kill-after 1s: a program ignoring SIGTERM is killed 1 s after it ($ELAPSED_MS ms)"
	else
		fail "--kill-after 1s: a program ignoring SIGTERM is killed 1 s after it" "took $ELAPSED_MS ms"
	fi
	is "$BG_RC" 137 "--kill-after 1s: exit status 137"
	if grep -q 'still running 1.000 s after signal 15 (SIGTERM); the sandbox was killed' "$T/bg.err"; then
		pass "--kill-after 1s: the message says why"
	else
		fail "--kill-after 1s: the message says why" "$(cat "$T/bg.err")"
	fi
	term_ignorer
	if [ "$ELAPSED_MS" -ge 9500 ] && [ "$ELAPSED_MS" -le 16000 ]; then
		pass "default: a program ignoring SIGTERM is killed 10 s after it ($ELAPSED_MS ms)"
	else
		fail "default: a program ignoring SIGTERM is killed 10 s after it" "took $ELAPSED_MS ms"
	fi
	# Control: a program that does not ignore it ends at once, with its own status.
	start_bg -- sh -c 'echo started; while :; do sleep 0.2; done'
	wait_until 20 bg_started
	kill -TERM "$BG_PID"
	wait_until 30 bg_gone
	stop_bg
	is "$BG_RC" 143 "a program that does not ignore SIGTERM dies of it (143)"
	run_plain "$S" --kill-after 10x -- true
	expect_rc 125 "--kill-after 10x is refused"
}

for_each_mode group_kill_after
# A memory-limit kill is named (message, JSON kind "memory", exit 137) where a memory cgroup
# enforces the limit: tmpfs pages (/tmp and /dev/shm, 50M each) are charged to the group, beyond
# the reach of RLIMIT_AS.
group_memory_kill() {
	sbx_run -v --memory-limit 64M -- true
	if grep -q 'relying on rlimits' <<<"$ERR"; then
		skip "a memory-limit kill is named" "no memory cgroup for this user here: $(grep -m1 'relying on rlimits' <<<"$ERR")"
		return
	fi
	local hog='head -c 50M /dev/zero > /tmp/a; exec head -c 50M /dev/zero > /dev/shm/b'
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --json-status-fd 3 --memory-limit 64M \
		-- sh -c "$hog") </dev/null >"$T/out" 2>"$T/err" 3>"$T/json"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	expect_rc 137 "--memory-limit 64M: 100M of tmpfs pages end it, exit 137"
	err_has 'memory limit reached; the kernel.s OOM killer ended' "the message names the memory limit"
	if grep -q '"event":"exit","kind":"memory","status":137' "$T/json"; then
		pass "the JSON status says kind memory"
	else
		fail "the JSON status says kind memory" "$(cat "$T/json")"
	fi
	sbx_run --memory-limit 256M -- sh -c "$hog"
	expect_rc 0 "--memory-limit 256M: the same 100M fits (control)"
}

for_each_mode group_memory_kill

# /tmp and /dev/shm bound their inodes as well as their bytes (one inode per 4 KiB of the
# 64 MiB size): empty files cannot pin kernel memory without bound.
group_tmp_inodes() {
	local d
	for d in /tmp /dev/shm; do
		sbx_run -- sh -c "i=0; while echo -n >$d/f\$i; do i=\$((i+1)); [ \$i -gt 100000 ] && break; done; echo created \$i"
		local n
		n=$(awk '/^created / { print $2 }' <<<"$OUT")
		if [ -n "$n" ] && [ "$n" -ge 16000 ] && [ "$n" -le 16384 ]; then
			pass "$d: creating empty files stops at its inode bound ($n files)"
		else
			fail "$d: creating empty files stops at its inode bound (about 16384)" "$(show_run)"
		fi
		err_has 'No space left on device' "$d: the file past the bound fails with ENOSPC"
	done
	sbx_run -- sh -c 'echo ok >/tmp/f; cat /tmp/f'
	is "$OUT" ok "the next sandbox has a fresh /tmp (the host is fine)"
}

for_each_mode group_tmp_inodes

# The groups of a broker killed with SIGKILL are collected whole by the next run, in every
# controller: a run that uses only pids removes a dead broker's memory group too. cgroup v1
# as root (the only place this machine gives sbx groups).
group_stale_cgroups() {
	local h dead g made=()
	dead=$(sh -c 'echo $$')
	for h in memory pids; do
		g=/sys/fs/cgroup/$h/sbx-$dead-0
		if [ "$(stat -fc %T "/sys/fs/cgroup/$h" 2>/dev/null)" = cgroupfs ] && mkdir "$g" 2>/dev/null; then
			made+=("$g")
		fi
	done
	if [ ${#made[@]} -ne 2 ]; then
		skip "stale groups are collected in every controller" "no cgroup v1 memory and pids hierarchies here"
		for g in "${made[@]}"; do rmdir "$g"; done
		return
	fi
	sbx_run --pids-limit 10 -- true
	expect_rc 0 "a run with --pids-limit only"
	for g in "${made[@]}"; do
		if [ -d "$g" ]; then
			fail "the dead broker's group $g is collected" "it is still there"
			rmdir "$g"
		else
			pass "the dead broker's group $g is collected"
		fi
	done
}

only_root group_stale_cgroups
done_testing
