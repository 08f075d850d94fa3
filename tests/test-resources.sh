#!/bin/bash
# SPDX-License-Identifier: MIT
# Resources the broker opens and hands over as fds: from the command line and from a policy.
. "$(dirname "$0")/lib.sh"

setup_tree() {
	D=$T/res-$MODE
	rm -rf "$D"
	mkdir -p "$D/grant/sub" "$D/outside"
	echo "granted" >"$D/grant/a.txt"
	echo "deep" >"$D/grant/sub/b.txt"
	echo "secret" >"$D/outside/secret.txt"
	chmod -R a+rX "$D"
	# The worker's uid owns the files: only the mounts can stop a write.
	[ "$MODE" = user ] && chown -R 65534:65534 "$D"
	true
}

group_file() {
	setup_tree
	sbx_run --file "IN=$D/grant/a.txt" /bin/sh -c 'echo "fd=$SBX_FD_IN"; cat <&3'
	expect_rc 0 "--file IN=PATH: runs"
	out_has '^fd=3$' "--file: SBX_FD_IN=3"
	out_has '^granted$' "--file: the worker reads the file through fd 3"
	sbx_run --file "IN=$D/grant/a.txt" /bin/sh -c 'echo x >>/proc/self/fd/3; echo "rc=$?"'
	out_has '^rc=[1-9]' "--file r: reopening fd 3 for writing through /proc fails"
	if [ "$(cat "$D/grant/a.txt")" = granted ]; then pass "--file r: the file is unchanged"; else fail "--file r: the file is unchanged" "$(cat "$D/grant/a.txt")"; fi
	sbx_run --file "OUT=$D/grant/new.txt:wc" /bin/sh -c 'echo written >&3'
	if [ "$RC" = 0 ] && [ "$(cat "$D/grant/new.txt" 2>/dev/null)" = written ]; then
		pass "--file NAME=PATH:wc creates and writes an output"
	else
		fail "--file NAME=PATH:wc creates and writes an output" "$(show_run)"
	fi
	sbx_run --file "IN=$D/missing.txt" /bin/true
	expect_rc 125 "--file of a missing path: exit 125"
	err_has 'resource IN' "--file of a missing path: the message names the resource"
}

group_dir() {
	setup_tree
	sbx_run --dir "G=$D/grant" /bin/sh -c 'cat /proc/self/fd/$SBX_FD_G/a.txt /proc/self/fd/$SBX_FD_G/sub/b.txt'
	expect_rc 0 "--dir G=PATH: files below it can be opened from its fd"
	out_has '^deep$' "--dir: subdirectories too"
	sbx_run --dir "G=$D/grant" /bin/sh -c 'cat /proc/self/fd/$SBX_FD_G/../outside/secret.txt'
	if [ "$RC" != 0 ] && ! grep -q secret <<<"$OUT"; then
		pass "--dir: '..' from the directory fd does not lead outside it"
	else
		fail "--dir: '..' from the directory fd does not lead outside it" "$(show_run)"
	fi
	sbx_run --dir "G=$D/grant" /bin/sh -c 'echo x >/proc/self/fd/$SBX_FD_G/new.txt'
	if [ "$RC" != 0 ] && [ ! -e "$D/grant/new.txt" ]; then
		pass "--dir read-only: no file can be created below it"
	else
		fail "--dir read-only: no file can be created below it" "$(show_run)"
	fi
	chmod 0777 "$D/grant" # as root the worker is 65534: let the file system allow it
	sbx_run --dir "G=$D/grant:rwc" /bin/sh -c 'echo made >/proc/self/fd/$SBX_FD_G/new.txt'
	if [ "$RC" = 0 ] && [ "$(cat "$D/grant/new.txt" 2>/dev/null)" = made ]; then
		pass "--dir G=PATH:rwc: files can be created below it"
	else
		fail "--dir G=PATH:rwc: files can be created below it" "$(show_run)"
	fi
	sbx_run --dir "G=$D/grant:r:*.txt" /bin/sh -c 'echo "fd=${SBX_FD_G:-none} broker=${SBX_FD_BROKER:-none}"'
	out_has '^fd=none broker=[0-9]+$' "--dir with a pattern: served by requests only (no fd, a broker channel)"
}

