#!/bin/bash
# SPDX-License-Identifier: MIT
# The escape suite: what an attacker inside would try, under every mode of tests/escape/suite.sh
# (the default policy, each shipped policy, --no-seccomp), each attack first shown to work
# outside a sandbox and judged from inside and from the host (tests/escape/probes.sh); then the
# default policy's forbidden calls one by one, outliving the sandbox, signals, and tampering
# with the program's host file. The results table is docs/security.md's (scripts/escape-table).
. "$(dirname "$0")/lib.sh"
. "$SBX_SRCDIR/tests/escape/suite.sh"
. "$SBX_SRCDIR/tests/escape/probes.sh"

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

for_each_mode escape_identity
for_each_mode escape_processes
for_each_mode escape_files
for_each_mode escape_network
for_each_mode escape_kernel
for_each_mode escape_filter
for_each_mode escape_leaks
for_each_mode escape_sandboxes
for_each_mode group_syscalls
for_each_mode group_no_orphans
for_each_mode group_signals_forwarded
for_each_mode group_tamper
esc_check_doc
done_testing
