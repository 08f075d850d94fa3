#!/bin/bash
# SPDX-License-Identifier: MIT
# sbx --each: one sandboxed job per line of LIST, several at once. Jobs that succeed, fail,
# violate the policy, hit the time limit and hang cost themselves only; outputs are grouped per
# job and in LIST order; one JSON line per job; bad lines are named and nothing runs; SIGINT
# stops the batch; a SIGKILLed batch leaves nothing behind; jobs running at the same time cannot
# reach each other (docs/sandbox.md, "Many jobs"). Meson runs it alone: it looks at /tmp, mounts
# and processes of the whole machine.
. "$(dirname "$0")/lib.sh"

# Jobs run "$P LINE" through sh (the line's words are the probe's arguments).
each() {
	local list=$1
	shift
	sbx_run --each "$list" --ro "$T/bin" "$@" -- /bin/sh -c "exec $P {}"
}

# json_field FILE N KEY: KEY of the N-th JSON line (numbers and simple strings only).
json_field() {
	sed -n "${2}p" "$1" | grep -oE "\"$3\":(\"[^\"]*\"|[^,}]*)" | head -1 | cut -d: -f2- | tr -d '"'
}

group_mixed() {
	local list=$T/data/mixed-$MODE json=$T/data/mixed-$MODE.json start end
	printf '%s\n' "exit 0" "exit 3" "syscall ptrace" "sleep 100" "spawn-sleep 100" "args last" >"$list"
	chmod 0644 "$list"
	start=$(date +%s)
	each "$list" -j 3 --time-limit 2 --json-status-fd 3 3>"$json"
	end=$(date +%s)
	expect_rc 3 "the batch exits with the first failing job's status (line 2: 3)"
	if [ $((end - start)) -lt 15 ]; then
		pass "hanging jobs cost their own time limit only ($((end - start)) s for the batch)"
	else
		fail "hanging jobs cost their own time limit only" "took $((end - start)) s"
	fi
	is "$(wc -l <"$json")" 6 "one JSON line per job"
	is "$(for n in 1 2 3 4 5 6; do json_field "$json" $n index; done | tr '\n' ' ')" "1 2 3 4 5 6 " \
		"JSON lines in LIST order"
	is "$(for n in 1 2 3 4 5 6; do json_field "$json" $n status; done | tr '\n' ' ')" "0 3 159 124 124 0 " \
		"statuses: 0, 3, violation 159, time limit 124 twice, 0"
	is "$(json_field "$json" 3 kind)/$(json_field "$json" 4 kind)/$(json_field "$json" 2 kind)" \
		"violation/timeout/exited" "kinds: violation, timeout, exited"
	if sed -n 3p "$json" | grep -q '"violation":"ptrace('; then
		pass "the violation is named in the job's JSON line"
	else
		fail "the violation is named in the job's JSON line" "$(cat "$json")"
	fi
	is "$(json_field "$json" 1 line)" "exit 0" "the JSON line carries the LIST line"
	out_has '^arg 1: last$|last' "the job after the failures still ran"
	err_has 'ptrace' "the violation's message is in the batch's stderr"
}

