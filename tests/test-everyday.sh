#!/bin/bash
# SPDX-License-Identifier: MIT
# Everyday programs under the default policy behave as they do outside (issue 9): ps, ffprobe,
# Python's multiprocessing, the working directory, the program's own path, pid 1's name, the
# --ro/--rw conflict, a #! wrapper whose interpreter is not visible inside.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# get_mempolicy/set_mempolicy: procps and ffmpeg ask for the NUMA policy of their own memory.
group_mempolicy() {
	sbx_run -- ps -o pid=,comm=
	expect_rc 0 "ps runs under the default policy (get_mempolicy)"
	out_has '^ *2 ps$' "ps lists itself as pid 2"
	sbx_run -- ps aux
	expect_rc 0 "ps aux runs under the default policy"
	if command -v ffprobe >/dev/null; then
		sbx_run -- ffprobe -hide_banner -version
		expect_rc 0 "ffprobe -version runs under the default policy"
	else
		skip "ffprobe -version runs under the default policy" "ffprobe is not installed (package ffmpeg)"
	fi
}

# A private tmpfs on /dev/shm: POSIX semaphores and shared memory.
group_shm() {
	sbx_run -- /bin/sh -c 'grep " /dev/shm " /proc/mounts; stat -c %a /dev/shm'
	out_has '^none /dev/shm tmpfs (.*,)?nosuid,nodev,noexec' "/dev/shm is a tmpfs, nosuid, nodev, noexec"
	out_has '^1777$' "/dev/shm has mode 1777"
	sbx_run -- /bin/sh -c 'echo x >/dev/shm/f && cat /dev/shm/f'
	is "$RC:$OUT" "0:x" "/dev/shm is writable (Landlock too)"
	if [ -x "$PY" ]; then
		sbx_run -- "$PY" -c 'import multiprocessing as m; print(m.Pool(2).map(abs, [-1, -2]))'
		is "$RC:$OUT" "0:[1, 2]" "Python's multiprocessing.Pool works"
	else
		skip "Python's multiprocessing.Pool works" "$PY is not installed"
	fi
}

# One path read-only and writable at once is refused, not resolved by order.
group_conflict() {
	local d=$T/data/conflict-$MODE
	mkdir -p "$d"
	chmod 0777 "$d"
	sbx_run --ro "$d" --rw "$d" -- /bin/sh -c 'echo x >'"$d"'/f'
	expect_rc 125 "--ro X --rw X: refused (125)"
	err_has "--ro $d and --rw $d: $d cannot be both read-only and writable" "the error names both options"
	[ ! -e "$d/f" ] && pass "--ro X --rw X: nothing written" || fail "--ro X --rw X: nothing written"
	sbx_run --rw "$d/." --ro "$d" -- true
	expect_rc 125 "--rw X/. --ro X: refused in the other order and spelling too"
	local pol=$T/data/conflict-$MODE.policy
	printf 'include default\nro %s\n' "$d" >"$pol"
	chmod 0644 "$pol"
	sbx_run --policy "$pol" --rw "$d" -- /bin/sh -c 'echo x >'"$d"'/f'
	expect_rc 125 "a policy's ro X and --rw X: refused (125)"
	err_has "$pol:2: ro $d and --rw $d" "the error names the policy line and the option"
	sbx_run --ro "$d" --rw "$d" --ro "$d" -- true
	expect_rc 125 "--ro X --rw X --ro X: refused"
	sbx_run --ro "$T/data" --rw "$d" -- /bin/sh -c 'echo x >'"$d"'/f'
	expect_rc 0 "--ro DIR --rw DIR/SUB: no conflict, SUB is writable"
	rm -rf "$d" "$pol"
}

# sbx_run_in DIR [SBX ARGS...]: sbx_run from DIR instead of $T/cwd.
sbx_run_in() {
	local SBX_CWD=$1
	shift
	sbx_run "$@"
}

