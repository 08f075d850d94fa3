#!/bin/bash
# SPDX-License-Identifier: MIT
# What bounds a sandbox's total memory (issue 13 item 5), said by -v and checked: with a memory
# cgroup (root on cgroup v1 here) the group's limit holds for all its processes together;
# without one (unprivileged here) only RLIMIT_AS per process does, so the bound is
# RLIMIT_AS x RLIMIT_NPROC + tmpfs, and -v says so with the numbers.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
# Three processes at once, each writing 50 MiB and holding it for 3 s; "survived" from each
# that kept it to the end.
HOG='for i in 1 2 3; do '$PY' -c "import time; b = b\"x\" * (50 << 20); time.sleep(3); print(\"survived\", flush=True)" & done; wait'

group_memory_bound() {
	if [ ! -x "$PY" ]; then
		skip "what bounds total memory" "$PY not installed"
		return
	fi
	sbx_run -v --memory-limit 100M -- true
	if grep -q 'memory: 100 MiB in total, the memory cgroup' <<<"$ERR"; then
		pass "-v --memory-limit 100M: names the memory cgroup as the bound ($MODE)"
		sbx_run --memory-limit 100M -- sh -c "$HOG"
		local n
		n=$(grep -c '^survived$' <<<"$OUT")
		if [ "$n" -lt 3 ]; then
			pass "memory cgroup: 3 x 50 MiB do not fit in 100 MiB in total ($n of 3 kept theirs)"
		else
			fail "memory cgroup: 3 x 50 MiB do not fit in 100 MiB in total" "$(show_run)"
		fi
	else
		err_has 'memory: no memory cgroup, so no total limit but RLIMIT_AS 100 MiB per process x 256 processes \(RLIMIT_NPROC\) \+ 128 MiB of tmpfs = 25728 MiB' \
			"-v --memory-limit 100M without a memory cgroup: states AS x NPROC + tmpfs ($MODE)"
		sbx_run --memory-limit 100M -- sh -c "$HOG"
		is "$(grep -c '^survived$' <<<"$OUT")" 3 \
			"no memory cgroup: 3 x 50 MiB all fit, RLIMIT_AS holds per process only (as stated)"
		sbx_run --memory-limit 100M -- "$PY" -c 'b = b"x" * (120 << 20); print("survived")'
		err_has 'MemoryError' "no memory cgroup: one process cannot pass 100 MiB (RLIMIT_AS)"
	fi
	sbx_run -v -- true
	err_has 'memory: no memory cgroup, so no total limit but RLIMIT_AS 4096 MiB per process x 256 processes \(RLIMIT_NPROC\) \+ 128 MiB of tmpfs = 1048704 MiB' \
		"-v without --memory-limit: no group is made; the line states the rlimit bound ($MODE)"
	sbx_run -v --pids-limit 9 -- true
	err_has 'x 10 processes \(RLIMIT_NPROC\)' "-v --pids-limit 9: the bound counts 9 processes and sbx's init"
}

for_each_mode group_memory_bound
done_testing
