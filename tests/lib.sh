# SPDX-License-Identifier: MIT
# Shared helpers for the integration tests: TAP output and the root/unprivileged runner.
# Sourced by tests/test-*.sh (bash). Meson passes:
#   SBX         path of the sbx binary
#   PROBE       path of the probe helper (tests/probe.c)
#   SBX_SRCDIR  the source tree (for policies/)
#   SBX_VERSION the project version
#
# When run as root, every test group runs twice: once as root and once as uid 65534 through
# setpriv, with copies of sbx and probe in a fresh 0755 folder under /tmp (the checkout may
# live under /root, which 65534 cannot traverse). When not root, it runs once as the current
# user and the root half is skipped with a reason.

set -u

: "${SBX:?SBX must name the sbx binary}"
: "${PROBE:?PROBE must name the probe binary}"
SBX_SRCDIR=${SBX_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SBX_VERSION=${SBX_VERSION:-}
# Upper bound for one sbx run; a hung sbx fails its test instead of hanging the suite.
SBX_RUN_TIMEOUT=${SBX_RUN_TIMEOUT:-60}
UNPRIV_UID=65534
UNPRIV_GID=65534

# ---- TAP ----

_tap_n=0
_tap_failed=0

diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

pass() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$(_label "$1")"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$(_label "$1")"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$(_label "$1")" "$2"
}

# A known failure: reported, not counted against the suite.
todo_fail() {
	_tap_n=$((_tap_n + 1))
	printf 'not ok %d - %s # TODO %s\n' "$_tap_n" "$(_label "$1")" "$2"
	shift 2
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# ok CONDITION-STATUS DESC [DIAG...]: pass when the status is 0.
ok() {
	local st=$1
	shift
	if [ "$st" -eq 0 ]; then pass "$1"; else fail "$@"; fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  '$1'" "want: '$2'"; fi
}

# The verdict is in the TAP lines (meson counts "not ok" as a failure); a non-zero exit would
# make meson report the whole file as an ERROR instead.
done_testing() {
	printf '1..%d\n' "$_tap_n"
	[ "$_tap_failed" -eq 0 ] || printf '# %d of %d failed\n' "$_tap_failed" "$_tap_n"
	return 0
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

_label() {
	if [ -n "${MODE:-}" ]; then printf '[%s] %s' "$MODE" "$1"; else printf '%s' "$1"; fi
}

# ---- the folder the tests run from ----

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

[ -x "$SBX" ] || bail_out "sbx binary not found at $SBX"
[ -x "$PROBE" ] || bail_out "probe binary not found at $PROBE"

T=$(mktemp -d /tmp/sbx-test.XXXXXX) || bail_out "mktemp failed"
chmod 0755 "$T"
_cleanup_hooks=()
_cleanup() {
	local h
	for h in "${_cleanup_hooks[@]}"; do eval "$h" || true; done
	# Files a writable bind mount let the worker create are owned by 65534: rm as root works.
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM
at_exit() { _cleanup_hooks+=("$1"); }

mkdir -p "$T/bin" "$T/data" "$T/cwd"
cp "$SBX" "$T/bin/sbx"
cp "$PROBE" "$T/bin/probe"
chmod 0755 "$T/bin" "$T/bin/sbx" "$T/bin/probe" "$T/data" "$T/cwd"
S="$T/bin/sbx"
P="$T/bin/probe"

# sbx links libsbx statically, so the copy runs anywhere. If it ever links libsbx.so, the
# unprivileged half could silently run a different library: refuse it.
SBX_COPY_OK=1
if ldd "$S" 2>/dev/null | grep -q 'libsbx'; then
	SBX_COPY_OK=0
fi

# ---- running as root and as an unprivileged user ----

# Why the unprivileged half cannot run here, or "" when it can.
_unpriv_reason() {
	if [ "$IS_ROOT" -eq 0 ]; then
		echo ""
		return
	fi
	if ! command -v setpriv >/dev/null; then
		echo "setpriv not installed"
		return
	fi
	if [ "$SBX_COPY_OK" -eq 0 ]; then
		echo "sbx links libsbx dynamically (ldd), a copied binary would not be the one built"
		return
	fi
	if ! setpriv --reuid=$UNPRIV_UID --regid=$UNPRIV_GID --clear-groups -- \
		unshare --user --map-current-user true 2>/dev/null; then
		echo "unprivileged user namespaces are not available to uid $UNPRIV_UID"
		return
	fi
	echo ""
}
UNPRIV_REASON=$(_unpriv_reason)

# Sets MODE, RUNAS (command prefix), RUN_UID (the uid sbx runs as) and WORKER_UID (the host
# uid the program must run as).
_set_mode() {
	MODE=$1
	case "$MODE" in
	root)
		RUNAS=()
		RUN_UID=0
		WORKER_UID=65534
		;;
	user)
		RUNAS=(setpriv --reuid=$UNPRIV_UID --regid=$UNPRIV_GID --clear-groups --)
		RUN_UID=$UNPRIV_UID
		WORKER_UID=$UNPRIV_UID
		;;
	self)
		RUNAS=()
		RUN_UID=$(id -u)
		WORKER_UID=$RUN_UID
		;;
	esac
}

