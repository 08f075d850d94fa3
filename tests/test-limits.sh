#!/bin/bash
# SPDX-License-Identifier: MIT
# Resource limits: rlimits always, --memory-limit, --pids-limit, --time-limit.
. "$(dirname "$0")/lib.sh"

group_rlimits() {
	sbx_run "$P" rlimits
	expect_held "rlimits: CORE 0; NOFILE, FSIZE, NPROC, AS finite"
	sbx_run "$P" signal 11
	expect_rc 139 "a crash exits 139"
}

group_memory() {
	sbx_run --memory-limit 64M "$P" alloc 512M
	if [ "$RC" = 1 ] || [ "$RC" = 137 ]; then
		pass "--memory-limit 64M: allocating 512M fails (exit $RC)"
	else
		fail "--memory-limit 64M: allocating 512M fails (1, or 137 when OOM-killed)" "$(show_run)"
	fi
	sbx_run --memory-limit 65536K "$P" alloc 512M
	if [ "$RC" = 1 ] || [ "$RC" = 137 ]; then
		pass "--memory-limit 65536K: allocating 512M fails (exit $RC)"
	else
		fail "--memory-limit 65536K: allocating 512M fails" "$(show_run)"
	fi
	sbx_run --memory-limit 512M "$P" alloc 16M
	expect_rc 0 "--memory-limit 512M: allocating 16M works (control)"
	sbx_run --memory-limit 2G "$P" alloc 1G
	expect_rc 0 "--memory-limit 2G (G suffix): allocating 1G works"
}

group_pids() {
	sbx_run --pids-limit 16 "$P" forkbomb 500
	expect_held "--pids-limit 16: a fork bomb of 500 is contained"
	local forked
	forked=$(awk '/^forked: / { print $2 }' <<<"$OUT")
	if [ -n "$forked" ] && [ "$forked" -lt 16 ]; then
		pass "--pids-limit 16: fewer than 16 processes were created ($forked)"
	else
		fail "--pids-limit 16: fewer than 16 processes were created" "$(show_run)"
	fi
	sbx_run --pids-limit 100 "$P" forkbomb 20
	if [ "$RC" = 1 ] && grep -q '^forked: 20$' <<<"$OUT"; then
		pass "--pids-limit 100: 20 processes can be created (control)"
	else
		fail "--pids-limit 100: 20 processes can be created (control)" "$(show_run)"
	fi
	# Without --pids-limit the NPROC rlimit still contains a fork bomb. Only tried when that
	# limit is small enough not to exhaust the machine if it does not hold.
	local nproc
	sbx_run "$P" rlimits
	nproc=$(awk '/^RLIMIT_NPROC: / { print $2 }' <<<"$OUT")
	if ! [[ "$nproc" =~ ^[0-9]+$ ]] || [ "$nproc" -gt 4096 ]; then
		skip "no --pids-limit: RLIMIT_NPROC contains a fork bomb" "RLIMIT_NPROC is '$nproc', too big to try"
	else
		sbx_run "$P" forkbomb $((nproc + 50))
		expect_held "no --pids-limit: RLIMIT_NPROC ($nproc) contains a fork bomb of $((nproc + 50))"
	fi
}

group_time() {
	local start end marker
	marker=$(new_marker)
	start=$(date +%s)
	sbx_run --time-limit 1 "$P" spawn-sleep 100 "$marker"
	end=$(date +%s)
	expect_rc 124 "--time-limit 1: exit 124"
	if [ $((end - start)) -le 10 ]; then
		pass "--time-limit 1: ended within 10 s ($((end - start)) s)"
	else
		fail "--time-limit 1: ended within 10 s" "took $((end - start)) s"
	fi
	if wait_until 5 no_pids_with_marker "$marker"; then
		pass "--time-limit 1: a daemonized grandchild dies too"
	else
		fail "--time-limit 1: a daemonized grandchild dies too" "left: $(pids_with_marker "$marker" | tr '\n' ' ')"
	fi
	kill_leftovers "$marker"
	err_has '[Tt]ime' "--time-limit: stderr says the time limit ended it"
}

