#!/bin/bash
# SPDX-License-Identifier: MIT
# Learn mode, the JSON status stream and `sbx policy`: a learned policy lets the same run pass
# strictly, and a more demanding run is stopped with a message that says what to add.
. "$(dirname "$0")/lib.sh"

group_learn() {
	local d=$T/learn-$MODE
	mkdir -p "$d"
	chmod 0777 "$d"
	sbx_run --learn "$d/sh.policy" /bin/sh -c 'echo learned; cat /etc/hostname'
	expect_rc 0 "--learn: the run succeeds"
	out_has '^learned$' "--learn: the program ran normally"
	err_has 'learned policy from [0-9]+ system calls written to' "--learn: says where the policy went"
	if [ -s "$d/sh.policy" ]; then pass "--learn: the policy file was written"; else fail "--learn: the policy file was written" "$(show_run)"; fi
	run_plain "$S" policy check "$d/sh.policy"
	expect_rc 0 "the learned policy passes sbx policy check"

	sbx_run --policy "$d/sh.policy" /bin/sh -c 'echo learned; cat /etc/hostname'
	expect_rc 0 "the same run under the learned policy, strictly: passes"
	out_has '^sbx$' "the same run under the learned policy: same output"

	# A more demanding input: a call the learned run never made.
	sbx_run --policy "$d/sh.policy" /bin/sh -c 'echo learned; cat /etc/hostname; sleep 0.01'
	expect_rc 159 "a more demanding run under the learned policy is stopped (159)"
	err_has 'not allowed by the policy; to allow it, add: .+' "the violation says which line to add"
	# No half-written policy is left when the run cannot be learned.
	sbx_run --learn "$d/none.policy" /nonexistent/program
	if [ ! -e "$d/none.policy" ] && ! ls "$d" | grep -q '\.tmp\.'; then
		pass "--learn of a failed launch leaves no file behind"
	else
		fail "--learn of a failed launch leaves no file behind" "$(ls -la "$d")"
	fi
}

# still DESC TEST PATH: `test TEST PATH` holds (PATH was not replaced by a file).
still() {
	local desc=$1
	shift
	if test "$@"; then pass "$desc"; else fail "$desc" "$(ls -la "${@: -1}" 2>&1)" "$(show_run)"; fi
}

# --learn OUT: a new file; with --force a regular file; never a link, FIFO, device or directory.
group_learn_target() {
	local d=$T/target-$MODE
	mkdir -p "$d"
	chmod 0777 "$d"
	echo keep >"$d/exists.policy"
	chmod 0666 "$d/exists.policy"
	sbx_run --learn "$d/exists.policy" /bin/true
	expect_rc 125 "--learn over an existing file: refused (125)"
	err_has 'exists\.policy: the file exists; add --force to replace it' "--learn over an existing file: says to add --force"
	is "$(cat "$d/exists.policy")" keep "--learn over an existing file: the file is untouched"
	sbx_run --learn "$d/exists.policy" --force /bin/true
	expect_rc 0 "--learn --force over a regular file: replaced"
	if grep -q '^exec none$' "$d/exists.policy"; then pass "--learn --force: the new policy is there"; else fail "--learn --force: the new policy is there" "$(cat "$d/exists.policy")"; fi

	echo target >"$d/target"
	ln -sf "$d/target" "$d/link.policy"
	sbx_run --learn "$d/link.policy" --force /bin/true
	expect_rc 125 "--learn --force over a symbolic link: refused (125)"
	err_has 'a symbolic link is there, not a regular file' "--learn over a symbolic link: says what is there"
	still "--learn over a symbolic link: the link stays" -L "$d/link.policy"
	is "$(cat "$d/target")" target "--learn over a symbolic link: its target is untouched"

	mkfifo "$d/fifo"
	sbx_run --learn "$d/fifo" --force /bin/true
	expect_rc 125 "--learn --force over a FIFO: refused (125)"
	still "--learn over a FIFO: the FIFO stays" -p "$d/fifo"
	mkdir -p "$d/dir"
	sbx_run --learn "$d/dir" --force /bin/true
	expect_rc 125 "--learn --force over a directory: refused (125)"
	still "--learn over a directory: the directory stays" -d "$d/dir"
	# A device node of the test's own (as root, sbx --learn /dev/full once made it a text file).
	if [ "$IS_ROOT" -eq 1 ] && mknod "$d/null" c 1 3 2>/dev/null; then
		chmod 0666 "$d/null"
		sbx_run --learn "$d/null" --force /bin/true
		expect_rc 125 "--learn --force over a character device: refused (125)"
		err_has 'a character device is there' "--learn over a character device: says what is there"
		still "--learn over a character device: the device stays" -c "$d/null"
	else
		skip "--learn over a character device" "mknod needs root"
	fi
	if ls "$d" | grep -q '\.tmp\.'; then fail "--learn refusals leave no temporary file" "$(ls -la "$d")"; else pass "--learn refusals leave no temporary file"; fi
	sbx_run --force /bin/true
	expect_rc 125 "--force without --learn: refused (125)"
}