# for_each_mode FUNC: run the test group FUNC once per mode (see the header).
for_each_mode() {
	local fn=$1
	if [ "$IS_ROOT" -eq 1 ]; then
		_set_mode root
		"$fn"
		if [ -z "$UNPRIV_REASON" ]; then
			_set_mode user
			"$fn"
		else
			MODE=user
			skip "$fn" "$UNPRIV_REASON"
		fi
	else
		MODE=root
		skip "$fn" "not running as root: the root half needs root"
		_set_mode self
		"$fn"
	fi
	MODE=
}

# only_root FUNC: a group that only makes sense when sbx runs as root.
only_root() {
	if [ "$IS_ROOT" -eq 1 ]; then
		_set_mode root
		"$1"
	else
		MODE=root
		skip "$1" "not running as root"
	fi
	MODE=
}

# sbx_run [SBX ARGS...]: run sbx (as the current mode's user) with stdin from /dev/null.
# Sets RC, OUT (stdout), ERR (stderr). Runs from $T/cwd, or from $SBX_CWD when set.
sbx_run() {
	(cd "${SBX_CWD:-$T/cwd}" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" "$@") \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# run_plain CMD...: as run_as, as the user running the tests (no RUNAS prefix).
run_plain() {
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "$@") </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# As sbx_run but the command line is taken whole (e.g. to run another program than $S).
run_as() {
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$@") \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

show_run() {
	printf 'exit status: %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$RC" "$OUT" "$ERR"
}

# expect_rc WANT DESC: the last run exited with WANT.
expect_rc() {
	if [ "$RC" = "$1" ]; then pass "$2"; else fail "$2" "expected exit status $1" "$(show_run)"; fi
}

# expect_held DESC: the last run was a probe check that exited 0 and reported HELD.
expect_held() {
	if [ "$RC" = 0 ] && grep -q ': HELD$' <<<"$OUT"; then
		pass "$1"
	else
		fail "$1" "$(show_run)"
	fi
}

# out_has / err_has REGEX DESC (extended regex)
out_has() {
	if grep -Eq -- "$1" <<<"$OUT"; then pass "$2"; else fail "$2" "stdout lacks /$1/" "$(show_run)"; fi
}
err_has() {
	if grep -Eq -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2" "stderr lacks /$1/" "$(show_run)"; fi
}
out_lacks() {
	if grep -Eq -- "$1" <<<"$OUT"; then fail "$2" "stdout has /$1/" "$(show_run)"; else pass "$2"; fi
}

# bg_err_has REGEX DESC: the background sbx's stderr matches REGEX (extended, any case).
bg_err_has() {
	if grep -Eqi -- "$1" "$T/bg.err"; then pass "$2"; else fail "$2" "$(cat "$T/bg.err")"; fi
}

# A unique word to find this run's processes from the host with pgrep -f.
new_marker() {
	echo "sbxmark$$x${RANDOM}x${RANDOM}x$(date +%s%N)"
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s; status 0 when it succeeded in time.
wait_until() {
	local deadline=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# pids_with_marker MARKER: host pids whose command line has MARKER (not this shell's helpers).
pids_with_marker() {
	pgrep -f -- "$1" || true
}

no_pids_with_marker() {
	[ -z "$(pids_with_marker "$1")" ]
}

# The host pid of the sandboxed program: the process with MARKER that is pid 2 in its own
# pid namespace (pid 1 is sbx's init; the sbx process itself lives in the host namespace).
program_pid() {
	local pid nspid
	for pid in $(pids_with_marker "$1"); do
		nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status" 2>/dev/null)
		if [ "$nspid" = 2 ] && [ "$(awk '/^NSpid:/ { print NF }' "/proc/$pid/status")" -gt 2 ]; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# start_bg [SBX ARGS...]: start sbx in the background; BG_PID is the sbx process (setpriv
# execs it), its output goes to $T/bg.out and $T/bg.err.
start_bg() {
	# A non-interactive shell starts background jobs with SIGINT ignored; a caller at a
	# terminal would not, so undo that (env execs on, BG_PID stays sbx's pid).
	(cd "$T/cwd" && exec env --default-signal=INT,QUIT "${RUNAS[@]}" "$S" "$@") \
		</dev/null >"$T/bg.out" 2>"$T/bg.err" &
	BG_PID=$!
}

# stop_bg [MARKER]: make sure the background sbx is gone (SIGTERM, then SIGKILL); sets BG_RC.
# With MARKER, also kill what this test started and left behind (found by its unique marker),
# so a broken sbx cannot leave sleepers around.
stop_bg() {
	if kill -0 "$BG_PID" 2>/dev/null; then
		kill -TERM "$BG_PID" 2>/dev/null
		wait_until 5 bg_gone
		kill -KILL "$BG_PID" 2>/dev/null
	fi
	wait "$BG_PID" 2>/dev/null
	BG_RC=$?
	if [ $# -gt 0 ]; then
		kill_leftovers "$1"
	fi
}

# bg_gone: the background sbx has exited (a zombie until waited for counts as gone).
bg_gone() {
	local state
	state=$(awk '{ print $3 }' "/proc/$BG_PID/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

# kill_leftovers MARKER: SIGKILL the processes carrying this test's unique marker.
kill_leftovers() {
	local pid
	for pid in $(pids_with_marker "$1"); do
		kill -KILL "$pid" 2>/dev/null
	done
}

# Runs the probe outside any sandbox, as the current mode's user: controls showing that a
# check would fail if the promise broke.
probe_outside() {
	run_as "$P" "$@"
}