group_fsize() {
	# A file written into --rw cannot grow past RLIMIT_FSIZE. Only run it when that limit is
	# small enough not to fill the host's disk if it does not hold.
	local rw=$T/data/fsize-$MODE fsize
	# The default (4 GiB) is too big to try; a policy's `limit fsize` sets a small one.
	printf 'include default\nlimit fsize 1M\n' >"$T/fsize.policy"
	chmod 0644 "$T/fsize.policy"
	sbx_run --policy "$T/fsize.policy" /bin/sh -c 'head -c 2000000 /dev/zero >/tmp/big; echo "rc=$?"; wc -c </tmp/big'
	if grep -q '^rc=153$' <<<"$OUT" && grep -q '^1048576$' <<<"$OUT"; then
		pass "limit fsize 1M (policy): a write stops at 1 MiB with SIGXFSZ"
	else
		fail "limit fsize 1M (policy): a write stops at 1 MiB with SIGXFSZ" "$(show_run)"
	fi
	sbx_run "$P" rlimits
	fsize=$(awk '/^RLIMIT_FSIZE: / { print $3 }' <<<"$OUT")
	if ! [[ "$fsize" =~ ^[0-9]+$ ]] || [ "$fsize" -gt $((1 << 30)) ]; then
		skip "RLIMIT_FSIZE stops a write into a --rw folder" "RLIMIT_FSIZE is '$fsize', too big to try"
		return
	fi
	mkdir -p "$rw"
	chmod 0777 "$rw"
	sbx_run --rw "$rw" "$P" fill "$rw/big" $((fsize + (16 << 20)))
	expect_held "RLIMIT_FSIZE ($fsize): writing past it into a --rw folder stops with an error"
	rm -rf "$rw"
}

for_each_mode group_rlimits
for_each_mode group_memory
for_each_mode group_pids
# One duration syntax on the command line and in a policy (common/spec.c): plain seconds with
# a fraction and numbers with a unit, both places.
group_time_syntax() {
	local start end ms d=$T/data/time-$MODE
	mkdir -p "$d"
	chmod 0755 "$d"
	start=$(date +%s%N)
	sbx_run --time-limit 1.5 "$P" sleep 100
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	expect_rc 124 "--time-limit 1.5: exit 124"
	# Past 1.4 s: the fraction counts (1.5 is not cut to 1 s).
	if [ "$ms" -ge 1400 ] && [ "$ms" -le 10000 ]; then
		pass "--time-limit 1.5: ended after 1.5 s ($ms ms)"
	else
		fail "--time-limit 1.5: ended after 1.5 s, within 10 s" "took $ms ms"
	fi
	sbx_run --time-limit 2s "$P" sleep 100
	expect_rc 124 "--time-limit 2s: exit 124"
	sbx_run --time-limit 500ms "$P" exit 6
	expect_rc 6 "--time-limit 500ms on a quick program: its own status"
	local v
	for v in 1.5 10s; do
		printf 'include default\nlimit time %s\n' "$v" >"$d/time.policy"
		chmod 0644 "$d/time.policy"
		run_plain "$S" policy check "$d/time.policy"
		expect_rc 0 "policy 'limit time $v' parses"
		sbx_run --policy "$d/time.policy" "$P" exit 7
		expect_rc 7 "policy 'limit time $v': a quick program keeps its status"
	done
	printf 'include default\nlimit time 1.5\n' >"$d/time.policy"
	sbx_run --policy "$d/time.policy" "$P" sleep 100
	expect_rc 124 "policy 'limit time 1.5': the program is ended, exit 124"
	printf 'include default\nlimit time 10x\n' >"$d/time.policy"
	sbx_run --policy "$d/time.policy" "$P" exit 7
	expect_rc 125 "policy 'limit time 10x' is refused"
	err_has "bad value '10x' for limit time" "policy 'limit time 10x': the message names the value"
	sbx_run --time-limit 10x "$P" exit 7
	expect_rc 125 "--time-limit 10x is refused"
	err_has "unknown unit 'x'" "--time-limit 10x: the message names the unit"
}

for_each_mode group_time
for_each_mode group_time_syntax
for_each_mode group_fsize
done_testing
