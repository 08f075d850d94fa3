# SPDX-License-Identifier: MIT
# The escape suite's attacks (sourced by tests/test-escape.sh after suite.sh). Each group sets up
# what its attacks aim at (a canary process, a listener, a host file), shows once that the attack
# works outside a sandbox (esc_control), then runs it under every mode (esc_each) and judges it
# from inside and, where there is something to see, from the host. The probe's side is
# tests/escape/attacks.c (probe attack NAME) and tests/probe.c.

PTY_RUN="$SBX_SRCDIR/tests/pty-run.py"
PYTHON=/usr/bin/python3

# ---- the rows of the table, in order: ID AREA WHAT, the policies under which the attempt is
# allowed (none: the --no-seccomp mode) and those under which the filter must kill it ----

esc_probe caps identity "capabilities left (any set not empty)"
esc_probe uid0 identity "host uid 0, or a uid map wider than one id"
esc_probe host-view identity "seen from the host: uid 0, capabilities, no_new_privs off"
esc_probe setuid identity "exec of a setuid-root binary gains root"
esc_probe userns-unshare identity "unshare(CLONE_NEWUSER): a nested user namespace" "" default
esc_probe userns-clone identity "clone(CLONE_NEWUSER): a nested user namespace"
esc_probe kill-all processes "kill(-1, SIGKILL) reaches a host process of the worker's uid"
esc_probe kill-host processes "kill() of a host process by pid"
esc_probe ptrace-host processes "ptrace(PTRACE_SEIZE) of a host process"
esc_probe vmread-host processes "process_vm_readv() of a host process's memory"
esc_probe host-proc processes "the host's /proc: a host process's command line"
esc_probe signal-broker processes "SIGSTOP/SIGKILL to the broker, and to init"
esc_probe peek-init processes "sbx's init: its root, fds, environment"
esc_probe ptrace-init processes "ptrace(PTRACE_ATTACH) of sbx's init" "" default
esc_probe host-file files "read a host file outside the grants"
esc_probe shadow files "read /etc/shadow"
esc_probe write-host files "write a host file the worker's uid owns"
esc_probe grant-symlink files "a symlink in a --rw grant to a host file (read, write)"
esc_probe grant-dotdot files "'..' out of a --rw grant to a host file (read, write)"
esc_probe handle files "open_by_handle_at (the 'shocker' escape)"
esc_probe mount files "mount a tmpfs"
esc_probe remount files "remount the read-only root read-write"
esc_probe chroot files "chroot()"
esc_probe mknod files "mknod() of a device"
esc_probe chown files "chown() to root"
esc_probe setns files "setns() into a mount namespace"
esc_probe sethostname files "sethostname()"
esc_probe sysrq files "open /proc/sysrq-trigger for writing"
esc_probe dev-mem files "open /dev/mem"
esc_probe kmsg files "open /dev/kmsg"
esc_probe proc-kmsg files "open /proc/kmsg"
esc_probe broker-state files "the broker's state and id locks (/run/sbx)"
esc_probe broker-binary files "write the sbx binary"
esc_probe tcp network "TCP to a host listener on 127.0.0.1"
esc_probe abstract network "a host's abstract unix socket"
esc_probe packet network "socket(AF_PACKET, SOCK_RAW)"
esc_probe netlink network "rtnetlink shows links beyond the worker's namespace"
esc_probe io_uring kernel "io_uring_setup" "none"
esc_probe bpf kernel "bpf(BPF_MAP_CREATE)"
esc_probe perf kernel "perf_event_open on itself" "none"
esc_probe userfaultfd kernel "userfaultfd (user mode only)" "none"
esc_probe keyctl kernel "add_key to its own keyring" "none"
esc_probe kexec kernel "kexec_load past its permission check"
esc_probe module kernel "init_module past its permission check"
esc_probe personality kernel "personality(READ_IMPLIES_EXEC)" "none"
esc_probe wx kernel "memory writable and executable (mmap, mprotect)" "default none"
esc_probe int80 filter "i386 getpid through int \$0x80" "none" default
esc_probe x32 filter "x32 getpid" "" default
esc_probe tiocsti filter "on a terminal: /dev/tty, TIOCSTI injection"
esc_probe tiocsti-high filter "on a terminal: TIOCSTI with bit 32 set"
esc_probe tioclinux filter "on a terminal: TIOCLINUX paste"
esc_probe fd-leak leaks "read an fd the caller left open"
esc_probe env-leak leaks "a caller's secret in the environment"
esc_probe other-kill sandboxes "kill() of another sandbox's program"
esc_probe other-kill-all sandboxes "kill(-1) reaches another sandbox"
esc_probe other-proc sandboxes "another sandbox's /proc entry"
esc_probe other-tmp sandboxes "another sandbox's /tmp"


