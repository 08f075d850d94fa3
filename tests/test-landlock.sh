#!/bin/bash
# SPDX-License-Identifier: MIT
# Landlock behind the mounts: files the program holds fds to cannot be reopened for more than
# the fd allows, and (ABI 6) signals do not leave the sandbox's domain.
. "$(dirname "$0")/lib.sh"

ABI=$(python3 -c 'import ctypes; print(max(0, ctypes.CDLL(None).syscall(444, None, 0, 1)))' 2>/dev/null || echo 0)

group_reopen() {
	if [ "$ABI" -lt 1 ]; then
		skip "Landlock: stdout file cannot be read back" "this kernel has no Landlock"
		return
	fi
	local f=$T/ll-$MODE.out
	echo "earlier-secret" >"$f"
	chmod 0666 "$f"
	[ "$MODE" = user ] && chown 65534:65534 "$f"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" /bin/sh -c \
		'cat /proc/self/fd/1 >&2; echo "rc=$?" >&2; echo appended') </dev/null >>"$f" 2>"$T/err"
	RC=$?
	ERR=$(cat "$T/err")
	if [ "$RC" = 0 ] && grep -q '^rc=[1-9]' <<<"$ERR" && ! grep -q earlier-secret <<<"$ERR" && grep -q '^appended$' "$f"; then
		pass "Landlock: an append-only stdout file cannot be read back through /proc/self/fd/1"
	else
		fail "Landlock: an append-only stdout file cannot be read back through /proc/self/fd/1" "rc $RC" "$ERR" "$(cat "$f")"
	fi
	echo "input-line" >"$T/ll-in-$MODE"
	chmod 0644 "$T/ll-in-$MODE"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" /bin/sh -c 'cat /dev/stdin') \
		<"$T/ll-in-$MODE" >"$T/out" 2>"$T/err"
	if grep -q '^input-line$' "$T/out"; then
		pass "Landlock: a file on stdin is still readable through /dev/stdin"
	else
		fail "Landlock: a file on stdin is still readable through /dev/stdin" "$(cat "$T/err")"
	fi
	sbx_run /bin/sh -c 'echo ok >/tmp/x && cat /tmp/x && ls /usr/bin/env >/dev/null && echo fine'
	out_has '^fine$' "Landlock: /tmp writable, the root readable"
}

group_scope() {
	if [ "$ABI" -lt 6 ]; then
		skip "Landlock: init cannot be signalled" "Landlock ABI $ABI has no signal scoping (needs 6)"
		return
	fi
	sbx_run /bin/sh -c 'kill -USR1 1; echo "rc=$?"; sleep 0.1 & kill $!; echo "child rc=$?"'
	out_has '^rc=[1-9]' "Landlock: the program cannot signal init (outside its domain)"
	out_has '^child rc=0$' "Landlock: the program still signals its own children"
}

for_each_mode group_reopen
for_each_mode group_scope
done_testing