# The program starts in the caller's directory when the sandbox shows it, else at /.
group_cwd() {
	local d=$T/data/cwd-$MODE
	mkdir -p "$d/sub"
	echo hello >"$d/file"
	chmod -R a+rX "$d"
	sbx_run_in "$d" --ro "$d" -- cat file
	is "$RC:$OUT" "0:hello" "cd DIR && sbx --ro DIR -- cat file reads DIR/file"
	sbx_run_in "$d/sub" --ro "$T/data" -- pwd
	is "$OUT" "$d/sub" "a directory below a --ro path: the program starts there"
	chmod 0777 "$d"
	sbx_run_in "$d" --rw "$d" -- /bin/sh -c 'echo out >made'
	is "$RC:$(cat "$d/made" 2>/dev/null)" "0:out" "a --rw directory: relative output lands in it"
	sbx_run_in /usr/share -- pwd
	is "$OUT" "/usr/share" "/usr/share is visible: the program starts there"
	sbx_run_in "$d" -- pwd
	is "$OUT" "/" "a directory not visible inside: the program starts at /"
	sbx_run_in /tmp -- pwd
	is "$OUT" "/" "the caller's /tmp is not the sandbox's /tmp: the program starts at /"
	local pol=$T/data/cwd-$MODE.policy
	printf 'include default\nro %s\ntmpfs %s\n' "$T/data" "$d" >"$pol"
	chmod 0644 "$pol"
	sbx_run_in "$d" --policy "$pol" -- pwd
	is "$OUT" "/" "a directory under a policy's tmpfs is hidden: the program starts at /"
	rm -rf "$d" "$pol"
}

# A new user's first try: a file of the working directory, which the sandbox does not show.
# The program fails as it would (its own message, its own status), and sbx says why and what
# to add; `--ro .` (a relative path, from the working directory) then works.
group_hidden_args() {
	local d=$T/data/hint-$MODE
	mkdir -p "$d"
	echo hello >"$d/notes.txt"
	chmod -R a+rX "$d"
	sbx_run_in "$d" -- cat notes.txt
	is "$RC" 1 "cat of a file in a hidden working directory: cat's own status"
	err_has "notice: 'notes.txt' is in the working directory $d, which the sandbox does not show \(the program starts at /\): add --ro \. \(or --rw \.\) to show it" \
		"sbx names the argument, the directory and what to add"
	sbx_run_in "$d" --ro . -- cat notes.txt
	is "$RC:$OUT" "0:hello" "--ro . shows the working directory: the same command works"
	sbx_run_in "$d" --ro ./notes.txt -- cat "$d/notes.txt"
	is "$RC:$OUT" "0:hello" "--ro ./FILE: a relative path, made absolute"
	sbx_run -- cat "$d/notes.txt"
	err_has "notice: '$d/notes.txt' is not visible inside the sandbox( \(its /tmp is its own\))?: add --ro $d/notes.txt \(or --rw\) to show it" \
		"an absolute path the sandbox does not show: named, with what to add"
	sbx_run -- cat /etc/hostname /dev/null
	is "$RC:$OUT" "0:sbx" "what the sandbox has of its own at a path (its /etc/hostname, /dev/null): no notice"
	ok "$(! grep -q notice <<<"$ERR"; echo $?)" "no notice for them" "$ERR"
	mkdir -p "$d/sub" && chmod a+rx "$d/sub"
	sbx_run --ro "$d/sub" -- ls / "$d"
	ok "$(! grep -q notice <<<"$ERR"; echo $?)" "the root, and a folder above a --ro path: found inside, no notice" "$ERR"
	sbx_run --ro "$d" -- cat "$d/sub/../notes.txt"
	is "$RC:$OUT" "0:hello" "a path through '..' into a --ro folder works"
	ok "$(! grep -q notice <<<"$ERR"; echo $?)" "and gets no notice (judged as the host resolves it)" "$ERR"
	ln -s "$d/notes.txt" "$d/../link-$MODE"
	sbx_run -- cat "$T/data/link-$MODE"
	err_has "notice: '$T/data/link-$MODE', on the host $d/notes.txt, is not visible inside the sandbox( \\(its /tmp is its own\\))?: add --ro $d/notes.txt" \
		"a symbolic link: the notice names its target, which is what --ro binds"
	rm -f "$T/data/link-$MODE"
	sbx_run_in "$d" -q -- cat notes.txt
	ok "$(! grep -q notice <<<"$ERR"; echo $?)" "-q: no notice" "$ERR"
	sbx_run_in "$d" --ro nosuch -- true
	expect_rc 125 "--ro of a relative path that does not exist: refused"
	err_has "--ro 'nosuch': No such file or directory \(a relative path is taken from the working directory\)" \
		"the error names the option, the path and where it was looked for"
	rm -rf "$d"
}

