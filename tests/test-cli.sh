#!/bin/bash
# SPDX-License-Identifier: MIT
# The command line: options, bad input, policy files, program lookup.
. "$(dirname "$0")/lib.sh"

# A worker that ran leaves this file behind (through --rw): bad input must start none.
no_worker_check() {
	local desc=$1
	if [ -e "$T/data/rw/ran" ]; then
		fail "$desc: no worker started" "the program ran: $T/data/rw/ran exists"
		rm -f "$T/data/rw/ran"
	else
		pass "$desc: no worker started"
	fi
}

# sbx_bad DESC WANT_RC [SBX ARGS...]: bad input exits WANT_RC with a message, starting no worker.
sbx_bad() {
	local desc=$1 want=$2
	shift 2
	sbx_run "$@"
	expect_rc "$want" "$desc: exit status $want"
	if [ -n "$ERR" ]; then pass "$desc: message on stderr"; else fail "$desc: message on stderr" "$(show_run)"; fi
	no_worker_check "$desc"
}

group_help_version() {
	sbx_run --help
	expect_rc 0 "--help exits 0"
	out_has -- '--policy' "--help lists --policy on stdout"
	out_has -- '--time-limit' "--help lists --time-limit"
	sbx_run --version
	expect_rc 0 "--version exits 0"
	if [ -n "$SBX_VERSION" ]; then
		out_has "$SBX_VERSION" "--version prints $SBX_VERSION"
	else
		skip "--version prints the project version" "SBX_VERSION not given by meson"
	fi
}

group_bad_input() {
	local rw=$T/data/rw
	mkdir -p "$rw"
	chown "$RUN_UID" "$rw" 2>/dev/null
	chmod 0777 "$rw"
	rm -f "$rw/ran"
	# Each of these would create $rw/ran if sbx started the program despite the error.
	local prog=("$P" write "$rw/ran")

	sbx_bad "unknown option" 125 --rw "$rw" --no-such-option "${prog[@]}"
	err_has 'no-such-option' "unknown option: the message names the option"
	sbx_bad "no program" 125 --rw "$rw"
	sbx_bad "only --" 125 --rw "$rw" --
	sbx_bad "option without its value" 125 --rw "$rw" --time-limit
	sbx_bad "--time-limit abc" 125 --rw "$rw" --time-limit abc "${prog[@]}"
	sbx_bad "--time-limit -1" 125 --rw "$rw" --time-limit -1 "${prog[@]}"
	sbx_bad "--memory-limit 10X" 125 --rw "$rw" --memory-limit 10X "${prog[@]}"
	sbx_bad "--memory-limit huge overflow" 125 --rw "$rw" --memory-limit 99999999999999999999G "${prog[@]}"
	sbx_bad "--pids-limit -1" 125 --rw "$rw" --pids-limit -1 "${prog[@]}"
	sbx_bad "--pids-limit x" 125 --rw "$rw" --pids-limit x "${prog[@]}"
	sbx_bad "--ro of a missing path" 125 --rw "$rw" --ro /nonexistent-sbx-test "${prog[@]}"
	err_has 'nonexistent-sbx-test' "--ro of a missing path: the message names the path"
	err_has '[Nn]o such file|ENOENT' "--ro of a missing path: the message names the errno"

	sbx_bad "program not found" 127 --rw "$rw" /nonexistent-sbx-test/prog
	# A PATH the caller can search entirely (as 65534, /root/... entries fail with EACCES).
	PATH=/usr/bin:/bin sbx_bad "program not in PATH" 127 --rw "$rw" sbx-no-such-program-anywhere
	printf 'not a program\n' >"$T/data/noexec"
	chmod 0644 "$T/data/noexec"
	sbx_bad "program not executable" 126 --rw "$rw" "$T/data/noexec"
	sbx_bad "program is a directory" 126 --rw "$rw" "$T/data"
}