# A policy learned under --policy P keeps P's filesystem, limits and resources, and the command
# line's --ro and --rw, so it runs where it was learned without them.
group_learn_setup() {
	local d=$T/setup-$MODE
	mkdir -p "$d/in" "$d/cli" "$d/out"
	chmod 0777 "$d" "$d/out"
	chmod 0755 "$d/in" "$d/cli"
	echo from-policy >"$d/in/a"
	echo from-cli >"$d/cli/b"
	chmod 0644 "$d/in/a" "$d/cli/b"
	printf '%s\n' 'include default' "ro $d/in" 'tmpfs /scratch size 4M' 'limit pids 64' 'limit time 50s' \
		"resource IN file $d/in/a" >"$d/P.policy"
	local prog=(/bin/sh -c 'cat '"$d/in/a $d/cli/b"'; : >/scratch/x && echo scratch; cat <&3')
	sbx_run --policy "$d/P.policy" --ro "$d/cli" --rw "$d/out" --learn "$d/L.policy" "${prog[@]}"
	expect_rc 0 "--learn under --policy P: the run succeeds"
	local want
	want=$(printf 'from-policy\nfrom-cli\nscratch\nfrom-policy')
	is "$OUT" "$want" "--learn under --policy P: the program saw P's paths and the command line's"
	local l
	for l in "ro \"$d/in\"" 'tmpfs "/scratch" size 4M' 'limit pids 64' 'limit time 50000ms' \
		"resource IN file \"$d/in/a\" r" "ro \"$d/cli\"" "rw \"$d/out\""; do
		if grep -qxF -- "$l" "$d/L.policy"; then pass "the learned policy keeps: $l"; else fail "the learned policy keeps: $l" "$(cat "$d/L.policy")"; fi
	done
	run_plain "$S" policy check "$d/L.policy"
	expect_rc 0 "the learned policy with its setup lines passes sbx policy check"
	sbx_run --policy "$d/L.policy" "${prog[@]}"
	expect_rc 0 "the learned policy alone (no --ro, --rw): the same run passes"
	is "$OUT" "$want" "the learned policy alone: the same output"
}

# A policy learned with --dir keeps the grant as a resource line beside the rule that brokers
# the opens below it, so it runs alone: nothing of the directory is mounted in the sandbox, and
# without the grant cat finds nothing there.
group_learn_grants() {
	local d=$T/grants-$MODE
	mkdir -p "$d/in"
	chmod 0777 "$d"
	chmod 0755 "$d/in"
	echo from-the-grant >"$d/in/a.txt"
	chmod 0644 "$d/in/a.txt"
	sbx_run --dir "in=$d/in:r:*.txt" --learn "$d/L.policy" /bin/cat "$d/in/a.txt"
	expect_rc 0 "--learn with --dir: cat of a file below the grant succeeds"
	is "$OUT" from-the-grant "--learn with --dir: cat printed the file"
	local l
	for l in "resource in dir \"$d/in\" r \"*.txt\"" 'openat: broker if dir else allow'; do
		if grep -qxF -- "$l" "$d/L.policy"; then pass "the learned policy has: $l"; else fail "the learned policy has: $l" "$(cat "$d/L.policy")"; fi
	done
	run_plain "$S" policy check "$d/L.policy"
	expect_rc 0 "the policy learned with --dir passes sbx policy check"
	sbx_run --policy "$d/L.policy" /bin/cat "$d/in/a.txt"
	expect_rc 0 "the learned policy alone (no --dir): cat below the grant passes"
	is "$OUT" from-the-grant "the learned policy alone: the broker opened the file"
	sbx_run --policy "$d/L.policy" --dir "in=$d/in:r:*.txt" /bin/cat "$d/in/a.txt"
	expect_rc 0 "the learned policy with the same --dir again: the same grant, no clash"
	sbx_run --policy "$d/L.policy" --dir "in=$d/in:r" /bin/cat "$d/in/a.txt"
	expect_rc 125 "the learned policy with another grant of the same name: refused (125)"
	err_has 'resource in: also declared by the policy' "another grant of the same name: says the policy declares it"
	grep -v '^resource ' "$d/L.policy" >"$d/bare.policy"
	chmod 0644 "$d/bare.policy"
	sbx_run --policy "$d/bare.policy" /bin/cat "$d/in/a.txt"
	if [ "$RC" != 0 ] && [ "$OUT" != from-the-grant ]; then
		pass "without its resource line the learned policy does not reach the file (the line is what grants it)"
	else
		fail "without its resource line the learned policy does not reach the file" "$(show_run)"
	fi
}