# ---- helpers ----

# As root, run a control as root in throwaway mount and uts namespaces: the privileged attacks
# (mount, chroot, ...) succeed there without touching the host.
as_root_private() {
	unshare --mount --uts --propagation private -- "$@"
}

# A canary: a host process of the worker's uid, found by a unique marker. Sets CANARY (pid).
start_canary() {
	CANARY_MARK=$(new_marker)
	if [ "$IS_ROOT" -eq 1 ]; then
		(exec setpriv --reuid="$WORKER_UID" --regid="$WORKER_UID" --clear-groups -- \
			"$P" sleep 120 "$CANARY_MARK") </dev/null >/dev/null 2>&1 &
	else
		("$P" sleep 120 "$CANARY_MARK") </dev/null >/dev/null 2>&1 &
	fi
	CANARY=$!
	wait_until 5 test -n "$(pids_with_marker "$CANARY_MARK")"
}

stop_canary() {
	kill -KILL "$CANARY" 2>/dev/null
	wait "$CANARY" 2>/dev/null
	kill_leftovers "$CANARY_MARK"
}

# canary_verdict: "" when the canary is alive, untraced and running, else what happened.
canary_verdict() {
	local state tracer
	if ! kill -0 "$CANARY" 2>/dev/null; then
		echo "the canary (pid $CANARY) is dead"
		return
	fi
	state=$(awk '/^State:/ { print $2 }' "/proc/$CANARY/status")
	tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$CANARY/status")
	if [ "$tracer" != 0 ] || [ "$state" = t ] || [ "$state" = T ]; then
		echo "the canary is traced or stopped (state $state, tracer $tracer)"
	fi
}

# file_verdict FILE CONTENT: "" when FILE still holds CONTENT.
file_verdict() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ] || echo "$1 now holds: $(head -c 200 "$1" 2>/dev/null)"
}

# ---- identity ----

escape_identity() {
	esc_control caps "${RUNAS[@]}" "$P" caps
	esc_each esc_identity_caps
	esc_control uid0 "${RUNAS[@]}" "$P" uid
	esc_each esc_identity_uid
	esc_each esc_identity_host_view
	esc_identity_setuid
	esc_control userns-unshare "${RUNAS[@]}" "$P" userns
	esc_each esc_identity_userns
}

esc_identity_caps() {
	esc_run "$P" caps
	esc_judge caps
}

esc_identity_uid() {
	esc_run "$P" uid
	esc_judge uid0
}