group_order() {
	local list=$T/data/order-$MODE n
	# Later lines finish first: output must still come in LIST order, each job's whole.
	printf '%s\n' 3 2 1 0 >"$list"
	chmod 0644 "$list"
	sbx_run --each "$list" -j 4 -- /bin/sh -c \
		'for i in 1 2 3; do echo "job{} part $i"; echo "job{} err $i" >&2; sleep 0.0{}; done'
	expect_rc 0 "four jobs that all exit 0: status 0"
	local want_out="" want_err=""
	for n in 3 2 1 0; do
		for i in 1 2 3; do
			want_out+="job$n part $i"$'\n'
			want_err+="job$n err $i"$'\n'
		done
	done
	is "$OUT"$'\n' "$want_out" "stdout grouped per job, in LIST order"
	is "$ERR"$'\n' "$want_err" "stderr grouped per job, in LIST order"
	# More than the in-memory bound (256 KiB): the rest goes to an unlinked file, in order.
	printf '%s\n' a b >"$list"
	sbx_run --each "$list" -j 2 -- /bin/sh -c \
		'head -c 3000000 /dev/zero | tr "\0" {}; echo; echo end-{}'
	expect_rc 0 "two jobs writing 3 MB each: status 0"
	is "$(printf '%s' "$OUT" | tr -d '\n' | wc -c)" 6000010 "6 MB of output, whole"
	is "$(printf '%s\n' "$OUT" | grep -o 'end-.' | tr '\n' ' ')" "end-a end-b " "large outputs in LIST order"
	if printf '%s' "$OUT" | head -c 3000000 | grep -q b; then
		fail "the first job's output is not interleaved with the second's"
	else
		pass "the first job's output is not interleaved with the second's"
	fi
}

group_bad_lines() {
	local list=$T/data/bad-$MODE
	printf '%s\n' "exit 0" "" "exit 0" >"$list"
	chmod 0644 "$list"
	each "$list"
	expect_rc 125 "an empty line: status 125"
	err_has 'line 2: empty line' "the empty line is named by its number"
	{ echo "exit 0"; head -c 5000 /dev/zero | tr '\0' x; echo; } >"$list"
	each "$list"
	expect_rc 125 "a line over 4096 bytes: status 125"
	err_has 'line 2: longer than 4096' "the long line is named"
	each "$T/data/no-such-list"
	expect_rc 125 "a LIST that cannot be read: status 125"
	err_has 'no-such-list: No such file' "the unreadable LIST is named"
	printf '%s\n' "exit 0" "exit 5" >"$list"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --each - --ro "$T/bin" \
		-- /bin/sh -c "exec $P {}") <"$list" >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 5 "LIST from stdin ('-')"
	sbx_run -j 2 "$P" exit 0
	expect_rc 125 "-j without --each is refused"
	sbx_run --no-zygote "$P" exit 0
	expect_rc 125 "--no-zygote without --each is refused"
	err_has '--no-zygote needs --each' "--no-zygote without --each: the message says why"
}

# running_in_batch MARKER N: N sandboxed programs with MARKER are running.
running_count() {
	local n=0 pid
	for pid in $(pids_with_marker "$1"); do
		[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status" 2>/dev/null)" = 2 ] && n=$((n + 1))
	done
	echo "$n"
}
two_running() { [ "$(running_count "$1")" -ge 2 ]; }

group_sigint() {
	local list=$T/data/sigint-$MODE marker json=$T/data/sigint-$MODE.json
	marker=$(new_marker)
	printf '%s\n' "wait-signal $marker" "wait-signal $marker" "wait-signal $marker" "exit 0" >"$list"
	chmod 0644 "$list"
	# sbx's own stdin holds a secret: no job, started or not, may write it out.
	echo "stdin-secret-$marker" >"$T/data/stdin-$MODE"
	chmod 0644 "$T/data/stdin-$MODE"
	(cd "$T/cwd" && exec env --default-signal=INT "${RUNAS[@]}" "$S" --each "$list" -j 2 --ro "$T/bin" \
		--json-status-fd 3 -- /bin/sh -c "exec $P {}") <"$T/data/stdin-$MODE" >"$T/bg.out" 2>"$T/bg.err" 3>"$json" &
	BG_PID=$!
	if wait_until 20 two_running "$marker"; then
		sleep 0.3
		kill -INT "$BG_PID"
		wait_until 20 bg_gone
	fi
	stop_bg "$marker"
	is "$BG_RC" 130 "SIGINT: the batch exits 130"
	is "$(json_field "$json" 1 status)/$(json_field "$json" 2 status)" "102/102" \
		"SIGINT reached both running jobs (they exited 100+2)"
	is "$(json_field "$json" 3 kind)/$(json_field "$json" 4 kind)" "not-started/not-started" \
		"the jobs not yet started are reported as not started"
	if grep -q "stdin-secret" "$T/bg.out" "$T/bg.err"; then
		fail "SIGINT: the jobs not started write nothing of sbx's own stdin" "$(cat "$T/bg.out")"
	else
		pass "SIGINT: the jobs not started write nothing of sbx's own stdin"
	fi
	if wait_until 5 no_pids_with_marker "$marker"; then
		pass "SIGINT: no process left"
	else
		fail "SIGINT: no process left" "$(pids_with_marker "$marker")"
	fi
}

