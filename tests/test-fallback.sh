#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 11: sbx doctor, the fail-closed default and --fallback where layers are missing:
#  A. user namespaces blocked (inside `bwrap --unshare-user --disable-userns`, as uid 65534);
#  B. the default Podman container (runc, its seccomp profile, masked /proc), built from a root
#     folder of our own with the host's /usr read-only (no image is pulled).
# Each: doctor's report and exit status, exit 125 naming the cause and both ways out, real
# programs under --fallback, and an escape suite (probe.c) that must hold under --fallback.
source "$(dirname "$0")/lib.sh"

# lib.sh's own temporary folder (removed at exit), with its copies of sbx and the probe ($S, $P).
mkdir -p "$T/host"
echo HOSTSECRET >"$T/host/secret"
chmod -R a+rX "$T/host"
chmod 777 "$T/host"
RUNAS=()

# A listener on the host's loopback and a process of the worker's uid to signal.
PORT=$((20000 + RANDOM % 20000))
python3 -c "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',$PORT));s.listen();time.sleep(600)" &
LISTENER=$!
at_exit "kill $LISTENER 2>/dev/null"

# escape_suite PREFIX...: the checks that must hold under --fallback, run through PREFIX.
escape_suite() {
	local where=$1
	shift
	run_as "$@" "$S" -q --fallback -- "$P" read "$T/host/secret"
	if grep -q HOSTSECRET <<<"$OUT"; then fail "$where: reading a host file" "$(show_run)"; else pass "$where: reading a host file"; fi
	run_as "$@" "$S" -q --fallback -- "$P" write "$T/host/planted" x
	if [ -e "$T/host/planted" ]; then fail "$where: writing a host file" "$(show_run)"; else pass "$where: writing a host file"; fi
	run_as "$@" "$S" -q --fallback -- "$P" ls "$T/host"
	out_lacks secret "$where: listing a host folder"
	run_as "$@" "$S" -q --fallback -- "$P" ls /root
	out_has 'failed' "$where: listing /root"
	run_as "$@" "$S" -q --fallback -- bash -c "echo hi >/dev/tcp/127.0.0.1/$PORT && echo CONNECTED"
	out_lacks CONNECTED "$where: a socket to a host listener on 127.0.0.1"
	run_as "$@" bash -c "sleep 30 & v=\$!; $S -q --fallback -- $P kill-all; sleep 0.2; kill -0 \$v && echo ALIVE; kill \$v"
	out_has ALIVE "$where: kill(-1, SIGKILL) does not reach a process of the same uid outside"
	# Without a pid namespace, init (their subreaper) ends the program's leftover processes,
	# a daemonised one included (found from the host by their unique argument).
	local n=$((300000 + RANDOM))
	run_as "$@" bash -c "$S -q --fallback -- /bin/sh -c 'sleep $n & (setsid sleep $n &); echo started'; sleep 0.5; pgrep -fx 'sleep $n' >/dev/null && echo LEFT; pkill -fx 'sleep $n'; true"
	if grep -q started <<<"$OUT" && ! grep -q LEFT <<<"$OUT"; then
		pass "$where: the program's leftover processes end with it"
	else
		fail "$where: the program's leftover processes end with it" "$(show_run)"
	fi
	# A kill (a violation, the time limit) ends every process of the program, not init alone:
	# none is handed to the host to run on, and the stopped call never returns (ENOSYS).
	local end
	for end in violation time-limit; do
		n=$((300000 + RANDOM))
		local prog="sleep $n & (setsid sleep $n &); sleep 0.3; echo started; python3 -c \"import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)\"; echo after; sleep $n"
		local opts=(-q --fallback)
		[ "$end" = time-limit ] && { opts+=(--time-limit 1); prog="sleep $n & (setsid sleep $n &); echo started; sleep $n"; }
		run_as "$@" bash -c "$S ${opts[*]} -- /bin/sh -c '$prog'; echo rc=\$?; sleep 0.5; pgrep -fx 'sleep $n' >/dev/null && echo LEFT; pkill -fx 'sleep $n'; true"
		sleep 0.5
		local host=; pgrep -fx "sleep $n" >/dev/null && host=yes
		pkill -fx "sleep $n"
		if grep -q started <<<"$OUT" && ! grep -Eq 'LEFT|after|returned' <<<"$OUT" && [ -z "$host" ] &&
			grep -Eq "rc=($( [ "$end" = violation ] && echo 159 || echo '1[0-9][0-9]'))" <<<"$OUT"; then
			pass "$where: a kill by $end leaves no process of the program running"
		else
			fail "$where: a kill by $end leaves no process of the program running" "host: ${host:-none left}" "$(show_run)"
		fi
	done
	run_as "$@" "$S" -q --fallback -- "$P" userns
	if [ "$RC" = 159 ] || grep -q ': HELD$' <<<"$OUT"; then pass "$where: no nested user namespace"; else fail "$where: no nested user namespace" "$(show_run)"; fi
	for call in ptrace mount bpf io_uring_setup perf_event_open keyctl setns; do
		run_as "$@" "$S" -q --fallback -- "$P" syscall "$call"
		# Killed by ours, or refused first by a container's own filter (its ERRNO wins over
		# our notification): either way the call did nothing.
		if [ "$RC" = 159 ] || grep -q 'returned -1' <<<"$OUT"; then
			pass "$where: $call is stopped"
		else
			fail "$where: $call is stopped" "$(show_run)"
		fi
	done
}