# The program holds (reads stdin) while the host reads its /proc/PID/status.
esc_identity_host_view() {
	local marker fifo=$T/hold.fifo pid st verdict=""
	if [ "$ESC_MODE" = ready-worker ] || [ "$ESC_MODE" = zygote-job ]; then
		skip "[$ESC_MODE] host-view" "a --each job's stdin is /dev/null and its output comes at its end"
		return
	fi
	marker=$(new_marker)
	rm -f "$fifo" && mkfifo -m 0666 "$fifo"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" "${ESC_OPTS[@]}" \
		"$P" attack hold "$marker") <"$fifo" >"$T/hold.out" 2>"$T/hold.err" &
	local bg=$!
	exec 9>"$fifo"
	if wait_until 15 program_pid "$marker" >/dev/null && wait_until 5 grep -q '^ready$' "$T/hold.out"; then
		pid=$(program_pid "$marker")
		st=$(cat "/proc/$pid/status")
		[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' <<<"$st")" = "$WORKER_UID$WORKER_UID$WORKER_UID$WORKER_UID" ] ||
			verdict+="uids: $(grep '^Uid:' <<<"$st"); "
		[ "$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { print $2 }' <<<"$st" | sort -u)" = 0000000000000000 ] ||
			verdict+="capabilities: $(grep '^Cap' <<<"$st" | tr '\n' ' '); "
		[ "$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$st")" = 1 ] || verdict+="no_new_privs off; "
	else
		verdict="the program never ran: $(cat "$T/hold.err")"
	fi
	exec 9>&-
	wait "$bg"
	RC=$?
	OUT=$(cat "$T/hold.out")
	ERR=$(cat "$T/hold.err")
	kill_leftovers "$marker"
	esc_judge host-view "$verdict"
}

# A setuid-root copy of the probe, granted read-only: the mounts are nosuid and no_new_privs is
# set, so its exec gains nothing (under `exec none` policies the exec itself is killed).
esc_identity_setuid() {
	if [ "$IS_ROOT" -eq 0 ]; then
		skip "setuid" "needs root to make a setuid-root file"
		return
	fi
	SUID_DIR=$T/data/suid
	mkdir -p "$SUID_DIR" && chmod 0755 "$SUID_DIR"
	cp "$P" "$SUID_DIR/probe" && chown 0:0 "$SUID_DIR/probe" && chmod 4755 "$SUID_DIR/probe"
	esc_control setuid setpriv --reuid="$UNPRIV_UID" --regid="$UNPRIV_GID" --clear-groups -- \
		"$SUID_DIR/probe" attack euid
	esc_each esc_identity_setuid_one
	rm -rf "$SUID_DIR"
}

esc_identity_setuid_one() {
	esc_run --ro "$SUID_DIR" "$P" exec "$SUID_DIR/probe" attack euid
	esc_judge setuid
}

esc_identity_userns() {
	esc_run "$P" userns
	esc_judge userns-unshare
	esc_run "$P" userns-clone
	esc_judge userns-clone
}

# ---- processes ----

escape_processes() {
	start_canary
	local addr
	addr=$(awk -F'[- ]' 'NR == 1 { print "0x" $1 }' "/proc/$CANARY/maps")
	esc_each esc_processes_one "$addr"
	stop_canary
	# Controls on a throwaway canary of their own (kill kills it).
	start_canary
	esc_control ptrace-host "${RUNAS[@]}" "$P" attack ptrace "$CANARY"
	esc_control vmread-host "${RUNAS[@]}" "$P" attack vmread "$CANARY" "$addr"
	esc_control host-proc "${RUNAS[@]}" "$P" attack proc "$CANARY" "$CANARY_MARK"
	esc_control kill-host "${RUNAS[@]}" "$P" attack kill "$CANARY"
	stop_canary
	start_canary
	esc_control signal-broker "${RUNAS[@]}" "$P" attack signal-broker "$CANARY"
	stop_canary
	esc_each esc_processes_broker
	esc_each esc_processes_init
}

esc_processes_one() {
	local addr=$1
	esc_run "$P" kill-all
	esc_judge kill-all "$(canary_verdict)"
	esc_run "$P" attack kill "$CANARY"
	esc_judge kill-host "$(canary_verdict)"
	esc_run "$P" attack ptrace "$CANARY"
	esc_judge ptrace-host "$(canary_verdict)"
	esc_run "$P" attack vmread "$CANARY" "$addr"
	esc_judge vmread-host "$(canary_verdict)"
	esc_run "$P" attack proc "$CANARY" "$CANARY_MARK"
	esc_judge host-proc
	# A dead canary would spoil the next mode's verdicts: a fresh one.
	if [ -n "$(canary_verdict)" ]; then
		stop_canary
		start_canary
	fi
}

# The broker's host pid is sbx's own: `exec` keeps the shell's $$.
esc_processes_broker() {
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" sh -c 'exec "$@" "$$"' sh \
		"$S" "${ESC_OPTS[@]}" "$P" attack signal-broker) </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	local verdict=""
	# A broker that took SIGSTOP would have hung until the timeout (124); SIGKILL: 137.
	case "$RC" in 0 | 159) ;; *) verdict="sbx ended with status $RC" ;; esac
	esc_judge signal-broker "$verdict"
}

esc_processes_init() {
	local secret="SBXSECRET$$x$RANDOM"
	SBX_TEST_SECRET=$secret esc_run "$P" peek-init "$secret"
	esc_judge peek-init
	esc_run "$P" ptrace-init
	esc_judge ptrace-init
}

# ---- files ----

