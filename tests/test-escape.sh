#!/bin/bash
# SPDX-License-Identifier: MIT
# What an attacker inside would try: forbidden system calls, other ABIs, nested namespaces,
# the terminal, sbx's own init, other processes, outliving the sandbox.
. "$(dirname "$0")/lib.sh"

PTY_RUN="$SBX_SRCDIR/tests/pty-run.py"
PYTHON=/usr/bin/python3

group_syscalls() {
	local name want
	for name in $("$P" syscall list); do
		want=${name%%-*} # socket-unix and socket-netlink are reported as socket
		if [ "$want" = socket ]; then
			# The default policy refuses socket() with EACCES instead of killing.
			sbx_run "$P" syscall "$name"
			if [ "$RC" = 1 ] && grep -q 'Permission denied' <<<"$OUT"; then
				pass "$name is refused with EACCES"
			else
				fail "$name is refused with EACCES" "$(show_run)"
			fi
			continue
		fi
		sbx_run "$P" syscall "$name"
		if [ "$RC" = 159 ] && grep -Eq "\\b$want\\b" <<<"$ERR" && ! grep -q 'returned' <<<"$OUT"; then
			pass "$name is killed (159) and reported by name"
		else
			fail "$name is killed (159) and reported by name" "$(show_run)"
		fi
	done
}

group_other_abis() {
	# Control: outside, the i386 entry point works on this kernel.
	probe_outside int80
	if [ "$RC" != 1 ]; then
		skip "int \$0x80 (i386 getpid) is killed" "the i386 ABI does not work on this kernel: $OUT"
	else
		sbx_run "$P" int80
		expect_rc 159 "int \$0x80 (i386 getpid) is killed: 159"
	fi
	probe_outside x32
	if [ "$RC" != 1 ]; then
		skip "x32 getpid is killed" "the x32 ABI is not available on this kernel"
	else
		sbx_run "$P" x32
		expect_rc 159 "x32 getpid is killed: 159"
	fi
}

group_userns() {
	sbx_run "$P" userns
	expect_rc 159 "unshare(CLONE_NEWUSER) is killed: 159"
	sbx_run "$P" userns-clone
	expect_held "clone(CLONE_NEWUSER) fails (clone is allowed, a nested user namespace is not)"
	sbx_run --no-seccomp "$P" userns
	expect_held "--no-seccomp: unshare(CLONE_NEWUSER) still fails"
	sbx_run --no-seccomp "$P" userns-clone
	expect_held "--no-seccomp: clone(CLONE_NEWUSER) still fails"
}

group_no_privilege_without_seccomp() {
	local what
	for what in mount chroot mknod chown setns sethostname; do
		sbx_run --no-seccomp "$P" denied "$what"
		expect_held "--no-seccomp: $what fails for lack of capabilities"
	done
}

group_init() {
	local secret="SBXSECRET$$x$RANDOM"
	SBX_TEST_SECRET=$secret sbx_run "$P" peek-init "$secret"
	expect_held "sbx's init: its root is ours, its fds cannot be opened, its environ holds no secret"
	SBX_TEST_SECRET=$secret sbx_run --no-seccomp "$P" peek-init "$secret"
	expect_held "--no-seccomp: the same for sbx's init"
	sbx_run "$P" ptrace-init
	expect_rc 159 "ptrace(PTRACE_ATTACH, 1) is killed: 159"
	sbx_run --no-seccomp "$P" ptrace-init
	expect_held "--no-seccomp: ptrace(PTRACE_ATTACH, 1) fails"
}