# A policy learned with stdout a pipe runs with stdout a file and a terminal.
group_learn_stdio() {
	local d=$T/stdio-$MODE
	mkdir -p "$d"
	chmod 0777 "$d"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --learn "$d/ls.policy" /bin/ls /) \
		</dev/null 2>"$T/err" | cat >"$T/out"
	RC=${PIPESTATUS[0]}
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	expect_rc 0 "--learn of ls with stdout a pipe"
	if grep -q 'TCGETS' "$d/ls.policy" && grep -q 'TIOCGWINSZ' "$d/ls.policy"; then
		pass "the learned policy has the terminal queries by name"
	else
		fail "the learned policy has the terminal queries by name" "$(cat "$d/ls.policy")"
	fi
	sbx_run --policy "$d/ls.policy" /bin/ls /
	expect_rc 0 "the policy learned on a pipe: ls with stdout a file passes"
	local pty
	pty=$(cd "$T/cwd" && timeout -k 5 "$SBX_RUN_TIMEOUT" python3 "$SBX_SRCDIR/tests/pty-run.py" \
		"${RUNAS[@]}" "$S" --policy "$d/ls.policy" /bin/ls / 2>&1)
	if grep -q '^status: 0$' <<<"$pty"; then
		pass "the policy learned on a pipe: ls on a terminal passes"
	else
		fail "the policy learned on a pipe: ls on a terminal passes" "$pty"
	fi
}

# A violation says what to do: the line to add and where, or why no line should allow it; and
# the call is shown with its own arguments only.
group_violation_advice() {
	local c
	for c in ptrace bpf mount unshare io_uring_setup keyctl; do
		sbx_run "$P" syscall "$c"
		expect_rc 159 "$c: stopped (159)"
		err_has "system call $c\(.*\) not allowed: refused by design: [a-z]" "$c: refused by design, with the reason"
		if grep -Eq 'to allow it, add|include default' <<<"$ERR"; then
			fail "$c: no line is suggested" "$(show_run)"
		else
			pass "$c: no line is suggested"
		fi
	done
	sbx_run "$P" syscall sethostname
	expect_rc 159 "sethostname under the default policy: stopped (159)"
	err_has 'system call sethostname\(0x[0-9a-f]+, 0x[0-9a-f]+\) not allowed by the policy; to allow it, add: sethostname$' \
		"sethostname: its two arguments, and the line to add"
	err_has "starts with 'include default'.*--learn" "sethostname: says how to extend the default and points at --learn"
	sbx_run "$P" syscall syslog
	err_has 'system call syslog\(0xa, 0, 0\) not allowed' "syslog: its three arguments only"
	local d=$T/advice-$MODE
	mkdir -p "$d"
	chmod 0755 "$d"
	printf 'include default\nsethostname\n' >"$d/ext.policy"
	chmod 0644 "$d/ext.policy"
	sbx_run --policy "$d/ext.policy" "$P" syscall sethostname
	if [ "$RC" != 159 ] && ! grep -q 'not allowed' <<<"$ERR"; then
		pass "a policy with 'include default' and the suggested line lets the call through"
	else
		fail "a policy with 'include default' and the suggested line lets the call through" "$(show_run)"
	fi
	sbx_run --policy "$d/ext.policy" "$P" syscall setdomainname
	err_has "add the line to $d/ext\.policy" "under --policy P: says to add the line to P"
}

group_json() {
	local j=$T/json-$MODE
	# The stream goes to a file the run holds open as fd 5.
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --json-status-fd 5 \
		"$P" syscall ptrace) </dev/null >"$T/out" 2>"$T/err" 5>"$j"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	expect_rc 159 "--json-status-fd: the violating run exits 159"
	if python3 - "$j" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in events]
assert kinds == ["start", "violation", "exit"], kinds
assert events[0]["pid"] > 1
assert events[1]["syscall"].startswith("ptrace("), events[1]
assert events[1]["suggestion"], events[1]
assert events[2]["status"] == 159 and events[2]["kind"] == "violation", events[2]
PY
	then
		pass "--json-status-fd: JSON lines start, violation (call and suggestion), exit"
	else
		fail "--json-status-fd: JSON lines start, violation, exit" "$(cat "$j")"
	fi
	# A request the broker refuses shows up as an audit event.
	mkdir -p "$T/jd-$MODE" && chmod 0755 "$T/jd-$MODE" && echo hi >"$T/jd-$MODE/a.txt"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --json-status-fd 5 \
		--dir "D=$T/jd-$MODE:r:*.txt" /bin/true) </dev/null >"$T/out" 2>"$T/err" 5>"$j"
	RC=$?
	if [ "$RC" = 0 ] && grep -q '"event":"start"' "$j" && grep -q '"event":"exit"' "$j"; then
		pass "--json-status-fd with resources: start and exit"
	else
		fail "--json-status-fd with resources: start and exit" "rc $RC" "$(cat "$j" "$T/err")"
	fi
	sbx_run --json-status-fd 99 /bin/true
	expect_rc 125 "--json-status-fd of a closed fd: exit 125"
}

