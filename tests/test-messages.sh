#!/bin/bash
# SPDX-License-Identifier: MIT
# sbx's messages under hostile input (issue 13 item 8): control characters from arguments are
# escaped (no forged "sbx:" line, no terminal escapes); a --policy that is no regular file is
# named for what it is, at once (a FIFO never blocks); --id-range names the wrong field;
# --pids-limit means the same as root and unprivileged.
. "$(dirname "$0")/lib.sh"

# No line of stderr may start with a forged "sbx: ok" or carry a raw control character.
no_forged_line() {
	local desc=$1
	if grep -q '^sbx: ok' <<<"$ERR" || LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$ERR"; then
		fail "$desc: nothing forged, no raw control character" "$(show_run | cat -A)"
	else
		pass "$desc: nothing forged, no raw control character"
	fi
}

group_escaped() {
	local evil=$'/nonexistent\nsbx: ok: all fine \e[2J\r'
	sbx_run --policy "$evil" -- true
	expect_rc 125 "--policy with a newline: refused"
	err_has '^sbx: error: policy: /nonexistent\\nsbx: ok: all fine \\e\[2J\\r: no such policy file' \
		"--policy with a newline: escaped on one line"
	no_forged_line "--policy with a newline"
	sbx_run --ro "$evil" -- true
	expect_rc 125 "--ro with a newline: refused"
	err_has '^sbx: error: --ro /nonexistent\\nsbx: ok' "--ro with a newline: escaped on one line"
	no_forged_line "--ro with a newline"
	sbx_run "--bogus$evil" -- true
	err_has "^sbx: error: unknown option '--bogus/nonexistent\\\\nsbx: ok" "an unknown option: escaped"
	no_forged_line "an unknown option"
	sbx_run -- "$evil"
	expect_rc 127 "a program name with a newline: not found"
	err_has 'nonexistent\\nsbx: ok' "a program name with a newline: escaped"
	no_forged_line "a program name with a newline"
	sbx_run -v -- "/bin/true" "$evil"
	no_forged_line "-v with an argument holding a newline"
	run_as "$S" policy check "$evil"
	err_has 'nonexistent\\nsbx: ok' "sbx policy check: a file name is escaped"
	no_forged_line "sbx policy check"
}

for_each_mode group_escaped

group_not_a_policy() {
	mkfifo "$T/data/fifo"
	chmod 0666 "$T/data/fifo"
	local what want
	for what in "$T/data/fifo:a FIFO" "$T/data:a directory" "/dev/zero:a character device"; do
		local path=${what%%:*} kind=${what#*:}
		local start end
		start=$(date +%s%N)
		sbx_run --policy "$path" -- true
		end=$(date +%s%N)
		expect_rc 125 "--policy $path: refused"
		want="sbx: error: policy: $path: $kind, not a policy file (a policy is a regular file)"
		is "$ERR" "$want" "--policy $path: says it is $kind"
		if [ $(((end - start) / 1000000)) -lt 5000 ]; then
			pass "--policy $path: answers at once ($(((end - start) / 1000000)) ms; a FIFO is never opened)"
		else
			fail "--policy $path: answers at once" "took $(((end - start) / 1000000)) ms"
		fi
	done
	run_as "$S" policy check "$T/data/fifo"
	is "$ERR" "$T/data/fifo: a FIFO, not a policy file (a policy is a regular file)" "sbx policy check FIFO: the same"
	rm -f "$T/data/fifo"
}

for_each_mode group_not_a_policy

group_id_range() {
	local a
	sbx_run --id-range -1:-1:2 -- true
	expect_rc 125 "--id-range -1:-1:2: refused"
	is "$ERR" "sbx: error: --id-range '-1:-1:2': UID '-1' is not an id from 1 to 4294967294 (0 is root's) (see sbx --help)" \
		"--id-range -1:-1:2: names the UID"
	sbx_run --id-range 100:-5:2 -- true
	err_has "GID '-5' is not an id" "--id-range 100:-5:2: names the GID"
	sbx_run --id-range 100:100:0 -- true
	err_has "COUNT '0' is not a count from 1 to 4294967295" "--id-range 100:100:0: names the COUNT"
	sbx_run --id-range 4294967290:100:10 -- true
	err_has "UID 4294967290 \+ COUNT 10 runs past the last id, 4294967294" "--id-range past the last id: says so"
	for a in 1 1:2 1:2:3:4; do
		sbx_run --id-range "$a" -- true
		err_has "expected UID:GID:COUNT, three numbers separated by ':'" "--id-range $a: the form is named"
	done
}

group_id_range

# --pids-limit N counts the program and its descendants, not sbx's init: N = 1 runs the program
# and refuses it any fork, as root (pids cgroup) and unprivileged (RLIMIT_NPROC) alike.
group_pids_one() {
	sbx_run --pids-limit 1 -- sh -c 'echo started; /bin/true && echo forked'
	is "$OUT" started "--pids-limit 1: the program runs, its fork is refused ($MODE)"
	expect_rc 2 "--pids-limit 1: the shell's own status for the failed fork, not a setup failure"
	sbx_run --pids-limit 2 -- sh -c 'echo started; /bin/true && echo forked'
	is "$OUT" $'started\nforked' "--pids-limit 2: the program and one child ($MODE)"
	expect_rc 0 "--pids-limit 2: exit 0"
}

for_each_mode group_pids_one
done_testing