group_user_option() {
	local rw=$T/data/rw
	mkdir -p "$rw"
	chmod 0777 "$rw"
	rm -f "$rw/ran"
	if [ "$RUN_UID" -eq 0 ]; then
		sbx_bad "--user 0 refused" 125 --rw "$rw" --user 0 "$P" write "$rw/ran"
		sbx_bad "--user 0:0 refused" 125 --rw "$rw" --user 0:0 "$P" write "$rw/ran"
		sbx_bad "--user 1000:0 (gid 0) refused" 125 --rw "$rw" --user 1000:0 "$P" write "$rw/ran"
		sbx_bad "--user garbage" 125 --rw "$rw" --user abc "$P" write "$rw/ran"
		sbx_run --user 12345:23456 "$P" uid 12345
		expect_held "--user 12345:23456: uid 12345 inside, uid_map '12345 12345 1'"
		out_has '^gid: 23456 23456 23456$' "--user 12345:23456: gid 23456 inside"
		sbx_run --user 4242 "$P" uid 4242
		expect_held "--user 4242 (no gid): uid 4242 inside"
	else
		sbx_bad "--user when not root" 125 --rw "$rw" --user 12345 "$P" write "$rw/ran"
	fi
}

group_policy() {
	local d=$T/data
	local def=$SBX_SRCDIR/policies/default.policy
	local rw=$T/data/rw
	mkdir -p "$rw"
	chmod 0777 "$rw"
	rm -f "$rw/ran"

	sbx_bad "--policy missing file" 125 --rw "$rw" --policy "$d/no-such.policy" "$P" write "$rw/ran"
	err_has 'no-such' "--policy missing file: message names it"

	sbx_bad "--policy is a directory" 125 --rw "$rw" --policy "$d" "$P" write "$rw/ran"

	if [ "$RUN_UID" -ne 0 ]; then
		printf 'read\n' >"$d/unreadable.policy"
		chmod 0000 "$d/unreadable.policy"
		sbx_bad "--policy unreadable" 125 --rw "$rw" --policy "$d/unreadable.policy" "$P" write "$rw/ran"
		err_has 'unreadable\.policy' "--policy unreadable: message names the file"
		err_has '[Pp]ermission denied|EACCES' "--policy unreadable: message names the errno"
	else
		skip "--policy unreadable" "root reads any file"
	fi

	if [ ! -r "$def" ]; then
		skip "policy files" "no $def"
		return
	fi
	# Line 3 holds the unknown name.
	{ printf '# a comment\n'; printf 'read write\n'; printf 'exit_group opne close\n'; cat "$def"; } >"$d/typo.policy"
	chmod 0644 "$d/typo.policy"
	sbx_bad "--policy with an unknown syscall" 125 --rw "$rw" --policy "$d/typo.policy" "$P" write "$rw/ran"
	err_has 'typo\.policy:3' "unknown syscall: message names file:line"
	err_has 'opne' "unknown syscall: message names the word"

	# The file really is used: the default policy plus ptrace lets ptrace() through ...
	{ cat "$def"; printf '\n# added by the test\nptrace\n'; } >"$d/plus-ptrace.policy"
	cp "$def" "$d/copy.policy"
	chmod 0644 "$d/plus-ptrace.policy" "$d/copy.policy"
	sbx_run --policy "$d/plus-ptrace.policy" "$P" syscall ptrace
	if [ "$RC" = 1 ] && grep -q 'ptrace returned' <<<"$OUT"; then
		pass "--policy FILE: a policy allowing ptrace lets ptrace() return"
	else
		fail "--policy FILE: a policy allowing ptrace lets ptrace() return" "$(show_run)"
	fi
	# ... and the unchanged copy kills it.
	sbx_run --policy "$d/copy.policy" "$P" syscall ptrace
	expect_rc 159 "--policy FILE: a copy of the default policy kills ptrace()"
	sbx_run --policy "$d/copy.policy" "$P" exit 7
	expect_rc 7 "--policy FILE with comments: a program runs"

	# A name resolves in policies/.
	sbx_run --policy default "$P" exit 0
	expect_rc 0 "--policy default (a name) runs"
	sbx_run --policy default "$P" syscall ptrace
	expect_rc 159 "--policy default kills ptrace()"
	sbx_bad "--policy unknown name" 125 --rw "$rw" --policy no-such-policy-name "$P" write "$rw/ran"
}

