#!/bin/bash
# SPDX-License-Identifier: MIT
# sbx as a system command (issue 12): what `meson install` puts in place (man pages that render
# without warnings and name every option of --help, bash completion, policies searched only
# where they were installed), an honest --version, `sbx ps` and the state directory (listed
# while running, gone after the end and after a SIGKILLed broker), and the namespace record
# of the JSON status, each checked against /proc/PID/ns/* from the host.
. "$(dirname "$0")/lib.sh"

: "${SBX_BUILDDIR:?SBX_BUILDDIR must name the build directory}"
NS_TYPES="user mnt pid ipc uts net cgroup"

# ---- installation ----

DEST="$T/dest"
install_tree() {
	if ! meson install -C "$SBX_BUILDDIR" --destdir "$DEST" --no-rebuild --quiet >"$T/install.log" 2>&1; then
		fail "meson install --destdir" "$(cat "$T/install.log")"
		return 1
	fi
	pass "meson install --destdir"
}

group_install() {
	install_tree || return
	local page
	for page in "$SBX_MANDIR/man1/sbx.1" "$SBX_MANDIR/man1/sbx-policy.1" "$SBX_MANDIR/man1/sbx-ps.1" \
		"$SBX_MANDIR/man5/sbx.policy.5"; do
		if [ -f "$DEST$page" ]; then pass "installed: $page"; else fail "installed: $page"; fi
		# man-db hands -w to groff: warnings reach stderr.
		local warn
		warn=$(MANWIDTH=80 man --warnings -l "$DEST$page" 2>&1 >/dev/null)
		is "$warn" "" "man -l $(basename "$page") renders without warnings"
	done
	# The check can fail: a page with a mistake in it does warn.
	printf '.TH BAD 1\n.SH NAME\nbad \\- bad\n.BOGUSMACRO x\n\\fQ\n' >"$T/bad.1"
	warn=$(MANWIDTH=80 man --warnings -l "$T/bad.1" 2>&1 >/dev/null)
	ok "$([ -n "$warn" ]; echo $?)" "control: man --warnings reports a broken page"

	# Every option --help names is in sbx(1), so the two cannot drift apart.
	local text opt missing=""
	text=$(MANWIDTH=200 man -l "$DEST$SBX_MANDIR/man1/sbx.1" 2>/dev/null)
	for opt in $("$S" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | tr -d ' ,' | sort -u); do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$text" || missing+=" $opt"
	done
	is "$missing" "" "every option of sbx --help appears in sbx(1)"
	ok "$(grep -q -- '--time-limit DURATION' <<<"$text"; echo $?)" "sbx(1) gives an option's value as --help does"

	if [ -f "$DEST$SBX_COMPLETIONDIR/sbx" ]; then
		pass "bash completion installed in $SBX_COMPLETIONDIR"
		group_completion "$DEST$SBX_COMPLETIONDIR/sbx"
	else
		fail "bash completion installed in $SBX_COMPLETIONDIR" "$(cd "$DEST" && find . -name 'sbx*')"
	fi
	group_installed_policies
}