mounts_now() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
tmp_now() { find /tmp /var/tmp /dev/shm -mindepth 1 -maxdepth 1 -user "$WORKER_UID" 2>/dev/null | sort; }

group_sigkill() {
	local list=$T/data/kill-$MODE marker before_m before_t
	marker=$(new_marker)
	printf 'spawn-sleep 100 %s\n' "$marker" "$marker" "$marker" >"$list"
	chmod 0644 "$list"
	before_m=$(mounts_now)
	before_t=$(tmp_now)
	(cd "$T/cwd" && exec "${RUNAS[@]}" "$S" --each "$list" -j 3 --ro "$T/bin" --id-range 30000:30000:2 \
		-- /bin/sh -c "exec $P {}") </dev/null >"$T/bg.out" 2>"$T/bg.err" &
	BG_PID=$!
	# Big output buffered meanwhile would spill into /tmp: none may remain after the kill.
	wait_until 20 two_running "$marker"
	kill -KILL "$BG_PID"
	wait "$BG_PID" 2>/dev/null
	if wait_until 10 no_pids_with_marker "$marker"; then
		pass "SIGKILL of a running batch: no process left"
	else
		fail "SIGKILL of a running batch: no process left" "$(pids_with_marker "$marker")"
		kill_leftovers "$marker"
	fi
	is "$(mounts_now)" "$before_m" "SIGKILL of a running batch: no mount left"
	is "$(tmp_now)" "$before_t" "SIGKILL of a running batch: no temporary file left"
	# The id locks died with the broker: the same two ids serve two jobs at once again.
	printf '%s\n' "uid" "uid" >"$list"
	sbx_run --each "$list" -j 2 --ro "$T/bin" --id-range 30000:30000:2 -- /bin/sh -c "exec $P sleep 1"
	expect_rc 0 "SIGKILL of a running batch: no id lock left (the range serves two jobs again)"
}

# Jobs of one batch at the same time: each sees only itself.
group_isolation() {
	local list=$T/data/iso-$MODE marker
	marker=$(new_marker)
	# Job 1 leaves a file in /tmp and a background process, and waits; the others, started
	# meanwhile and after it, look for what job 1 left and for its processes.
	cat >"$T/bin/iso.sh" <<'SH'
#!/bin/sh
# iso.sh leave|look PROBE MARKER. The marker job 1's background process carries is MARKER-bg,
# looked for by shell matching only, so no looking process carries it in its own arguments.
bg="$3-bg"
case $1 in
leave)
	echo secret >/tmp/left-by-job1
	echo secret >/dev/shm/left-by-job1
	"$2" spawn-sleep 30 "$bg" >/dev/null &
	sleep 2
	[ -e /tmp/left-by-job1 ] && echo "job1 done" ;;