group_args_and_lookup() {
	# Option parsing stops at the program: its own options reach it untouched.
	sbx_run "$P" args -v --help --policy x -- --time-limit
	expect_rc 0 "program options are passed through"
	out_has '^arg1: -v$' "program gets -v"
	out_has '^arg2: --help$' "program gets --help"
	out_has '^arg4: x$' "program gets --policy x"
	out_has '^arg5: --$' "program gets its own --"
	out_has '^arg6: --time-limit$' "program gets --time-limit"

	sbx_run -- "$P" args a
	expect_rc 0 "sbx -- PROGRAM"
	out_has '^arg1: a$' "sbx -- PROGRAM passes arguments"

	# PATH lookup like a shell; the program's folder is not visible inside.
	local oldpath=$PATH
	export PATH="$T/bin:$PATH"
	sbx_run probe args x
	export PATH=$oldpath
	expect_rc 0 "PROGRAM found through PATH"
	out_has '^arg1: x$' "PROGRAM found through PATH gets its arguments"
	PATH=/usr/bin:/bin sbx_run probe args x
	expect_rc 127 "PROGRAM not in PATH: 127"

	# A relative path (from the caller's cwd).
	cp "$P" "$T/cwd/probe-rel"
	chmod 0755 "$T/cwd/probe-rel"
	sbx_run ./probe-rel exit 5
	expect_rc 5 "./PROGRAM relative to the cwd"
	rm -f "$T/cwd/probe-rel"

	# A #! script whose folder is not visible inside.
	printf '#!/bin/sh\necho "script ran: $1"\nexit 9\n' >"$T/data/script.sh"
	chmod 0755 "$T/data/script.sh"
	sbx_run "$T/data/script.sh" hello
	expect_rc 9 "#! script runs and exits with its status"
	out_has '^script ran: hello$' "#! script gets its argument"
	printf '#!/nonexistent-sbx-interp\necho hi\n' >"$T/data/badinterp.sh"
	chmod 0755 "$T/data/badinterp.sh"
	sbx_run "$T/data/badinterp.sh"
	if [ "$RC" = 127 ] || [ "$RC" = 126 ]; then
		pass "#! script with a missing interpreter: 126 or 127 ($RC)"
	else
		fail "#! script with a missing interpreter: 126 or 127" "$(show_run)"
	fi

	# Host programs run (dynamic ones need /usr, /lib, ld.so.cache).
	sbx_run /bin/sh -c 'echo hello from sh; exit 3'
	expect_rc 3 "/bin/sh -c runs"
	out_has '^hello from sh$' "/bin/sh -c output passes through"
	sbx_run "$P" threads 4
	expect_rc 0 "the default policy allows threads (clone3 falls back to clone)"
}

group_verbosity() {
	sbx_run "$P" exit 0
	local quiet_err=$ERR
	expect_rc 0 "plain run"
	if [ -z "$quiet_err" ]; then pass "plain run prints nothing on stderr"; else fail "plain run prints nothing on stderr" "$(show_run)"; fi
	sbx_run -v "$P" exit 0
	expect_rc 0 "-v run"
	if [ "$(wc -l <<<"$ERR")" -ge 3 ]; then pass "-v logs setup steps on stderr"; else fail "-v logs setup steps on stderr" "$(show_run)"; fi
	sbx_run --verbose "$P" exit 0
	if [ -n "$ERR" ]; then pass "--verbose logs"; else fail "--verbose logs" "$(show_run)"; fi
	sbx_run -q "$P" exit 4
	expect_rc 4 "-q run"
	if [ -z "$ERR" ]; then pass "-q prints nothing on stderr"; else fail "-q prints nothing on stderr" "$(show_run)"; fi
	sbx_run --no-seccomp "$P" seccomp-mode 0
	expect_held "--no-seccomp: Seccomp: 0"
	err_has '[Ss]eccomp' "--no-seccomp warns on stderr"
}