group_kill_all() {
	# A canary owned by the worker's own host uid: the one kill(-1) could reach if the pid
	# namespace did not hold. Never run kill-all outside a sandbox.
	local marker canary
	marker=$(new_marker)
	if [ "$IS_ROOT" -eq 1 ]; then
		(exec setpriv --reuid="$WORKER_UID" --regid="$WORKER_UID" --clear-groups -- "$P" sleep 120 "$marker") \
			</dev/null >/dev/null 2>&1 &
	else
		("$P" sleep 120 "$marker") </dev/null >/dev/null 2>&1 &
	fi
	canary=$!
	wait_until 5 test -n "$(pids_with_marker "$marker")"
	sbx_run "$P" kill-all
	expect_rc 0 "kill(-1, SIGKILL) inside: the program and sbx survive"
	if kill -0 "$canary" 2>/dev/null; then
		pass "kill(-1, SIGKILL) inside does not reach a host process of uid $WORKER_UID"
	else
		fail "kill(-1, SIGKILL) inside does not reach a host process of uid $WORKER_UID" "$(show_run)"
	fi
	kill -KILL "$canary" 2>/dev/null
	wait "$canary" 2>/dev/null
	kill_leftovers "$marker"
}

group_tiocsti() {
	if [ ! -x "$PYTHON" ] || [ ! -r "$PTY_RUN" ]; then
		skip "TIOCSTI" "needs $PYTHON and $PTY_RUN"
		return
	fi
	# Control: the harness sees an injection by a process that keeps the terminal.
	run_plain "$PYTHON" "$PTY_RUN" "${RUNAS[@]}" "$P" tiocsti
	if grep -q "^injected: b'echo SBX-INJECTED" <<<"$OUT"; then
		pass "control: TIOCSTI injects outside a sandbox"
	else
		skip "TIOCSTI injection fails inside" "TIOCSTI does not inject here even outside: $OUT"
		return
	fi
	# Under the default policy TIOCSTI may be killed (159) or fail; either way nothing may
	# be injected.
	run_plain "$PYTHON" "$PTY_RUN" "${RUNAS[@]}" "$S" "$P" tiocsti
	if { grep -q '^status: 0$' <<<"$OUT" && grep -q 'probe tiocsti: HELD' <<<"$OUT"; } ||
		grep -q '^status: 159$' <<<"$OUT"; then
		pass "on a terminal: TIOCSTI fails or is killed"
	else
		fail "on a terminal: TIOCSTI fails or is killed" "$(show_run)"
	fi
	if grep -q "^injected: b''$" <<<"$OUT"; then
		pass "on a terminal: nothing was injected into the caller's terminal"
	else
		fail "on a terminal: nothing was injected into the caller's terminal" "$(show_run)"
	fi
	# Without the seccomp layer the session alone must hold: no controlling terminal inside.
	run_plain "$PYTHON" "$PTY_RUN" "${RUNAS[@]}" "$S" --no-seccomp "$P" tiocsti
	if grep -q '^status: 0$' <<<"$OUT" && grep -q 'probe tiocsti: HELD' <<<"$OUT"; then
		pass "--no-seccomp on a terminal: no controlling terminal inside, TIOCSTI fails"
	else
		fail "--no-seccomp on a terminal: no controlling terminal inside, TIOCSTI fails" "$(show_run)"
	fi
	if grep -q "^injected: b''$" <<<"$OUT"; then
		pass "--no-seccomp on a terminal: nothing was injected"
	else
		fail "--no-seccomp on a terminal: nothing was injected" "$(show_run)"
	fi
	# With a terminal, /dev/tty exists inside.
	run_plain "$PYTHON" "$PTY_RUN" "${RUNAS[@]}" "$S" "$P" ls /dev
	if grep -q 'entry: tty' <<<"$OUT"; then
		pass "on a terminal: /dev/tty exists inside"
	else
		fail "on a terminal: /dev/tty exists inside" "$(show_run)"
	fi
}

group_no_orphans() {
	local marker
	marker=$(new_marker)
	start_bg "$P" spawn-sleep 100 "$marker"
	if ! wait_until 15 program_pid "$marker" >/dev/null; then
		fail "sbx started (spawn-sleep)" "$(cat "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	# Let the daemonized grandchild get going too.
	wait_until 5 test "$(pids_with_marker "$marker" | wc -l)" -ge 4
	diag "before: $(pids_with_marker "$marker" | tr '\n' ' ')"
	kill -KILL "$BG_PID"
	wait "$BG_PID" 2>/dev/null
	if wait_until 5 no_pids_with_marker "$marker"; then
		pass "SIGKILL of sbx: nothing inside survives (program and a daemonized grandchild)"
	else
		local pid left=""
		for pid in $(pids_with_marker "$marker"); do
			left+="$pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"$'\n'
		done
		fail "SIGKILL of sbx: nothing inside survives (program and a daemonized grandchild)" "$left"
	fi
	kill_leftovers "$marker"
}