# A #! wrapper whose interpreter, or the program it ends by exec'ing (a pyenv shim), the
# sandbox does not show: 127, naming the script and what it needs.
group_script_needs() {
	local d=$T/data/.shim-$MODE
	mkdir -p "$d/libexec" "$d/shims"
	printf '#!/bin/sh\necho "tool ran: $*"\n' >"$d/libexec/tool"
	printf '#!/usr/bin/env sh\nset -e\nexec "%s" exec "$@"\n' "$d/libexec/tool" >"$d/shims/python3"
	printf '#!%s\necho never\n' "$d/libexec/tool" >"$d/shims/direct"
	printf '#!/usr/bin/env no-such-interp-sbx\necho never\n' >"$d/shims/envmissing"
	chmod -R a+rX "$d"
	chmod 0755 "$d/libexec/tool" "$d/shims/"*
	sbx_run -- "$d/shims/python3" -c 1
	expect_rc 127 "a shim that execs a path not visible inside: 127"
	err_has "$d/shims/python3: a shim that ends by running $d/libexec/tool, which is not visible inside the sandbox; add --ro $d \(the tree it belongs to\) or run the program directly \(e.g. /usr/bin/python3\)" \
		"the error names the script, what it runs, the tree to show, and the program on the sandbox's PATH"
	sbx_run --ro "$d" -- "$d/shims/python3" -c 1
	is "$RC:$OUT" "0:tool ran: exec -c 1" "with --ro for the tree the error names, the shim runs"
	sbx_run --ro "$d/libexec" -- "$d/shims/python3" -c 1
	is "$RC:$OUT" "0:tool ran: exec -c 1" "with --ro for what it execs, the shim runs"
	# A wrapper that execs a program of a folder that is not a tool's own hidden tree (~/bin,
	# say): the target itself is what to show, never the folder above (a home).
	local w=$T/data/plain-$MODE
	mkdir -p "$w/bin" && cp "$d/libexec/tool" "$w/bin/tool"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$w/bin/tool" >"$w/wrap"
	chmod -R a+rX "$w" && chmod 0755 "$w/bin/tool" "$w/wrap"
	sbx_run -- "$w/wrap"
	err_has "add --ro $w/bin/tool or run the interpreter directly" "a wrapper outside a tool's hidden tree: show its target, not the folder above"
	rm -rf "$w"
	sbx_run -- "$d/shims/direct"
	expect_rc 127 "a #! interpreter not visible inside: 127"
	err_has "$d/shims/direct: a script whose interpreter $d/libexec/tool is not visible" "the error names the interpreter"
	sbx_run -- "$d/shims/envmissing"
	expect_rc 127 "#!/usr/bin/env NAME with NAME not on the sandbox's PATH: 127"
	err_has "a script run by .env no-such-interp-sbx., which is not on the sandbox's PATH" "the error names env NAME"
	# A script longer than the 4 KiB sbx reads, whose byte 4096 falls inside an `exec` line
	# that never runs: not mistaken for a shim ending in a cut path.
	python3 - "$d/shims/long" <<'PY'
import sys
head = "#!/bin/sh\nif false; then\n# "
line = "exec /usr/bin/env true\n"
pad = 4096 - 8 - len(head) - 1
open(sys.argv[1], "w").write(head + "x" * pad + "\n" + line + "fi\necho ran\n")
PY
	chmod 0755 "$d/shims/long"
	sbx_run -- "$d/shims/long"
	is "$RC:$OUT" "0:ran" "a long script cut in the middle of a line by sbx's 4 KiB window runs"
	rm -rf "$d"
}