# The command line and a policy parse access letters and resource names with one parser
# (common/spec.c): the same mistake gets the same words from both.
group_same_errors() {
	local rw=$T/data/rw d=$T/data/spec-$MODE
	mkdir -p "$rw" "$d"
	chmod 0777 "$rw"
	chmod 0755 "$d"
	rm -f "$rw/ran"
	local prog=("$P" write "$rw/ran")
	# what: the message after its prefix ("sbx: error: --file '...': " or "FILE:LINE:COL: ").
	what() { sed -n "s/.*\(bad [a-z ]*'[^']*': .*\)/\1/p" <<<"$ERR" | sed 's/ (see sbx --help)$//' | head -n 1; }
	local cli_msg pol_msg name spec line
	for spec in "IN=/etc/passwd:rx|resource IN file /etc/passwd rx" \
		"IN=/etc/passwd:R|resource IN file /etc/passwd R" \
		"9IN=/etc/passwd|resource 9IN file /etc/passwd" \
		"BROKER=/etc/passwd|resource BROKER file /etc/passwd" \
		"A-B=/etc/passwd|resource A-B file /etc/passwd"; do
		name=${spec%%|*}
		line=${spec#*|}
		sbx_bad "--file $name" 125 --rw "$rw" --file "$name" "${prog[@]}"
		cli_msg=$(what)
		printf 'include default\n%s\n' "$line" >"$d/spec.policy"
		chmod 0644 "$d/spec.policy"
		sbx_bad "policy '$line'" 125 --rw "$rw" --policy "$d/spec.policy" "${prog[@]}"
		err_has 'spec\.policy:2:' "policy '$line': the message names file:line"
		pol_msg=$(what)
		if [ -n "$cli_msg" ] && [ "$cli_msg" = "$pol_msg" ]; then
			pass "--file $name and '$line': the same error ($cli_msg)"
		else
			fail "--file $name and '$line': the same error" "cli:    '$cli_msg'" "policy: '$pol_msg'"
		fi
	done
}

# A typo gets the closest name: an option, a shipped policy.
group_did_you_mean() {
	sbx_run --polcy pcap /bin/true
	expect_rc 125 "--polcy: exit status 125"
	err_has "unknown option '--polcy' \(did you mean '--policy'\?\)" "--polcy: did you mean '--policy'"
	sbx_run --time-limt=5 /bin/true
	err_has "unknown option '--time-limt=5' \(did you mean '--time-limit'\?\)" "--time-limt=5: did you mean '--time-limit'"
	sbx_run --no-such-option /bin/true
	err_has "unknown option '--no-such-option' \(see sbx --help\)" "an option far from any: no suggestion"
	sbx_run --policy pcapp /bin/true
	expect_rc 125 "--policy pcapp: exit status 125"
	err_has "pcapp: no such policy file.*\(did you mean 'pcap'\?\)" "--policy pcapp: did you mean 'pcap'"
	sbx_run --policy base/stdo /bin/true
	err_has "\(did you mean 'base/stdio'\?\)" "--policy base/stdo: did you mean 'base/stdio'"
	sbx_run --policy zzzzzzzz /bin/true
	if grep -q 'did you mean' <<<"$ERR"; then fail "--policy zzzzzzzz: no suggestion" "$(show_run)"; else pass "--policy zzzzzzzz: no suggestion"; fi
}

for_each_mode group_help_version
for_each_mode group_did_you_mean
for_each_mode group_bad_input
for_each_mode group_user_option
for_each_mode group_policy
for_each_mode group_args_and_lookup
for_each_mode group_verbosity
for_each_mode group_same_errors
done_testing
