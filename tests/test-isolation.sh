#!/bin/bash
# SPDX-License-Identifier: MIT
# What the worker gets: identity, privileges, namespaces, file system, fds, environment.
. "$(dirname "$0")/lib.sh"

group_controls() {
	# The probe reports a broken promise outside the sandbox: the checks below can fail.
	local c
	for c in caps nnp seccomp-mode hostname pid1 env fds; do
		# fd 7 stands for whatever a caller may leak.
		exec 7</dev/null
		probe_outside "$c"
		exec 7<&-
		if [ "$RC" = 1 ] && grep -q ': BROKEN' <<<"$OUT"; then
			pass "control: probe $c reports BROKEN outside the sandbox"
		else
			fail "control: probe $c reports BROKEN outside the sandbox" "$(show_run)"
		fi
	done
}

group_identity() {
	sbx_run "$P" uid "$WORKER_UID"
	expect_held "uid inside is $WORKER_UID, uid_map '$WORKER_UID $WORKER_UID 1', never 0"
	sbx_run "$P" become-root
	expect_held "setresuid(0)/setresgid(0) fail"
	sbx_run "$P" caps
	expect_held "all capability sets are 0 (CapEff CapPrm CapInh CapAmb CapBnd)"
	sbx_run "$P" securebits
	expect_held "securebits *_LOCKED are set"
	sbx_run "$P" nnp
	expect_held "NoNewPrivs: 1"
	sbx_run "$P" seccomp-mode 2
	expect_held "Seccomp: 2"
	sbx_run --no-seccomp "$P" caps
	expect_held "--no-seccomp: still zero capabilities"
	sbx_run --no-seccomp "$P" nnp
	expect_held "--no-seccomp: still NoNewPrivs"
}

group_namespaces() {
	sbx_run "$P" hostname sbx
	expect_held "hostname is sbx"
	sbx_run "$P" pid1
	expect_held "the program is pid 2 under sbx's init, alone in its pid namespace"
	sbx_run "$P" cgroupns
	expect_held "cgroup namespace: every cgroup path is /"

	# A System V shared memory segment of the host is invisible (ipc namespace).
	local shmid
	shmid=$("${RUNAS[@]}" ipcmk -M 4096 2>/dev/null | awk '{ print $NF }')
	if [ -n "$shmid" ]; then
		sbx_run "$P" sysvipc
		expect_held "ipc namespace: a host SysV shm segment is invisible"
		"${RUNAS[@]}" ipcrm -m "$shmid" 2>/dev/null
	else
		skip "ipc namespace: a host SysV shm segment is invisible" "ipcmk failed"
	fi

	# Network: needs socket(), which the default policy kills; the namespace must hold without.
	sbx_run "$P" net
	if [ "$RC" = 159 ] || { [ "$RC" = 3 ] && grep -q 'ERROR: socket: ' <<<"$OUT"; }; then
		pass "net: the default policy lets no socket be created (killed or refused: $RC)"
	else
		fail "net: the default policy lets no socket be created (killed or refused)" "$(show_run)"
	fi
	local port abstract pyfile=$T/data/listen.py
	abstract="sbx-test-$$-$RANDOM"
	cat >"$pyfile" <<'EOF'
import socket, sys, time
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0)); t.listen(16)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind("\0" + sys.argv[1]); u.listen(16)
print(t.getsockname()[1], flush=True)
time.sleep(120)
EOF
	/usr/bin/python3 "$pyfile" "$abstract" >"$T/data/port" 2>/dev/null &
	local py=$!
	wait_until 10 test -s "$T/data/port"
	port=$(cat "$T/data/port")
	if [ -n "$port" ]; then
		# Control: from the host the listeners are reachable.
		probe_outside net "$port" "$abstract"
		if grep -q '^broken: connected to 127.0.0.1' <<<"$OUT" &&
			grep -q '^broken: connected to the abstract socket' <<<"$OUT"; then
			pass "control: the host listeners are reachable outside"
		else
			fail "control: the host listeners are reachable outside" "$(show_run)"
		fi
		sbx_run --no-seccomp "$P" net "$port" "$abstract"
		expect_held "net namespace: only lo, no route, host TCP and abstract unix listeners unreachable"
	else
		skip "net namespace" "could not start a python3 listener"
	fi
	kill "$py" 2>/dev/null
	wait "$py" 2>/dev/null
}