escape_files() {
	local d=$T/data/files-$MODE
	mkdir -p "$d/grant"
	echo "host-secret-$$" >"$d/secret"
	echo "victim" >"$d/victim"
	chmod 0755 "$d" && chmod 0777 "$d/grant" && chmod 0644 "$d/secret" && chmod 0666 "$d/victim"
	chown "$WORKER_UID:$WORKER_UID" "$d/victim"
	ln -sfn "$d/victim" "$d/grant/link"
	FILES_DIR=$d
	esc_control host-file "${RUNAS[@]}" "$P" read "$d/secret"
	esc_control shadow "$P" read /etc/shadow
	esc_control write-host "${RUNAS[@]}" "$P" write "$d/victim" victim
	esc_control grant-symlink "${RUNAS[@]}" "$P" read "$d/grant/link"
	esc_control grant-dotdot "${RUNAS[@]}" "$P" read "$d/grant/../victim"
	esc_control handle "$P" attack handle "$d"
	esc_control sysrq "$P" attack open /proc/sysrq-trigger w
	esc_control dev-mem "$P" attack open /dev/mem r
	esc_control kmsg "$P" attack open /dev/kmsg r
	esc_control proc-kmsg "$P" attack open /proc/kmsg r
	local what
	if [ "$IS_ROOT" -eq 1 ]; then
		for what in mount remount chroot mknod chown setns; do
			esc_control "$what" as_root_private "$P" denied "$what"
		done
		esc_control sethostname as_root_private sh -c 'hostname sbx && exec "$0" denied sethostname' "$P"
	else
		skip "control: mount remount chroot mknod chown setns sethostname work outside" "needs root"
	fi
	esc_each esc_files_one
	rm -rf "$d"
}

esc_files_one() {
	local d=$FILES_DIR what
	esc_run "$P" read "$d/secret"
	esc_judge host-file
	esc_run "$P" read /etc/shadow
	esc_judge shadow
	esc_run "$P" write "$d/victim" escaped
	esc_judge write-host "$(file_verdict "$d/victim" victim)"
	# A write may land in the sandbox's own /tmp (the grant's parents live there): the host
	# judges the write, a read judges from inside whether the path reaches the host's file.
	local host
	esc_run --rw "$d/grant" "$P" write "$d/grant/link" escaped
	host=$(file_verdict "$d/victim" victim)
	esc_run --rw "$d/grant" "$P" read "$d/grant/link"
	esc_judge grant-symlink "$host"
	esc_run --rw "$d/grant" "$P" write "$d/grant/../victim" escaped
	host=$(file_verdict "$d/victim" victim)
	esc_run --rw "$d/grant" "$P" read "$d/grant/../victim"
	esc_judge grant-dotdot "$host"
	esc_run --ro "$d/grant" "$P" attack handle "$d/grant"
	esc_judge handle
	for what in mount remount chroot mknod chown setns sethostname; do
		esc_run "$P" denied "$what"
		esc_judge "$what"
	done
	esc_run "$P" attack open /proc/sysrq-trigger w
	esc_judge sysrq
	esc_run "$P" attack open /dev/mem r
	esc_judge dev-mem
	esc_run "$P" attack open /dev/kmsg r
	esc_judge kmsg
	esc_run "$P" attack open /proc/kmsg r
	esc_judge proc-kmsg
	esc_run "$P" ls /run/sbx
	esc_judge broker-state
	esc_run "$P" write "$S" escaped
	esc_judge broker-binary "$(cmp -s "$S" "$SBX" || echo "the sbx binary changed")"
}

# ---- network ----

escape_network() {
	local pyfile=$T/data/listen.py abstract="sbx-escape-$$-$RANDOM"
	cat >"$pyfile" <<'EOF'
import socket, sys, threading, time
def serve(s, tag):
    while True:
        c, _ = s.accept()
        print("accepted", tag, flush=True)
        c.close()
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0)); t.listen(16)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind("\0" + sys.argv[1]); u.listen(16)
threading.Thread(target=serve, args=(u, "unix"), daemon=True).start()
print("port", t.getsockname()[1], flush=True)
threading.Thread(target=serve, args=(t, "tcp"), daemon=True).start()
time.sleep(300)
EOF
	chmod 0644 "$pyfile"
	"$PYTHON" "$pyfile" "$abstract" >"$T/listen.log" 2>&1 &
	local py=$!
	wait_until 10 grep -q '^port ' "$T/listen.log"
	NET_PORT=$(awk '/^port / { print $2 }' "$T/listen.log")
	NET_ABSTRACT=$abstract
	if [ -z "$NET_PORT" ]; then
		skip "network" "the python3 listener did not start: $(cat "$T/listen.log")"
		kill "$py" 2>/dev/null
		return
	fi
	esc_control tcp "${RUNAS[@]}" "$P" attack tcp "$NET_PORT"
	esc_control abstract "${RUNAS[@]}" "$P" attack abstract "$NET_ABSTRACT"
	esc_control packet "${RUNAS[@]}" "$P" attack packet
	esc_control netlink "${RUNAS[@]}" "$P" attack netlink
	esc_each esc_network_one
	kill "$py" 2>/dev/null
	wait "$py" 2>/dev/null
}

