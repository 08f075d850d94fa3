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
	run_plain "$S" policy explain "$SBX_SRCDIR/policies/pcap.policy"
	expect_rc 0 "sbx policy explain runs"
	out_has 'pcap\.policy:[0-9]+' "sbx policy explain says where each rule came from"
	run_plain "$S" policy explain --bpf "$SBX_SRCDIR/policies/pcap.policy"
	expect_rc 0 "sbx policy explain --bpf runs"
}

for_each_mode group_learn
for_each_mode group_json
group_policy_cli
done_testing