# The program's own host process, seen from outside: not uid 0, no capabilities, and in
# namespaces other than the caller's.
group_from_outside() {
	local marker pid ns
	marker=$(new_marker)
	start_bg "$P" sleep 60 "$marker"
	if ! wait_until 15 program_pid "$marker" >/dev/null; then
		fail "found the program's host pid by its marker" "$(cat "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	pid=$(program_pid "$marker")
	pass "found the program's host pid by its marker"
	local uids caps
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	is "$uids" "$WORKER_UID $WORKER_UID $WORKER_UID $WORKER_UID" "from the host: the program's uids are $WORKER_UID (never 0)"
	caps=$(awk '/^Cap(Inh|Prm|Eff|Amb):/ { print $2 }' "/proc/$pid/status" | sort -u)
	is "$caps" "0000000000000000" "from the host: the program's capability sets are 0"
	local bad=()
	for ns in user mnt pid ipc uts net cgroup; do
		if [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/self/ns/$ns")" ]; then
			bad+=("$ns")
		fi
	done
	is "${bad[*]:-}" "" "from the host: the program is in fresh user mnt pid ipc uts net cgroup namespaces"
	# sbx's init (pid 1 inside) holds no privilege over the host either.
	local init
	init=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
	diag "init: $(grep -E '^(Uid|CapEff|NSpid):' "/proc/$init/status" | tr '\n' ' ')"
	if [ "$(awk '/^Uid:/ { print $3 }' "/proc/$init/status")" != 0 ] ||
		[ "$(readlink "/proc/$init/ns/user")" != "$(readlink /proc/self/ns/user)" ]; then
		pass "from the host: sbx's init is not host root in the host user namespace"
	else
		fail "from the host: sbx's init is not host root in the host user namespace" \
			"$(grep -E '^(Uid|Cap)' "/proc/$init/status")"
	fi
	stop_bg "$marker"
}