# pid 1 shows a short fixed name, not sbx's host path and command line.
group_pid1_name() {
	local marker
	marker=$(new_marker)
	sbx_run -- /bin/sh -c 'od -An -c /proc/1/cmdline | tr -s " "; cat /proc/1/comm; cat /proc/1/environ >/dev/null 2>&1 && echo environ-readable' "$marker"
	is "$OUT" "$(printf ' s b x - i n i t \\0\nsbx-init')" "/proc/1/cmdline is sbx-init, /proc/1/comm sbx-init, /proc/1/environ unreadable"
	sbx_run -- /bin/sh -c 'cat /proc/1/cmdline' "$marker"
	out_lacks "$marker|$S" "pid 1's command line holds neither sbx's path nor its arguments"
}

# The program's own path: /proc/self/exe and a script's $0 name it as outside when the sandbox
# shows it; the file stays read-only through /proc/self/exe.
group_own_path() {
	if command -v perl >/dev/null; then
		sbx_run -- perl -e 'print "$^X\n"; exec $^X, "-e", "print qq(again\n)"'
		is "$RC:$OUT" "0:$(readlink -f "$(command -v perl)")"$'\n'"again" "perl's \$^X is its real path, and perl re-runs itself"
	else
		skip "perl's \$^X is its real path, and perl re-runs itself" "perl is not installed"
	fi
	local d=$T/data/own-$MODE
	mkdir -p "$d"
	echo "data next to the script" >"$d/data"
	printf '#!/bin/sh\necho "$0"\ncat "$(dirname "$0")/data"\n' >"$d/run.sh"
	cp "$P" "$d/probe"
	chmod -R a+rX "$d"
	chmod 0755 "$d/run.sh" "$d/probe"
	chown "$WORKER_UID:$WORKER_UID" "$d/probe"
	sbx_run --ro "$d" -- "$d/run.sh"
	is "$RC:$OUT" "0:$d/run.sh"$'\n'"data next to the script" "a #! script's \$0 is its path: \$(dirname \"\$0\")/data works"
	# A shell of our own in the granted folder, run by sbx itself: its /proc/self/exe.
	cp "$(readlink -f /bin/sh)" "$d/mysh"
	chmod 0755 "$d/mysh"
	sbx_run --ro "$d" -- "$d/mysh" -c 'readlink /proc/$$/exe'
	is "$RC:$OUT" "0:$d/mysh" "a granted program's /proc/self/exe is its real path"
	sbx_run -- "$d/mysh" -c 'readlink /proc/$$/exe'
	is "$RC:$OUT" "0:/" "a hidden program's /proc/self/exe reads / (its directory stays hidden)"
	sbx_run --ro "$d" -- "$d/probe" tamper-exe
	if cmp -s "$P" "$d/probe"; then
		pass "a granted program owned by the worker cannot be written via /proc/self/exe"
	else
		fail "a granted program owned by the worker cannot be written via /proc/self/exe" "$(show_run)"
	fi
	sbx_run -- "$d/run.sh"
	out_has '^/dev/fd/[0-9]+$' "a hidden script runs by fd (\$0 is /dev/fd/N): its directory stays hidden"
	rm -rf "$d"
}

for_each_mode group_mempolicy
for_each_mode group_shm
for_each_mode group_conflict
for_each_mode group_cwd
for_each_mode group_hidden_args
for_each_mode group_script_needs
for_each_mode group_pid1_name
for_each_mode group_own_path
done_testing
