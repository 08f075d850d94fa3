#!/bin/bash
# SPDX-License-Identifier: MIT
# Exit statuses: the program's own, 128+N for signals, 159 for seccomp, 124 for the time limit,
# 125 for setup failures, 126/127 for exec failures (the latter two also in test-cli.sh).
. "$(dirname "$0")/lib.sh"

group_exit() {
	local n
	for n in 0 1 3 42 125 126 127 255; do
		sbx_run "$P" exit "$n"
		expect_rc "$n" "exit $n is passed through"
	done
	sbx_run /bin/false
	expect_rc 1 "/bin/false exits 1"
}

group_signals() {
	local n
	# SIGHUP, SIGINT, SIGABRT, SIGKILL, SIGSEGV, SIGTERM; SIGABRT and SIGSEGV would dump core.
	for n in 1 2 6 9 11 15; do
		sbx_run "$P" signal "$n"
		expect_rc $((128 + n)) "death by signal $n exits $((128 + n))"
	done
	# A program that dies of a SIGSYS it sent itself is not a seccomp violation.
	sbx_run "$P" signal 31
	expect_rc 159 "death by a self-sent SIGSYS exits 159"
}

group_seccomp_kill() {
	# The default policy refuses socket() with EACCES (an error programs can report, e.g. a
	# failed name-service lookup) rather than killing: no network either way.
	sbx_run "$P" syscall socket
	expect_rc 1 "socket() under the default policy fails (no kill)"
	out_has 'Permission denied' "socket() under the default policy fails with EACCES"
	# A policy without that rule kills it, and names it.
	printf 'include base/stdio\ninclude base/files\ninclude base/threads\n@memory @process @credentials @system-info\n' \
		>"$T/nosocket.policy"
	sbx_run --policy "$T/nosocket.policy" "$P" syscall socket
	expect_rc 159 "socket() under a policy without it exits 159"
	err_has '\bsocket\(AF_INET' "the message decodes socket's arguments"

	# The report: one line naming the call and the policy line that would allow it.
	sbx_run "$P" syscall ptrace
	expect_rc 159 "ptrace() under the default policy exits 159"
	local lines
	lines=$(grep -c . <<<"$ERR")
	is "$lines" 1 "the violation is one line on stderr"
	err_has '\bptrace\b' "the message names the system call ptrace"
	err_has '[Pp]olicy|allow' "the message points at the policy line that would allow it"
	out_has '^calling ptrace$' "the program ran up to the call"
	out_lacks 'ptrace returned' "the call never returned"

	sbx_run "$P" syscall mount
	expect_rc 159 "mount() exits 159"
	err_has '\bmount\b' "the message names mount"

	# -q still reports why the program was stopped.
	sbx_run -q "$P" syscall keyctl
	expect_rc 159 "-q: keyctl() exits 159"
	err_has '\bkeyctl\b' "-q: the violation is still reported"

	sbx_run --no-seccomp "$P" syscall personality
	expect_rc 1 "--no-seccomp: personality() returns (exit 1 from the probe)"
}

group_time_limit() {
	local start end
	start=$(date +%s)
	sbx_run --time-limit 1 "$P" sleep 100
	end=$(date +%s)
	expect_rc 124 "--time-limit 1 on sleep 100 exits 124"
	is "$(grep -c 'time limit' <<<"$ERR")" 1 "the time limit is said once, by the exit report"
	if [ $((end - start)) -le 10 ]; then
		pass "--time-limit 1 ends the program within 10 s ($((end - start)) s)"
	else
		fail "--time-limit 1 ends the program within 10 s" "took $((end - start)) s"
	fi
	sbx_run --time-limit 60 "$P" exit 6
	expect_rc 6 "--time-limit 60 on a quick program: its own status"
	# A program that ignores SIGTERM cannot outlive the limit.
	sbx_run --time-limit 1 /bin/sh -c 'trap "" TERM INT HUP; while :; do :; done'
	expect_rc 124 "--time-limit 1 on a program ignoring SIGTERM exits 124"
}

group_setup_failure() {
	sbx_run --ro /nonexistent-sbx-test "$P" exit 0
	expect_rc 125 "a setup failure (--ro of a missing path) exits 125"
	err_has '[Nn]o such file|ENOENT|errno' "the setup failure message names the errno"
	sbx_run --rw /nonexistent-sbx-test/x "$P" exit 0
	expect_rc 125 "--rw of a missing path exits 125"
}

for_each_mode group_exit
for_each_mode group_signals
for_each_mode group_seccomp_kill
for_each_mode group_time_limit
for_each_mode group_setup_failure
done_testing