group_filesystem() {
	sbx_run "$P" mounts
	expect_held "every mount is nosuid and the root is read-only"
	local mounts
	mounts=$(awk '/^mount: / { print $2 }' <<<"$OUT")
	local bad
	bad=$(grep -Ev '^/$|^/usr(/|$)|^/etc(/|$)|^/proc(/|$)|^/dev(/|$)|^/tmp$' <<<"$mounts")
	is "$bad" "" "no mount points besides / /usr /etc /proc /dev /tmp"

	sbx_run "$P" ls /
	expect_rc 0 "ls / works"
	bad=$(awk '/^entry: / { print $2 }' <<<"$OUT" |
		grep -Ev '^(usr|lib|lib32|lib64|libx32|bin|sbin|etc|proc|dev|tmp)$')
	is "$bad" "" "the root holds only usr lib* bin sbin etc proc dev tmp"

	# The small set; an /etc/hostname saying "sbx" reveals nothing of the host.
	sbx_run "$P" ls /etc
	bad=$(awk '/^entry: / { print $2 }' <<<"$OUT" |
		grep -Ev '^(ld\.so\.cache|passwd|group|nsswitch\.conf|localtime|hosts|alternatives|hostname)$')
	is "$bad" "" "/etc holds only the small set"

	local p
	for p in /home /root /work /var /run /sys /boot /mnt /opt /srv /media "$T" "$SBX_SRCDIR"; do
		sbx_run "$P" ls "$p"
		if [ "$RC" = 1 ]; then pass "host $p is not visible"; else fail "host $p is not visible" "$(show_run)"; fi
	done
	sbx_run "$P" read /etc/shadow
	expect_rc 1 "/etc/shadow is not visible"
	sbx_run "$P" read /etc/hostname
	if [ "$RC" = 1 ] || ! grep -qx "$(cat /etc/hostname 2>/dev/null || echo sbx-none)" <<<"$OUT" ||
		[ "$(cat /etc/hostname 2>/dev/null)" = sbx ]; then
		pass "the host's /etc/hostname is not visible"
	else
		fail "the host's /etc/hostname is not visible" "$(show_run)"
	fi
	sbx_run "$P" read /etc/passwd
	expect_rc 0 "/etc/passwd is readable"

	for p in /sbx-test /usr/sbx-test /etc/sbx-test; do
		sbx_run "$P" write "$p"
		expect_rc 1 "cannot create $p"
	done
	sbx_run "$P" mkdir /sbx-test-dir
	expect_rc 1 "cannot mkdir in the root"
	sbx_run "$P" write /etc/passwd
	expect_rc 1 "cannot write /etc/passwd"

	sbx_run "$P" cwd
	expect_held "the working directory is inside the sandbox's root"

	sbx_run "$P" tmp 64M
	expect_held "/tmp is an empty writable 64M tmpfs, nosuid nodev"
	sbx_run "$P" fill /tmp/big 1G
	expect_held "filling /tmp stops with an error"
	local written
	written=$(awk '/^written: / { print $2 }' <<<"$OUT")
	if [ -n "$written" ] && [ "$written" -le $((64 << 20)) ]; then
		pass "filling /tmp stops at 64M ($written bytes)"
	else
		fail "filling /tmp stops at 64M" "$(show_run)"
	fi
	local hostfile
	hostfile=$(mktemp /tmp/sbx-host-marker.XXXXXX)
	chmod 0644 "$hostfile"
	sbx_run "$P" read "$hostfile"
	rm -f "$hostfile"
	expect_rc 1 "host /tmp files are not visible"

	sbx_run "$P" devices
	expect_held "/dev holds null zero full random urandom fd stdin stdout stderr shm (no tty) and they work"
}

group_paths() {
	local ro=$T/data/ro rw=$T/data/rw-$MODE
	mkdir -p "$ro" "$rw"
	echo "ro-content" >"$ro/file"
	chmod 0755 "$ro"
	chmod 0644 "$ro/file"
	chmod 0777 "$rw"
	echo "single-file" >"$T/data/single"
	chmod 0644 "$T/data/single"

	sbx_run --ro "$ro" "$P" read "$ro/file"
	expect_rc 0 "--ro DIR: readable at the same path"
	out_has '^ro-content$' "--ro DIR: content matches"
	sbx_run --ro "$ro" "$P" write "$ro/file"
	expect_rc 1 "--ro DIR: a file cannot be written"
	sbx_run --ro "$ro" "$P" write "$ro/new"
	expect_rc 1 "--ro DIR: no file can be created"
	if [ -e "$ro/new" ]; then fail "--ro DIR: nothing appeared on the host"; else pass "--ro DIR: nothing appeared on the host"; fi
	is "$(cat "$ro/file")" "ro-content" "--ro DIR: the host file is unchanged"

	sbx_run --ro "$T/data/single" "$P" read "$T/data/single"
	expect_rc 0 "--ro FILE: a single file is readable"
	sbx_run --ro "$T/data/single" "$P" ls "$T/data"
	if [ "$RC" = 0 ] && ! grep -q '^entry: ro$' <<<"$OUT"; then
		pass "--ro FILE: its siblings are not visible"
	else
		fail "--ro FILE: its siblings are not visible" "$(show_run)"
	fi

	sbx_run --rw "$rw" "$P" write "$rw/out" "written inside"
	expect_rc 0 "--rw DIR: writable"
	is "$(cat "$rw/out" 2>/dev/null)" "written inside" "--rw DIR: the write shows on the host"
	local owner
	owner=$(stat -c %u "$rw/out" 2>/dev/null)
	# The caller's: as root, the path is idmapped (docs/sandbox.md, "Granted paths and ids").
	is "$owner" "$RUN_UID" "--rw DIR: the new file is owned by the caller (host uid $RUN_UID)"

	sbx_run --ro "$ro" --rw "$rw" "$P" mounts
	expect_held "with --ro and --rw: every mount still nosuid"
	if grep -q "^mount: $ro " <<<"$OUT" && grep -q "^mount: $rw " <<<"$OUT"; then
		pass "--ro and --rw paths are mount points at the same path"
	else
		fail "--ro and --rw paths are mount points at the same path" "$(show_run)"
	fi
	sbx_run --ro "$ro" "$P" ls "$T/bin"
	expect_rc 1 "--ro DIR: other folders next to it stay invisible"

	# A path the caller cannot read must not become readable through the sandbox.
	if [ "$IS_ROOT" -eq 0 ]; then
		skip "--ro of a folder the caller cannot read" "needs root to make a folder the caller cannot read"
		return
	fi
	local secret
	secret=$(mktemp -d /tmp/sbx-secret.XXXXXX)
	echo "top-secret-$$" >"$secret/secret"
	# Another uid's (1000): root, the caller, could read it, but the idmap makes only the
	# caller's own files the worker's; the unprivileged caller cannot read it at all.
	chown -R 1000:1000 "$secret"
	chmod 0700 "$secret"
	chmod 0600 "$secret/secret"
	sbx_run --ro "$secret" "$P" read "$secret/secret"
	if [ "$RUN_UID" -eq 0 ]; then
		# The worker is host uid 65534, not root: the file stays unreadable.
		expect_rc 1 "--ro of another uid's 0700 folder: the worker cannot read it"
	else
		if [ "$RC" = 125 ] || [ "$RC" = 1 ]; then
			pass "--ro of a folder the caller cannot read: refused or unreadable ($RC)"
		else
			fail "--ro of a folder the caller cannot read: refused or unreadable" "$(show_run)"
		fi
	fi
	out_lacks "top-secret-$$" "the secret never appears"
	rm -rf "$secret"
}