# accepted_since N TAG: "" when the listener accepted no TAG connection past the first N lines.
accepted_since() {
	local got
	got=$(tail -n +"$(($1 + 1))" "$T/listen.log" | grep -c "^accepted $2")
	[ "$got" = 0 ] || echo "the host listener accepted $got $2 connection(s)"
}

esc_network_one() {
	local n
	n=$(wc -l <"$T/listen.log")
	esc_run "$P" attack tcp "$NET_PORT"
	sleep 0.05
	esc_judge tcp "$(accepted_since "$n" tcp)"
	esc_run "$P" attack abstract "$NET_ABSTRACT"
	sleep 0.05
	esc_judge abstract "$(accepted_since "$n" unix)"
	esc_run "$P" attack packet
	esc_judge packet
	esc_run "$P" attack netlink
	esc_judge netlink
}

# ---- the kernel's surface ----

escape_kernel() {
	local a
	for a in io_uring bpf perf userfaultfd keyctl kexec module personality wx; do
		esc_control "$a" "${RUNAS[@]}" "$P" attack "$a"
	done
	# kexec and modules need root of the host: their controls run as root.
	if [ "$MODE" = user ]; then
		esc_control kexec "$P" attack kexec
		esc_control module "$P" attack module
	fi
	esc_each esc_kernel_one
}

esc_kernel_one() {
	local a
	for a in io_uring bpf perf userfaultfd keyctl kexec module personality wx; do
		esc_run "$P" attack "$a"
		esc_judge "$a"
	done
}

# ---- filter bypasses ----

escape_filter() {
	esc_control int80 "${RUNAS[@]}" "$P" int80
	esc_control x32 "${RUNAS[@]}" "$P" x32
	esc_each esc_filter_abis
	if [ ! -x "$PYTHON" ] || [ ! -r "$PTY_RUN" ]; then
		skip "terminal attacks" "needs $PYTHON and $PTY_RUN"
		return
	fi
	# Controls: the harness sees an injection by a process that keeps the terminal.
	pty_run "${RUNAS[@]}" "$P" tiocsti
	if grep -q "^injected: b'echo SBX-INJECTED" <<<"$OUT"; then
		pass "control: TIOCSTI injects outside a sandbox"
	else
		skip "control: TIOCSTI injects outside a sandbox" "TIOCSTI does not inject here even outside: $OUT"
	fi
	pty_run "${RUNAS[@]}" "$P" attack tiocsti-high
	if grep -q "^injected: b'echo SBX-INJECTED" <<<"$OUT"; then
		pass "control: TIOCSTI with bit 32 set injects outside a sandbox"
	else
		skip "control: TIOCSTI with bit 32 set injects outside a sandbox" "not here: $OUT"
	fi
	pty_run "${RUNAS[@]}" "$P" attack tioclinux
	skip "control: TIOCLINUX pastes outside a sandbox" "only on a virtual console, never on a pseudo-terminal: $(grep -o 'TIOCLINUX: .*' <<<"$OUT" | head -1)"
	esc_each esc_filter_tty
}

esc_filter_abis() {
	esc_run "$P" int80
	esc_judge int80
	esc_run "$P" x32
	# No x32 in this kernel: the call fails with ENOSYS (the probe's "cannot").
	if [ "$RC" = 3 ] && grep -q 'x32 ABI is not available' <<<"$OUT"; then
		RC=0 OUT+=$'\nprobe x32: HELD'
	fi
	esc_judge x32
}