group_policy_cli() {
	run_plain "$S" policy check "$SBX_SRCDIR/policies/default.policy" "$SBX_SRCDIR/policies/pcap.policy"
	expect_rc 0 "sbx policy check: the shipped policies pass"
	printf 'read write\nopne\n' >"$T/bad.policy"
	run_plain "$S" policy check "$T/bad.policy"
	if [ "$RC" != 0 ] && grep -Eq 'bad\.policy:2:1: .*opne.*did you mean' <<<"$ERR$OUT"; then
		pass "sbx policy check: FILE:LINE:COL and a suggestion for a typo"
	else
		fail "sbx policy check: FILE:LINE:COL and a suggestion for a typo" "$(show_run)"
	fi
	# Every mistake of a file, each as FILE:LINE:COL, not only the first.
	printf '%s\n' 'read wirte' 'opne' '' 'socket: arg0 = AF_INET' 'ro relative' 'tmpfs' 'limit tme 5s' \
		'"unterminated' 'read \' '  !x' 'exec maybe' 'write' '@basic-i0' 'ioctl: arg1 == TCGEST' >"$T/many.policy"
	run_plain "$S" policy check "$T/many.policy"
	expect_rc 1 "sbx policy check of a file with 12 mistakes: exit 1"
	local want
	want=$(printf '%s\n' \
		"$T/many.policy:1:6: unknown system call 'wirte' (did you mean 'write'?)" \
		"$T/many.policy:2:1: unknown system call 'opne' (did you mean 'open'?)" \
		"$T/many.policy:4:14: bad operator '=' (did you mean '=='?)" \
		"$T/many.policy:5:4: path must be absolute: 'relative'" \
		"$T/many.policy:6:1: expected a path after 'tmpfs'" \
		"$T/many.policy:7:7: unknown limit 'tme' (did you mean 'time'?)" \
		"$T/many.policy:8:1: unterminated string" \
		"$T/many.policy:10:3: unexpected '!' (the only operator with '!' is '!=')" \
		"$T/many.policy:11:6: expected 'none' or 'allow' after 'exec', found 'maybe'" \
		"$T/many.policy:13:1: unknown group '@basic-i0' (did you mean '@basic-io'?)" \
		"$T/many.policy:14:16: unknown constant 'TCGEST' (did you mean 'TCGETS'?)")
	is "$ERR" "$want" "sbx policy check reports every mistake, each at FILE:LINE:COL, in order"
	printf 'include ./many.policy\nfoo_bar\n' >"$T/incl.policy"
	run_plain "$S" policy check "$T/incl.policy"
	if [ "$RC" = 1 ] && [ "$(grep -c 'many\.policy:' <<<"$ERR")" = 11 ] && grep -q "incl\.policy:2:1: unknown system call 'foo_bar'" <<<"$ERR"; then
		pass "sbx policy check: the mistakes of an included file, then the including file's, each once"
	else
		fail "sbx policy check: the mistakes of an included file, then the including file's, each once" "$(show_run)"
	fi
	seq -f 'bad%g' 1 60 >"$T/lots.policy"
	run_plain "$S" policy check "$T/lots.policy"
	if [ "$RC" = 1 ] && [ "$(grep -c ': unknown system call' <<<"$ERR")" = 50 ] &&
		[ "$(tail -n 1 <<<"$ERR")" = "$T/lots.policy: too many errors, stopping here (at most 50 are reported)" ]; then
		pass "sbx policy check: at most 50 mistakes, then 'too many errors'"
	else
		fail "sbx policy check: at most 50 mistakes, then 'too many errors'" "$(show_run)"
	fi
	run_plain "$S" policy check "$T/bad.policy"
	is "$ERR" "$T/bad.policy:2:1: unknown system call 'opne' (did you mean 'open'?)" "sbx policy check of one mistake: that one line"
	run_plain "$S" policy explain "$SBX_SRCDIR/policies/pcap.policy"
	expect_rc 0 "sbx policy explain runs"
	out_has 'pcap\.policy:[0-9]+' "sbx policy explain says where each rule came from"
	run_plain "$S" policy explain --bpf "$SBX_SRCDIR/policies/pcap.policy"
	expect_rc 0 "sbx policy explain --bpf runs"
}

for_each_mode group_learn
for_each_mode group_learn_target
for_each_mode group_learn_setup
for_each_mode group_learn_grants
for_each_mode group_learn_stdio
for_each_mode group_violation_advice
for_each_mode group_json
group_policy_cli
done_testing