group_signals_forwarded() {
	local sig n marker
	for sig in INT TERM HUP; do
		n=$(kill -l "$sig")
		marker=$(new_marker)
		start_bg "$P" wait-signal "$marker"
		if ! wait_until 15 grep -q '^ready$' "$T/bg.out"; then
			fail "SIG$sig to sbx reaches the program" "program not ready: $(cat "$T/bg.err")"
			stop_bg "$marker"
			continue
		fi
		kill -"$sig" "$BG_PID"
		wait_until 15 bg_gone
		stop_bg "$marker"
		if [ "$BG_RC" = $((100 + n)) ] && grep -q "^got: $n$" "$T/bg.out"; then
			pass "SIG$sig to sbx reaches the program (exit $((100 + n)))"
		else
			fail "SIG$sig to sbx reaches the program" "exit status $BG_RC" "$(cat "$T/bg.out" "$T/bg.err")"
		fi
	done
}

# The program file is opened by sbx on the host and is not visible inside; the program must
# not be able to write to it anyway (through /proc/self/exe or the #! script's fd), even when
# the file is the worker's own, as an unprivileged user's programs are.
group_tamper() {
	local victim=$T/data/victim-$MODE script=$T/data/victim-$MODE.sh
	cp "$P" "$victim"
	chown "$WORKER_UID:$WORKER_UID" "$victim"
	chmod 0755 "$victim"
	sbx_run "$victim" tamper-exe
	if cmp -s "$P" "$victim"; then
		pass "the program cannot write to its own host file via /proc/self/exe"
	else
		fail "the program cannot write to its own host file via /proc/self/exe" \
			"host file now ends with: $(tail -c 13 "$victim")" "$(show_run)"
	fi
	cat >"$script" <<'SCRIPT'
#!/bin/sh
for f in /proc/self/fd/*; do
	n=${f##*/}
	[ "$n" -gt 2 ] 2>/dev/null || continue
	if echo "# SBX-TAMPERED" >>"$f"; then echo "tamper: ok $n"; fi
done
exit 0
SCRIPT
	chown "$WORKER_UID:$WORKER_UID" "$script"
	chmod 0755 "$script"
	local before
	before=$(cat "$script")
	sbx_run "$script"
	if [ "$before" = "$(cat "$script")" ]; then
		pass "a #! script cannot write to its own host file via its open fd"
	else
		fail "a #! script cannot write to its own host file via its open fd" "$(show_run)"
	fi
	rm -f "$victim" "$script"

	# A file given as stdin is read-only for the program: reopening it through /proc/self/fd
	# must not turn it into a writable host file.
	local input=$T/data/stdin-$MODE.txt
	echo "original" >"$input"
	chown "$WORKER_UID:$WORKER_UID" "$input"
	(cd "$T/cwd" && exec timeout 60 "${RUNAS[@]}" "$S" /bin/sh -c \
		'echo SBX-TAMPERED >>/proc/self/fd/0 && echo "tamper: ok"') <"$input" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	if [ "$(cat "$input")" = original ]; then
		pass "a file given as stdin cannot be reopened for writing via /proc/self/fd/0"
	else
		fail "a file given as stdin cannot be reopened for writing via /proc/self/fd/0" \
			"host file now: $(tr '\n' ' ' <"$input")" "$(show_run)"
	fi
	rm -f "$input"
}

for_each_mode group_syscalls
for_each_mode group_other_abis
for_each_mode group_userns
for_each_mode group_no_privilege_without_seccomp
for_each_mode group_init
for_each_mode group_kill_all
for_each_mode group_tiocsti
for_each_mode group_no_orphans
for_each_mode group_signals_forwarded
for_each_mode group_tamper
done_testing