# ---- A. user namespaces blocked ----
if ! command -v bwrap >/dev/null || ! bwrap --dev-bind / / --unshare-user --disable-userns -- true 2>/dev/null; then
	skip "user namespaces blocked: bwrap --disable-userns cannot run here (bubblewrap 0.8+, user namespaces)"
else
	B=(bwrap --dev-bind / / --unshare-user --uid 65534 --gid 65534 --disable-userns --)
	run_as "${B[@]}" "$S" doctor
	expect_rc 1 "no user namespaces: doctor exits 1"
	out_has '^MISSING +user namespaces: unshare\(CLONE_NEWUSER\)' "doctor names the user namespace and why"
	out_has '^ok +seccomp user notification' "doctor: the seccomp listener works"
	run_as "${B[@]}" "$S" doctor --json
	if python3 -c 'import json,sys; d=json.load(sys.stdin); c={x["check"]:x for x in d["checks"]}; sys.exit(0 if not c["userns"]["available"] and c["userns"]["fix"] and not d["default_sandbox"] else 1)' <<<"$OUT"; then
		pass "doctor --json: userns unavailable, with a fix"
	else
		fail "doctor --json: userns unavailable, with a fix" "$(show_run)"
	fi
	run_as "${B[@]}" "$S" -- echo hi
	expect_rc 125 "no user namespaces: fails closed (125)"
	err_has 'cause: user namespaces' "the message names the mechanism and the cause"
	err_has 'fix: ' "the message names the fix"
	err_has 'or run with --fallback' "the message names --fallback"
	run_as "${B[@]}" "$S" --fallback --json-status-fd 1 -- sh -c 'echo hi; ls /usr/bin | grep -c .'
	expect_rc 0 "--fallback runs sh"
	out_has '^hi$' "--fallback: the program's output"
	out_has '"event":"fallback","missing":\["userns",' "--fallback: the JSON status names what is missing"
	err_has 'fallback: this place lacks user namespaces' "--fallback: stderr names what is missing"
	if [ "$(grep -c 'this place lacks' <<<"$ERR")" = 1 ]; then pass "named once"; else fail "named once" "$(show_run)"; fi
	printf 'include default\nfallback allow\n' >"$T/host/fb.policy"
	run_as "${B[@]}" "$S" --policy "$T/host/fb.policy" -- echo policy-ok
	out_has '^policy-ok$' "a policy's 'fallback allow' runs it too"
	escape_suite "no userns" "${B[@]}"
fi

# ---- B. the default Podman container ----
ROOTFS=$T/rootfs
podman_ok() {
	command -v podman >/dev/null && command -v runc >/dev/null || return 1
	mkdir -p "$ROOTFS"/{proc,sys,dev,tmp,run,root,usr}
	cp -a /etc "$ROOTFS/etc" 2>/dev/null
	for l in bin lib lib64 sbin; do [ -L "/$l" ] && cp -a "/$l" "$ROOTFS/$l"; done
	timeout 60 podman --runtime runc run --rm --ulimit nofile=10000:10000 --ulimit nproc=1000:1000 \
		-v /usr:/usr:ro --rootfs "$ROOTFS" true >/dev/null 2>&1
}
if [ "$(id -u)" != 0 ] || ! podman_ok; then
	skip "default Podman container: podman (runc) cannot run here (install podman runc golang-github-containers-common; needs root and a merged /usr)"
else
	C=(podman --runtime runc run --rm -i --ulimit nofile=10000:10000 --ulimit nproc=1000:1000
	   -v /usr:/usr:ro -v "$T:$T" --rootfs "$ROOTFS")
	run_as "${C[@]}" "$S" doctor
	expect_rc 1 "podman: doctor exits 1"
	out_has '^MISSING +.*fix: .*(seccomp|systempaths)=unconfined' "podman: doctor names what is missing and the container option"
	out_has '^ok +user namespaces' "podman: user namespaces work"
	run_as "${C[@]}" "$S" -- echo hi
	expect_rc 125 "podman: fails closed (125)"
	err_has 'cause: ' "podman: names the cause"
	err_has 'or run with --fallback' "podman: names --fallback"
	run_as "${C[@]}" "$S" --fallback -- sh -c 'echo hi | tr a-z A-Z; ls /proc 2>&1; id -u'
	expect_rc 0 "podman: --fallback runs a pipeline"
	out_has '^HI$' "podman: the program's output"
	err_has 'fallback: this place lacks' "podman: stderr names what is missing"
	escape_suite "podman" "${C[@]}"
	run_as "${C[@]:0:4}" --security-opt seccomp=unconfined --security-opt systempaths=unconfined "${C[@]:4}" "$S" -- echo full
	out_has '^full$' "podman with seccomp=unconfined and systempaths=unconfined: the full sandbox"
fi

done_testing