group_fds_env() {
	# An fd leaked by the caller must not reach the program.
	exec 7</etc/hostname 8>"$T/data/fd8"
	sbx_run "$P" fds
	exec 7<&- 8>&-
	expect_held "only fds 0 1 2 are open (the caller's fds 7 and 8 are not inherited)"

	SECRET=1 SBX_SECRET=xyz LD_LIBRARY_PATH=/nonexistent-sbx TERM=xterm-sbx LANG=C.UTF-8 \
		LC_ALL=C LC_TIME=C TZ=UTC HOME=/root sbx_run "$P" env
	expect_held "environment: PATH and HOME=/tmp, nothing else but TERM LANG LC_* TZ"
	out_lacks 'SECRET' "a caller's SECRET=1 does not appear"
	out_lacks 'LD_LIBRARY_PATH' "LD_LIBRARY_PATH does not appear"
	out_has '^env: TERM=xterm-sbx$' "TERM is copied"
	out_has '^env: LANG=C.UTF-8$' "LANG is copied"
	out_has '^env: LC_ALL=C$' "LC_ALL is copied"
	out_has '^env: LC_TIME=C$' "LC_TIME is copied"
	out_has '^env: TZ=UTC$' "TZ is copied"
	run_as env -i PATH=/usr/bin:/bin "$S" "$P" env
	expect_held "environment with an empty caller environment"
	out_lacks '^env: (TERM|LANG|TZ)=' "unset variables are not invented"

	# stdin, stdout, stderr pass through.
	(cd "$T/cwd" && echo "from-stdin" | timeout 60 "${RUNAS[@]}" "$S" /bin/sh -c 'read x; echo "out:$x"; echo "err:$x" >&2') \
		>"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	out_has '^out:from-stdin$' "stdin reaches the program and stdout passes through"
	err_has '^err:from-stdin$' "stderr passes through"
}

for_each_mode group_controls
for_each_mode group_identity
for_each_mode group_namespaces
for_each_mode group_from_outside
for_each_mode group_filesystem
for_each_mode group_paths
for_each_mode group_fds_env
done_testing