# pty_run CMD...: CMD on a fresh pseudo-terminal it controls (tests/pty-run.py); RC is CMD's
# status, OUT the harness's report.
pty_run() {
	run_plain "$PYTHON" "$PTY_RUN" "$@"
	OUT_PTY=$OUT
	RC=$(awk '/^status: / { print $2 }' <<<"$OUT")
	[ -n "$RC" ] || RC=error
}

# injected_verdict: "" when nothing reached the caller's terminal input.
injected_verdict() {
	grep -q "^injected: b''$" <<<"$OUT_PTY" || grep '^injected: ' <<<"$OUT_PTY"
}

esc_filter_tty() {
	local a
	if [ "$ESC_MODE" = ready-worker ] || [ "$ESC_MODE" = zygote-job ]; then
		skip "[$ESC_MODE] terminal attacks" "a --each job's stdio is never the caller's terminal"
		return
	fi
	pty_run "${RUNAS[@]}" "$S" "${ESC_OPTS[@]}" "$P" tiocsti
	# The probe's verdict is in the terminal's output.
	grep -q 'probe tiocsti: HELD' <<<"$OUT" && OUT+=$'\nprobe tiocsti: HELD'
	esc_judge tiocsti "$(injected_verdict)"
	if [ "$ESC_MODE" = default ]; then
		pty_run "${RUNAS[@]}" "$S" "$P" ls /dev
		if grep -q 'entry: tty' <<<"$OUT"; then
			pass "on a terminal: /dev/tty exists inside"
		else
			fail "on a terminal: /dev/tty exists inside" "$(show_run)"
		fi
	fi
	for a in tiocsti-high tioclinux; do
		pty_run "${RUNAS[@]}" "$S" "${ESC_OPTS[@]}" "$P" attack "$a"
		grep -q 'probe attack: HELD' <<<"$OUT" && OUT+=$'\nprobe attack: HELD'
		grep -q 'probe attack: BROKEN' <<<"$OUT" && OUT+=$'\nprobe attack: BROKEN'
		esc_judge "$a" "$(injected_verdict)"
	done
}

# ---- leaks ----

escape_leaks() {
	local secret=$T/data/leak-$MODE
	echo "leaked-$$" >"$secret"
	chmod 0644 "$secret"
	LEAK_FILE=$secret
	exec 7<"$secret"
	esc_control fd-leak "${RUNAS[@]}" "$P" attack fd-read 7
	exec 7<&-
	SBX_SECRET=xyz esc_control env-leak "${RUNAS[@]}" "$P" env
	esc_each esc_leaks_one
	rm -f "$secret"
}

esc_leaks_one() {
	exec 7<"$LEAK_FILE"
	esc_run "$P" attack fd-read 7
	exec 7<&-
	esc_judge fd-leak
	SBX_SECRET=xyz LD_PRELOAD=/nonexistent-sbx.so esc_run "$P" env
	esc_judge env-leak
}

# ---- one sandbox against another ----
# The victim runs under the default policy (it writes its /tmp and sleeps); the attacker under
# each mode. A worker that starves another's launch by keeping fds in flight: tests/test-contain.sh
# (group_starvation). Two sandboxes at once never share a host uid from an id range:
# tests/test-ids.sh; their id locks live in /run/sbx, which no sandbox sees (broker-state above).

escape_sandboxes() {
	local marker
	marker=$(new_marker)
	start_bg "$P" attack plant /tmp/sbx-plant 100 "$marker"
	if ! wait_until 15 program_pid "$marker" >/dev/null || ! wait_until 5 grep -q '^ready$' "$T/bg.out"; then
		fail "the victim sandbox runs" "$(cat "$T/bg.out" "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	VICTIM=$(program_pid "$marker")
	VICTIM_MARK=$marker
	esc_each esc_sandboxes_one
	stop_bg "$marker"
}

victim_verdict() {
	kill -0 "$VICTIM" 2>/dev/null || echo "the other sandbox's program (pid $VICTIM) is dead"
}

esc_sandboxes_one() {
	esc_run "$P" attack kill "$VICTIM"
	esc_judge other-kill "$(victim_verdict)"
	esc_run "$P" kill-all
	esc_judge other-kill-all "$(victim_verdict)"
	esc_run "$P" attack proc "$VICTIM" "$VICTIM_MARK"
	esc_judge other-proc
	esc_run "$P" read /tmp/sbx-plant
	esc_judge other-tmp
}