# complete WORDS...: what the installed completion offers for the last word.
complete_words() {
	bash -c '
		file=$1 dir=$2 sbx=$3; shift 3
		. "$file"
		_sbx_policy_dir=$dir       # the installed policies, below the destdir
		COMP_WORDS=("$@"); COMP_WORDS[0]=$sbx; COMP_CWORD=$(($# - 1))
		_sbx
		printf "%s\n" "${COMPREPLY[@]}"' _ "$1" "$DEST$SBX_POLICYDIR" "$S" "${@:2}"
}

group_completion() {
	local c=$1 got
	got=$(complete_words "$c" sbx --pol)
	is "$got" "--policy" "completion: an option"
	got=$(complete_words "$c" sbx --json-status)
	is "$got" "--json-status-fd" "completion: an option from --help (not a copy)"
	got=$(complete_words "$c" sbx --policy pc)
	ok "$(grep -qx pcap <<<"$got"; echo $?)" "completion: shipped policy names after --policy" "$got"
	got=$(complete_words "$c" sbx --policy base/st)
	ok "$(grep -qx base/stdio <<<"$got"; echo $?)" "completion: shipped bases after --policy" "$got"
	got=$(complete_words "$c" sbx p)
	ok "$(grep -qx policy <<<"$got" && grep -qx ps <<<"$got"; echo $?)" "completion: subcommands" "$got"
	got=$(complete_words "$c" sbx policy "")
	is "$(sort <<<"$got" | tr '\n' ' ')" "check explain " "completion: sbx policy's subcommands"
	got=$(complete_words "$c" sbx --ro "$T/da")
	is "$got" "$T/data" "completion: files after --ro"
	got=$(complete_words "$c" sbx -- "$T/bin/pro")
	is "$got" "$T/bin/probe" "completion: the program"
	got=$(complete_words "$c" sbx -q "$P" "$T/da")
	is "$got" "$T/data" "completion: files for the program's arguments"
}

group_installed_policies() {
	local bin="$DEST$SBX_BINDIR/sbx"
	ok "$([ -f "$DEST$SBX_POLICYDIR/pcap.policy" ]; echo $?)" "policies installed in $SBX_POLICYDIR"
	# The build tree's path is not in the installed binary at all.
	ok "$(! grep -qaF "$SBX_SRCDIR/policies" "$bin"; echo $?)" "the installed sbx does not name the source tree"
	run_plain env -u SBX_POLICY_PATH "$bin" --policy pcap -- /bin/true
	if [ -f "$SBX_POLICYDIR/pcap.policy" ]; then
		skip "an installed sbx does not find the source tree's policies" "$SBX_POLICYDIR/pcap.policy exists on this machine"
	else
		expect_rc 125 "an installed sbx does not find the source tree's policies"
	fi
	err_has "in $SBX_POLICYDIR\$" "it searched only its installed directory"
	run_plain env SBX_POLICY_PATH="$SBX_SRCDIR/policies" "$bin" policy check pcap
	expect_rc 0 "SBX_POLICY_PATH points it at other policies"
}

# The file sbx-policy-path beside a binary names a folder of policies: the build tree's sbx
# finds the source tree's policies that way. A service embedding libsbx must never take a policy
# from a file that happens to lie beside its own binary.
group_beside_binary() {
	local d="$T/beside"
	if [ -z "${SBX_POLICY_LOOKUP:-}" ] || [ ! -x "$SBX_POLICY_LOOKUP" ]; then
		skip "a libsbx user ignores sbx-policy-path beside it" "no policy-lookup (meson builds it)"
		return
	fi
	mkdir -p "$d/bin" "$d/policies"
	cp "$SBX_SRCDIR/policies/default.policy" "$d/policies/zz-beside.policy"
	echo "$d/policies" >"$d/bin/sbx-policy-path"
	cp "$S" "$d/bin/sbx"
	cp "$SBX_POLICY_LOOKUP" "$d/bin/policy-lookup"
	run_plain env -u SBX_POLICY_PATH "$d/bin/sbx" policy check zz-beside
	expect_rc 0 "the sbx command finds a policy through sbx-policy-path beside it"
	run_plain env -u SBX_POLICY_PATH "$d/bin/policy-lookup" zz-beside
	expect_rc 1 "a libsbx user beside the same file does not"
	err_has "zz-beside" "it says which policy it did not find"
	run_plain env SBX_POLICY_PATH="$d/policies" "$d/bin/policy-lookup" zz-beside
	expect_rc 0 "SBX_POLICY_PATH still points a libsbx user at other policies"
	rm -rf "$d"
}

group_version() {
	sbx_run --version
	expect_rc 0 "--version exits 0"
	out_has "^sbx $SBX_VERSION\$" "--version: sbx's version"
	local lib
	lib=$(pkg-config --modversion libseccomp 2>/dev/null)
	out_has "^libseccomp [0-9]+\.[0-9]+\.[0-9]+\$" "--version: libseccomp's"
	[ -n "$lib" ] && out_has "^libseccomp $lib\$" "--version: libseccomp's is the one built with ($lib)"
	out_has "^landlock: built for ABI [0-9]+, the kernel offers (ABI [0-9]+|none)\$" "--version: Landlock ABIs"
	out_has "^build: buildtype=$SBX_BUILDTYPE static=[a-z_,]+ sanitizers=[a-z,]+\$" "--version: build options"
}

# ---- sbx ps and the state directory ----

# The state directory of the current mode's user (state.h). Unprivileged, sbx keeps state only
# in a runtime directory: the user gets one, as a login session would.
state_dir() {
	if [ "$RUN_UID" = 0 ]; then
		echo /run/sbx
	else
		echo "$XDG_RUNTIME_DIR/sbx"
	fi
}

# The runtime directory of the unprivileged user, and none for root (whose is /run/sbx).
set_runtime_dir() {
	if [ "$RUN_UID" = 0 ]; then
		unset XDG_RUNTIME_DIR
	elif [ "$RUN_UID" != "$(id -u)" ] || [ -z "${XDG_RUNTIME_DIR:-}" ]; then
		export XDG_RUNTIME_DIR="$T/run-$RUN_UID"
		mkdir -p "$XDG_RUNTIME_DIR"
		chown "$RUN_UID" "$XDG_RUNTIME_DIR"
		chmod 0700 "$XDG_RUNTIME_DIR"
	fi
}

# ps_json: `sbx ps --json` as the current mode's user, in OUT.
ps_json() { run_as "$S" ps --json; }
# listed PID: the last `sbx ps --json` lists PID.
listed() {
	python3 -c 'import json,sys; sys.exit(0 if any(e["pid"] == int(sys.argv[1]) for e in json.load(sys.stdin)) else 1)' "$1" <<<"$OUT"
}
ps_lists() { ps_json && listed "$1"; }
ps_lacks() { ps_json && ! listed "$1"; }

# check_ns WHAT PID JSON-OBJECT: the namespaces in the object match /proc/PID/ns/*.
check_ns() {
	local what=$1 pid=$2 obj=$3 t want got bad=""
	for t in $NS_TYPES; do
		want=$(stat -L -c %i "/proc/$pid/ns/$t" 2>/dev/null)
		got=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$obj" "$t" 2>/dev/null)
		[ -n "$want" ] && [ "$want" = "$got" ] || bad+=" $t:[got ${got:-none}, /proc has ${want:-none}]"
	done
	is "$bad" "" "$what matches /proc/$pid/ns/* ($NS_TYPES)"
}

other_user() {
	if [ "$RUN_UID" = 0 ]; then
		OTHER=(setpriv --reuid=$UNPRIV_UID --regid=$UNPRIV_GID --clear-groups --)
	else
		OTHER=()
	fi
}

group_ps() {
	local marker pid entry dir
	set_runtime_dir
	marker=$(new_marker)
	dir=$(state_dir)
	start_bg --policy default --json-status-fd 3 --record-namespaces "$P" sleep 60 "$marker" 3>"$T/status.json"
	if ! wait_until 10 grep -q '"event":"namespaces"' "$T/status.json"; then
		fail "the JSON status records the namespaces" "$(cat "$T/status.json" "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	pid=$(sed -n 's/.*"event":"start","pid":\([0-9]*\).*/\1/p' "$T/status.json")
	pass "the JSON status records the namespaces"
	local rec
	rec=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "namespaces":
        print(json.dumps({"pid": e["pid"], "uid": e["uid"], "policy": e["policy"],
                          "ns": {n["type"]: n["inode"] for n in e["namespaces"]}}))' "$T/status.json")
	is "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$rec")" "$pid" "namespace record: the worker's pid"
	is "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["uid"])' "$rec")" "$WORKER_UID" "namespace record: the host uid"
	check_ns "namespace record (JSON status)" "$pid" "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["ns"]))' "$rec")"

	if wait_until 10 ps_lists "$pid"; then pass "sbx ps lists the running sandbox"; else fail "sbx ps lists the running sandbox" "$(show_run)"; fi
	entry=$(python3 -c 'import json,sys; print(json.dumps([e for e in json.load(sys.stdin) if e["pid"] == int(sys.argv[1])][0]))' "$pid" <<<"$OUT" 2>/dev/null)
	is "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["uid"])' "$entry")" "$WORKER_UID" "sbx ps: the host uid"
	is "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["broker"])' "$entry")" "$BG_PID" "sbx ps: the broker's pid"
	ok "$(python3 -c 'import json,sys; sys.exit(not json.loads(sys.argv[1])["policy"].endswith("/default.policy"))' "$entry"; echo $?)" \
		"sbx ps: the policy" "$entry"
	ok "$(python3 -c 'import json,sys; sys.exit(not 0 <= json.loads(sys.argv[1])["uptime"] < 60)' "$entry"; echo $?)" "sbx ps: the uptime" "$entry"
	check_ns "sbx ps --json" "$pid" "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["namespaces"]))' "$entry")"
	run_as "$S" ps
	out_has "^$pid +$BG_PID +$WORKER_UID .*default\.policy +.*probe" "sbx ps: the table's line"
	out_has "user:\[$(stat -L -c %i "/proc/$pid/ns/user")\]" "sbx ps: the table's namespaces"
	run_as "$S" ps --tree
	out_has "^ +[0-9]+ probe\$" "sbx ps --tree: the program under its init"
	ok "$([ "$(stat -c '%a %u' "$dir")" = "700 $RUN_UID" ]; echo $?)" "the state directory $dir: mode 0700, the caller's" "$(stat -c '%a %u' "$dir")"
	ok "$([ "$(stat -c '%a %u' "$dir/$pid")" = "600 $RUN_UID" ]; echo $?)" "the entry: mode 0600, the caller's"

	other_user
	if [ "${#OTHER[@]}" -gt 0 ]; then
		(cd "$T/cwd" && XDG_RUNTIME_DIR="$T/run-$UNPRIV_UID" "${OTHER[@]}" "$S" ps --json) >"$T/other" 2>/dev/null
		OUT=$(cat "$T/other")
		ok "$(! listed "$pid"; echo $?)" "another user's sbx ps does not list it" "$OUT"
	fi

	stop_bg "$marker"
	if wait_until 5 ps_lacks "$pid"; then pass "sbx ps: gone after the sandbox ended"; else fail "sbx ps: gone after the sandbox ended" "$OUT"; fi
	ok "$([ ! -e "$dir/$pid" ]; echo $?)" "its entry is removed"
}

group_ps_sigkill() {
	local marker pid dir
	set_runtime_dir
	marker=$(new_marker)
	dir=$(state_dir)
	start_bg --json-status-fd 3 --record-namespaces "$P" sleep 60 "$marker" 3>"$T/status.json"
	if ! wait_until 10 grep -q '"event":"namespaces"' "$T/status.json"; then
		fail "a sandbox to SIGKILL the broker of" "$(cat "$T/status.json" "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	pid=$(sed -n 's/.*"event":"start","pid":\([0-9]*\).*/\1/p' "$T/status.json")
	wait_until 10 ps_lists "$pid"
	kill -KILL "$BG_PID"
	wait "$BG_PID" 2>/dev/null
	wait_until 5 no_pids_with_marker "$marker"
	ok "$([ -e "$dir/$pid" ]; echo $?)" "after SIGKILL of the broker its entry is left (stale)"
	sbx_run "$P" exit 0
	expect_rc 0 "the next sbx runs"
	ok "$([ ! -e "$dir/$pid" ]; echo $?)" "the next sbx removed the stale entry" "$(ls -la "$dir" 2>&1)"
	if ps_lacks "$pid"; then pass "sbx ps: nothing after the broker was SIGKILLed"; else fail "sbx ps: nothing after the broker was SIGKILLed" "$OUT"; fi
	kill_leftovers "$marker"
}

group_no_runtime_dir() {
	# Unprivileged without a runtime directory: no state, and nothing left in /tmp.
	[ "$RUN_UID" = 0 ] && return
	local before after
	before=$(find /tmp /dev/shm -maxdepth 1 -name 'sbx*' -user "$RUN_UID" 2>/dev/null | sort)
	XDG_RUNTIME_DIR= sbx_run "$P" exit 0
	expect_rc 0 "without a runtime directory sbx runs"
	after=$(find /tmp /dev/shm -maxdepth 1 -name 'sbx*' -user "$RUN_UID" 2>/dev/null | sort)
	is "$after" "$before" "without a runtime directory: no state in /tmp"
}

group_install
group_beside_binary
for_each_mode group_no_runtime_dir
for_each_mode group_version
# A program whose path is not UTF-8 (any byte but '/' and NUL may be in a file name): `sbx ps
# --json` stays valid UTF-8 JSON (the byte as U+FFFD), `sbx ps` shows it escaped.
group_ps_json_utf8() {
	local marker prog=$T/bin/pr$'\xff'obe
	set_runtime_dir
	marker=$(new_marker)
	cp "$P" "$prog" && chmod 0755 "$prog"
	start_bg "$prog" sleep 60 "$marker"
	listed_ufffd() { ps_json && grep -q 'pr\\ufffdobe' "$T/out"; }
	if ! wait_until 10 listed_ufffd; then
		fail "sbx ps --json lists a program whose path is not UTF-8" "$(cat "$T/bg.err")" "$(cat -A "$T/out")"
		stop_bg "$marker"
		rm -f "$prog"
		return
	fi
	if python3 -c 'import json,sys; e = json.loads(open(sys.argv[1], "rb").read().decode("utf-8")); sys.exit(not any(x["program"].endswith("pr\ufffdobe") for x in e))' "$T/out"; then
		pass "sbx ps --json: valid UTF-8 JSON, the byte that is not UTF-8 as U+FFFD"
	else
		fail "sbx ps --json: valid UTF-8 JSON, the byte that is not UTF-8 as U+FFFD" "$(cat -A "$T/out")"
	fi
	run_as "$S" ps
	out_has 'pr\\xffobe' "sbx ps: the byte shown escaped"
	stop_bg "$marker"
	rm -f "$prog"
}

# A batch's zygote is a sandbox of its own (namespaces, a root): `sbx ps` lists it, marked as
# the zygote, beside its jobs, each with its program's resolved path; nothing after the batch.
group_ps_zygote() {
	local marker list=$T/data/zl-$RUN_UID
	set_runtime_dir
	marker=$(new_marker)
	printf '%s\n' 1 2 >"$list" && chmod 0644 "$list"
	start_bg --each "$list" -j 2 -- "$P" sleep 60 "$marker"
	ps_three() { ps_json && [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$T/out")" -ge 3 ]; }
	if ! wait_until 15 ps_three; then
		fail "sbx ps lists a batch's zygote and its jobs" "$(cat "$T/out" "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	local got
	got=$(python3 -c '
import json, sys
e = [x for x in json.load(open(sys.argv[1])) if x["broker"] == int(sys.argv[2])]
z = [x for x in e if x["role"] == "zygote"]
j = [x for x in e if x["role"] == "sandbox"]
print(len(z), len(j), all(x["program"] == sys.argv[3] for x in z + j))' "$T/out" "$BG_PID" "$P")
	is "$got" "1 2 True" "sbx ps: one zygote and two jobs of the batch, each named by its program's path"
	run_as "$S" ps
	out_has "(zygote: starts its jobs)" "sbx ps: the zygote is marked in the table"
	stop_bg "$marker"
	if wait_until 5 ps_lacks_broker "$BG_PID"; then
		pass "sbx ps: nothing of the batch after it ended"
	else
		fail "sbx ps: nothing of the batch after it ended" "$OUT"
	fi
	rm -f "$list"
}

ps_lacks_broker() {
	ps_json && python3 -c 'import json,sys; sys.exit(any(e["broker"] == int(sys.argv[1]) for e in json.load(sys.stdin)))' "$1" <"$T/out"
}

# The program names itself (PR_SET_NAME): `sbx ps --tree` shows the name escaped, never a raw
# control byte that would reach the caller's terminal.
group_ps_escape() {
	local marker
	if [ ! -x /usr/bin/python3 ]; then
		skip "sbx ps --tree escapes the program's own name" "no /usr/bin/python3"
		return
	fi
	set_runtime_dir
	marker=$(new_marker)
	start_bg /usr/bin/python3 -c 'import ctypes, time
ctypes.CDLL(None).prctl(15, b"\x1b[31mRED", 0, 0, 0)
print("ready", flush=True)
time.sleep(60)' "$marker"
	if ! wait_until 15 grep -q '^ready$' "$T/bg.out"; then
		fail "a program that names itself runs" "$(cat "$T/bg.err")"
		stop_bg "$marker"
		return
	fi
	run_as "$S" ps --tree
	out_has 'RED$' "sbx ps --tree lists the program by the name it chose"
	if grep -q $'\x1b' <<<"$OUT"; then
		fail "sbx ps --tree sends no escape byte from the sandbox to the terminal" "$(show_run)"
	else
		pass "sbx ps --tree sends no escape byte from the sandbox to the terminal"
	fi
	out_has '\\e\[31mRED' "the name is shown escaped"
	stop_bg "$marker"
}

# A policy's path may hold a newline. The state entry keeps one "key value" per line: the path
# must not end its value and start a line of its own ("pid 1"), which sbx ps would believe.
group_ps_forged_line() {
	local marker pid pol entry
	set_runtime_dir
	marker=$(new_marker)
	pol="$T/forged"$'\n'"pid 1"$'\n'"x.policy"
	cp "$SBX_SRCDIR/policies/default.policy" "$pol" && chmod a+r "$pol"
	start_bg --policy "$pol" --json-status-fd 3 "$P" sleep 60 "$marker" 3>"$T/status.json"
	if ! wait_until 10 grep -q '"event":"start"' "$T/status.json"; then
		fail "a sandbox under a policy whose path holds newlines" "$(cat "$T/status.json" "$T/bg.err")"
		stop_bg "$marker"
		rm -f "$pol"
		return
	fi
	pid=$(sed -n 's/.*"event":"start","pid":\([0-9]*\).*/\1/p' "$T/status.json")
	if wait_until 10 ps_lists "$pid"; then
		pass "sbx ps lists a sandbox whose policy path holds newlines, under its own pid"
	else
		fail "sbx ps lists a sandbox whose policy path holds newlines, under its own pid" "$(show_run)"
	fi
	ok "$(! listed 1; echo $?)" "no entry under the pid the policy's path names" "$OUT"
	entry=$(python3 -c 'import json,sys; print([e["policy"] for e in json.load(sys.stdin) if e["pid"] == int(sys.argv[1])][0])' "$pid" <<<"$OUT" 2>/dev/null)
	is "$entry" "$T/forged?pid 1?x.policy" "sbx ps: the policy's path, its newlines shown as '?'"
	stop_bg "$marker"
	rm -f "$pol"
}

for_each_mode group_ps
for_each_mode group_ps_escape
for_each_mode group_ps_json_utf8
for_each_mode group_ps_zygote
for_each_mode group_ps_sigkill
for_each_mode group_ps_forged_line
done_testing