look)
	sleep 0.5
	[ -e /tmp/left-by-job1 ] && echo "SEES-FILE"
	[ -e /dev/shm/left-by-job1 ] && echo "SEES-SHM"
	[ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ] || echo "SEES-USERNS-LIMIT"
	# pid 1 is the job's own init, not the zygote
	[ "$(tr '\0' ' ' </proc/1/cmdline)" = "sbx-init " ] || echo "SEES-INIT $(tr '\0' ' ' </proc/1/cmdline)"
	for f in /tmp/* /tmp/.[!.]*; do
		case $2 in "$f"/*) continue ;; esac # the test's own --ro folder, under /tmp
		[ -e "$f" ] && echo "SEES-TMP $f"
	done
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
		case "$c" in *"$bg"*|*spawn-sleep*|*"iso.sh leave"*) echo "SEES-PROC ${p#/proc/}: $c" ;; esac
	done
	kill -TERM -1 2>/dev/null
	while read -r name rest; do
		[ "$name" = "lo:" ] || case $name in *:) echo "SEES-LINK $name" ;; esac
	done </proc/net/dev
	[ "$(wc -l </proc/net/route)" -le 1 ] || echo "SEES-ROUTE"
	echo "look done" ;;
esac
SH
	chmod 0755 "$T/bin/iso.sh"
	printf '%s\n' leave look look look look >"$list"
	chmod 0644 "$list"
	sbx_run --each "$list" -j 3 --ro "$T/bin" --time-limit 20 -- /bin/sh "$T/bin/iso.sh" {} "$P" "$marker"
	expect_rc 0 "isolation batch: every job exited 0"
	is "$(grep -c 'look done' <<<"$OUT")" 4 "every looking job ran (3 beside job 1, 1 after it)"
	is "$(grep -c 'job1 done' <<<"$OUT")" 1 "job 1 outlived the others' kill(-1, SIGTERM), its file in place"
	out_lacks 'SEES-' "no job sees another's /tmp file or processes, nor a link but lo, nor a route"
	if wait_until 5 no_pids_with_marker "$marker"; then
		pass "job 1's background process did not outlive it"
	else
		fail "job 1's background process did not outlive it" "$(pids_with_marker "$marker")"
		kill_leftovers "$marker"
	fi
	# Every job of one program starts on the batch's zygote (docs/sandbox.md, "Zygote"), one
	# at a time or as many as CPUs; a program that changes per line starts each cold.
	sbx_run -v --each "$list" -j 1 --ro "$T/bin" -- /bin/true
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 5 "--each -j 1: every job starts on the zygote"
	sbx_run -v --each "$list" -j "$(nproc)" --ro "$T/bin" -- /bin/true
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 5 "--each -j CPUS: every job starts on the zygote"
	is "$(grep -c 'the job runs on a ready worker' <<<"$ERR")" 0 "--each with a zygote: no ready workers"
	sbx_run -v --each "$list" -j 1 --no-zygote --ro "$T/bin" -- /bin/true
	expect_rc 0 "--each --no-zygote: every job exited 0"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 0 "--each --no-zygote: no job starts on a zygote"
	# A request channel is each job's own: no zygote (its channel would be every job's).
	sbx_run -v --each "$list" -j 1 --requests --ro "$T/bin" -- /bin/sh -c 'test -S /proc/self/fd/$SBX_FD_BROKER'
	expect_rc 0 "--each --requests: every job has a request channel"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 0 "--each --requests: no zygote"
	# A bind over a tmpfs of the root (--ro /tmp, where this test's folder is) shows the host's
	# there, in a zygote's job as in a single run; the job's own /dev/shm stays its own.
	sbx_run -v --each "$list" -j 1 --ro /tmp -- /bin/sh -c "test -d '$T/bin' && test ! -w /tmp && echo seen"
	is "$(grep -c '^seen$' <<<"$OUT")" 5 "--each --ro /tmp: every job sees the host's /tmp, read-only"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 5 "--each --ro /tmp: on the zygote"
	printf '%s\n' true true >"$T/data/prog-$MODE"
	chmod 0644 "$T/data/prog-$MODE"
	sbx_run -v --each "$T/data/prog-$MODE" -- /bin/{}
	expect_rc 0 "--each with the program named by the line: every job exited 0"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 0 "--each with the program named by the line: no zygote"
	sbx_run -v --each "$list" -j 1 --ro "$T/bin" -- /bin/true
	if grep -q 'a network namespace per job' <<<"$ERR"; then
		skip "the jobs share one empty network namespace" "the kernel lacks Landlock ABI 6"
	else
		err_has 'one shared empty network namespace' "the jobs share one empty network namespace (as root and unprivileged)"
	fi
	# A bind below the root's /tmp covered by a later one (--ro D/a/b, then --rw D/a): the
	# cover shows, as in a single run; the job does not fail on the covered one.
	mkdir -p "$T/data/cov-$MODE/a/b" && echo covered-file >"$T/data/cov-$MODE/a/b/f"
	chmod -R a+rwX "$T/data/cov-$MODE"
	sbx_run -v --each "$list" -j 1 --ro "$T/data/cov-$MODE/a/b" --rw "$T/data/cov-$MODE/a" -- \
		/bin/cat "$T/data/cov-$MODE/a/b/f"
	expect_rc 0 "--each --ro D/a/b --rw D/a: every job exited 0"
	is "$(grep -c '^covered-file$' <<<"$OUT")" 5 "--each --ro D/a/b --rw D/a: every job reads the file"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 5 "--each --ro D/a/b --rw D/a: on the zygote"
	# Under any other policy than the default (which refuses every socket) each job makes its own.
	sbx_run -v --each "$list" -j 1 --ro "$T/bin" --policy xmllint -- /bin/true
	err_has 'a network namespace per job' "under another policy than the built-in default each job makes its own network namespace"
	# Reaching another job through the network namespace they may share: creating a socket
	# (unix, abstract or not, inet, netlink) is refused by the default policy, so no job can
	# listen or connect at all.
	printf '%s\n' "syscall socket-unix" "syscall socket" "syscall socket-netlink" >"$list"
	each "$list" -j 3
	is "$(grep -c 'returned -1 (Permission denied)' <<<"$OUT")" 3 \
		"socket() of every family is refused in a job (EACCES)"
}

# The zygote killed from outside while two jobs run: they end reported as killed, the batch goes
# on with the rest (started cold), and nothing is left behind.
group_zygote_killed() {
	local list=$T/data/zk-$MODE json=$T/data/zk-$MODE.json marker zpid="" i
	marker=$(new_marker)
	printf '%s\n' 1 2 3 4 >"$list"
	chmod 0644 "$list"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" -v --each "$list" -j 2 \
		--json-status-fd 3 --ro "$T/bin" -- /bin/sh -c "exec $P sleep 2 $marker-{}") \
		>"$T/out" 2>"$T/err" 3>"$json" &
	local bg=$!
	for i in $(seq 1 100); do
		zpid=$(grep -o 'a zygote for .* (host pid [0-9]*)' "$T/err" 2>/dev/null | grep -o '[0-9]*)$' | tr -d ')')
		[ -n "$zpid" ] && [ "$(running_count "$marker")" -ge 2 ] && break
		sleep 0.1
	done
	if [ -z "$zpid" ]; then
		fail "the zygote killed: found it" "$(cat "$T/err")"
		wait "$bg"
		return
	fi
	kill -KILL "$zpid"
	wait "$bg"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	is "$(for n in 1 2 3 4; do json_field "$json" $n kind; done | tr '\n' ' ')" "killed killed exited exited " \
		"the zygote killed: its two running jobs killed, the next two ran"
	expect_rc 137 "the zygote killed: the batch's status is the first killed job's"
	err_has 'the zygote that started it ended' "the zygote killed: the message says so"
	if wait_until 5 no_pids_with_marker "$marker"; then
		pass "the zygote killed: no process of its jobs left"
	else
		fail "the zygote killed: no process of its jobs left" "$(pids_with_marker "$marker")"
		kill_leftovers "$marker"
	fi
}

# Many jobs at once under a small memory limit: each job's limit is its own; the zygote, which
# clones them all, holds none of theirs (the kernel charges a clone where it happens). And a
# broker whose user has hundreds of supplementary groups (a long Groups: line in /proc/PID/status,
# where the broker finds each job's init): every job still starts on the zygote.
group_zygote_load() {
	local list=$T/data/load-$MODE i
	for i in $(seq 1 60); do echo "$i"; done >"$list"
	chmod 0644 "$list"
	sbx_run --each "$list" -j 60 --memory-limit 6M -- /bin/sh -c 'sleep 1; echo ok'
	expect_rc 0 "60 jobs at once under --memory-limit 6M: every job exited 0"
	is "$(grep -c '^ok$' <<<"$OUT")" 60 "60 jobs at once under --memory-limit 6M: every job ran"
	local groups
	groups=$(seq 200000 200400 | tr '\n' ',')
	printf '%s\n' 1 2 3 >"$list"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" setpriv --reuid=65534 --regid=65534 \
		--groups "${groups%,}" "$S" -v --each "$list" -- /bin/true) >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	expect_rc 0 "a broker with 401 supplementary groups: every job exited 0"
	is "$(grep -c 'the job runs on the zygote' <<<"$ERR")" 3 "a broker with 401 supplementary groups: every job on the zygote"
}

# A batch with a directory grant: every job's opens below it are answered by the broker, the
# filter compiled for the grant once and reused (one compile line with -v for three jobs).
group_dir_grant() {
	local d=$T/data/dg-$MODE list=$T/data/dg-list-$MODE
	mkdir -p "$d" && echo "granted-file" >"$d/f" && chmod -R a+rX "$d"
	printf '%s\n' 1 2 3 >"$list"
	chmod 0644 "$list"
	sbx_run -v --each "$list" -j 2 --dir "d=$d" -- /bin/cat "$d/f"
	expect_rc 0 "a batch with a directory grant: every job exited 0"
	is "$(grep -c '^granted-file$' <<<"$OUT")" 3 "every job opened the file below the grant through the broker"
	is "$(grep -c 'seccomp: [0-9]* BPF instructions$' <<<"$ERR"):$(grep -c 'BPF instructions (default policy with directory grants, compiled at build time)' <<<"$ERR")" \
		"0:3" "the default filter for a directory grant is built in: no job compiles one"
	ok "$(! grep -q 'notice:' <<<"$ERR"; echo $?)" "a path below the directory grant: no notice that it is hidden" "$ERR"
	rm -rf "$d"
}

# Lines naming files of a working directory the sandbox does not show: every job fails as it
# would, and sbx says why once, not once per job; with --ro . every job reads its file.
group_hidden_lines() {
	local d=$T/data/hl-$MODE
	mkdir -p "$d"
	printf '%s\n' a b c >"$d/list"
	for f in a b c; do echo "file $f" >"$d/$f"; done
	chmod -R a+rX "$d"
	SBX_CWD=$d sbx_run --each list -j 2 -- cat {}
	expect_rc 1 "jobs of files in a hidden working directory fail as cat does"
	is "$(grep -c "notice: 'a' is in the working directory $d, which the sandbox does not show" <<<"$ERR")" 1 \
		"sbx says why once for the batch, naming the first job's argument"
	SBX_CWD=$d sbx_run --each list -j 2 --ro . -- cat {}
	is "$RC:$(tr '\n' ' ' <<<"$OUT")" "0:file a file b file c " "with --ro . every job reads its file"
	ok "$(! grep -q 'notice:' <<<"$ERR"; echo $?)" "and no notice" "$ERR"
	rm -rf "$d"
}

for_each_mode group_mixed
for_each_mode group_dir_grant
for_each_mode group_hidden_lines
for_each_mode group_order
for_each_mode group_bad_lines
for_each_mode group_sigint
only_root group_sigkill
for_each_mode group_isolation
for_each_mode group_zygote_killed
only_root group_zygote_load
done_testing