group_socket() {
	setup_tree
	local sock=$D/srv.sock
	python3 - "$sock" >"$D/srv.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
print(c.recv(100).decode().strip())
PY
	local srv=$!
	wait_until 10 test -S "$sock"
	sbx_run --connect "S=unix:$sock" /bin/sh -c 'echo hello-through-fd >&3'
	wait "$srv"
	if [ "$RC" = 0 ] && grep -q '^hello-through-fd$' "$D/srv.out"; then
		pass "--connect S=unix:PATH: the worker talks through the connected fd (no socket() of its own)"
	else
		fail "--connect S=unix:PATH" "$(show_run)" "$(cat "$D/srv.out")"
	fi
	sbx_run --connect "S=tcp:127.0.0.1:1" /bin/true
	expect_rc 125 "--connect to a closed port: exit 125, nothing started"
	exec 7<"$D/grant/a.txt"
	sbx_run --fd "SEVEN=7" /bin/sh -c 'cat <&3'
	exec 7<&-
	out_has '^granted$' "--fd NAME=N: an fd sbx inherited arrives as fd 3"
}

group_policy() {
	setup_tree
	cat >"$T/res-$MODE.policy" <<EOF
include default
param input = $D/grant/a.txt
resource IN file \${input} r
resource G dir $D/grant
EOF
	chmod 0644 "$T/res-$MODE.policy"
	sbx_run --policy "$T/res-$MODE.policy" /bin/sh -c 'cat <&3; cat /proc/self/fd/$SBX_FD_G/sub/b.txt'
	expect_rc 0 "a policy's resources: opened and handed over"
	out_has '^granted$' "a policy's file resource"
	out_has '^deep$' "a policy's dir resource"
	sbx_run --policy "$T/res-$MODE.policy" --param "input=$D/grant/sub/b.txt" /bin/sh -c 'cat <&3'
	out_has '^deep$' "--param sets a resource's path"
	sbx_run --policy "$T/res-$MODE.policy" --file "IN=$D/grant/a.txt" /bin/true
	expect_rc 125 "a command-line resource with a policy resource's name: exit 125"
	err_has 'also declared by the policy' "the message says where the other one is"
}

group_requests() {
	setup_tree
	cp "$SBX_SRCDIR/tests/broker-req.py" "$D/req.py"
	chmod 0644 "$D/req.py"
	cat >"$T/req-$MODE.policy" <<EOF
include default
resource D dir $D/grant r "*.txt" max 2
EOF
	chmod 0644 "$T/req-$MODE.policy"
	(cd "$T/cwd" && exec timeout -k 5 "$SBX_RUN_TIMEOUT" "${RUNAS[@]}" "$S" --json-status-fd 5 --ro "$D/req.py" \
		--policy "$T/req-$MODE.policy" /usr/bin/python3 "$D/req.py" a.txt ../outside/secret.txt a.txt a.txt) \
		</dev/null >"$T/out" 2>"$T/err" 5>"$T/audit.json"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	expect_rc 0 "requests: the worker asks the broker for files (no fd for a patterned grant)"
	if [ "$(sed -n 1p <<<"$OUT")" = granted ]; then pass "requests: a granted file arrives as an fd"; else fail "requests: a granted file arrives as an fd" "$(show_run)"; fi
	if [ "$(sed -n 2p <<<"$OUT")" = "error 13" ]; then pass "requests: '..' out of the grant is refused with EACCES"; else fail "requests: '..' out of the grant is refused" "$(show_run)"; fi
	if [ "$(sed -n 4p <<<"$OUT")" = "error 122" ]; then pass "requests: the grant's 'max 2' refuses the third open (EDQUOT)"; else fail "requests: the grant's 'max 2' refuses the third open" "$(show_run)"; fi
	if python3 - "$T/audit.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
audit = [e for e in ev if e["event"] == "audit"]
assert [a["granted"] for a in audit] == [True, False, True, False], audit
assert audit[1]["error"] == 13 and "pattern" in audit[1]["rule"], audit[1]
assert "max 2" in audit[3]["rule"], audit[3]
PY
	then
		pass "requests: every decision is in the JSON audit stream with the rule that decided"
	else
		fail "requests: every decision is in the JSON audit stream" "$(cat "$T/audit.json")"
	fi
}

for_each_mode group_file
for_each_mode group_dir
for_each_mode group_socket
for_each_mode group_policy
for_each_mode group_requests
done_testing
