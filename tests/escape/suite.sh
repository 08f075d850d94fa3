# SPDX-License-Identifier: MIT
# The escape suite's frame (sourced by tests/test-escape.sh after lib.sh): the modes every
# attack runs under, how a run is judged, and the table of results docs/security.md shows.
#
# A mode is one row: a name (the table's column), the policy it runs (what the probes' rows say
# is allowed or killed refers to it; "none" without the filter) and the sbx options that make
# it. Adding a way to run (say `--fallback`, under the default policy) is one more row here:
#   "fallback|default|--fallback"
# every attack then runs under it too and the table grows a column (scripts/escape-table).
# zygote-job: the job of a one-line `--each`, which starts from the batch's zygote (docs/sandbox.md,
# "Zygote"): its init was cloned from the zygote's, on the zygote's root.
# ready-worker: the same without the zygote, on a worker made ready ahead of it (docs/sandbox.md,
# "Ready workers"): the program's process waited under its filter for the job.
ESC_ONE_JOB=$T/escape-one-job
echo job >"$ESC_ONE_JOB"
chmod 0644 "$ESC_ONE_JOB"
ESCAPE_MODES=(
	"default|default|"
	"default.policy|default|--policy default"
	"pcap|pcap|--policy pcap"
	"pdftotext|pdftotext|--policy pdftotext"
	"xmllint|xmllint|--policy xmllint"
	"tcpdump|tcpdump|--policy tcpdump"
	"no-seccomp|none|--no-seccomp"
	"fallback|default|--fallback"
	"ready-worker|default|--each $ESC_ONE_JOB --no-zygote -j 1"
	"zygote-job|default|--each $ESC_ONE_JOB"
)

# Outcomes, as the table shows them:
#   killed   the seccomp filter stopped the program at the call (exit 159)
#   refused  the call failed, or found nothing (namespaces, capabilities, mounts, Landlock)
#   allowed  the attempt succeeded: only where the probe's row says it may (e.g. io_uring without
#            the filter), never a way out; anywhere else the test point fails
ESC_RESULTS=$T/escape-results
: >"$ESC_RESULTS"
ESC_IDS=()
declare -A ESC_AREA ESC_WHAT ESC_ALLOW ESC_KILL ESC_TODO

# esc_probe ID AREA WHAT [POLICIES-WHERE-ALLOWED [POLICIES-WHERE-KILLED]]: declare a probe (the
# table's rows, in order). Under POLICIES-WHERE-KILLED only the filter's kill (159) will do.
esc_probe() {
	ESC_IDS+=("$1")
	ESC_AREA[$1]=$2
	ESC_WHAT[$1]=$3
	ESC_ALLOW[$1]=" ${4:-} "
	ESC_KILL[$1]=" ${5:-} "
}

# esc_todo ID POLICY REASON: a known hole, reported as TODO (docs/security.md says so too).
esc_todo() {
	ESC_TODO[$1:$2]=$3
}

# esc_each FUNC [ARGS...]: FUNC once per mode, with ESC_MODE, ESC_POLICY and ESC_OPTS set.
esc_each() {
	local row opts
	for row in "${ESCAPE_MODES[@]}"; do
		IFS='|' read -r ESC_MODE ESC_POLICY opts <<<"$row"
		read -r -a ESC_OPTS <<<"$opts"
		"$@"
	done
}

# esc_run [SBX OPTIONS...] -- PROGRAM [ARG...]: sbx under the current mode.
esc_run() {
	sbx_run "${ESC_OPTS[@]}" "$@"
}

# The outcome of the last run (RC, OUT). A probe check says HELD (exit 0) or BROKEN (exit 1); an
# action (read, write) exits 0 when it succeeded and 1 when it failed.
esc_outcome() {
	case "$RC" in
	159) echo killed ;;
	0) if grep -q ': HELD$' <<<"$OUT"; then echo refused; else echo allowed; fi ;;
	1) if grep -q ': BROKEN' <<<"$OUT"; then echo allowed; else echo refused; fi ;;
	*) echo error ;;
	esac
}

# esc_judge ID [HOST-VERDICT]: judge the last run from inside, and from the host when the caller
# looked (HOST-VERDICT empty: nothing happened there; else what did). Records the outcome.
esc_judge() {
	local id=$1 host=${2-} out label
	out=$(esc_outcome)
	label="[$ESC_MODE] $id: ${ESC_WHAT[$id]}"
	case "$out" in
	error)
		fail "$label: the probe ran to a verdict" "$(show_run)"
		;;
	allowed)
		if [[ "${ESC_ALLOW[$id]}" == *" $ESC_POLICY "* ]]; then
			pass "$label: allowed by the $ESC_POLICY policy, as documented"
		elif [ -n "${ESC_TODO[$id:$ESC_POLICY]:-}" ]; then
			todo_fail "$label: fails" "${ESC_TODO[$id:$ESC_POLICY]}" "$(show_run)"
			out="allowed (TODO)"
		else
			fail "$label: fails" "$(show_run)"
		fi
		;;
	refused)
		if [[ "${ESC_KILL[$id]}" == *" $ESC_POLICY "* ]]; then
			fail "$label: is killed (159)" "$(show_run)"
		else
			pass "$label: fails ($out)"
		fi
		;;
	*)
		pass "$label: fails ($out)"
		;;
	esac
	if [ $# -ge 2 ]; then
		if [ -z "$host" ]; then
			pass "$label: from the host, nothing happened"
		else
			fail "$label: from the host, nothing happened" "$host" "$(show_run)"
			out=ESCAPED
		fi
	fi
	printf '%s|%s|%s|%s\n' "$id" "$ESC_MODE" "$MODE" "$out" >>"$ESC_RESULTS"
}

# esc_control ID CMD...: outside any sandbox the attack works (the probe can see success), so the
# test inside can fail. Skips with the probe's words when it cannot work here.
esc_control() {
	local id=$1
	shift
	run_plain "$@"
	ESC_MODE=outside
	if [ "$(esc_outcome)" = allowed ]; then
		pass "control: $id works outside a sandbox"
	else
		skip "control: $id works outside a sandbox" \
			"not here: $(grep -v '^calling ' <<<"$OUT$ERR" | tail -1)"
	fi
}

# esc_table FILE: the markdown table of the results: a row per probe, a column per mode; a cell
# shows one outcome, or ROOT/UNPRIVILEGED when the two halves differ.
esc_table() {
	local id row mode cells cell r u line
	{
		line="| area | probe | what |"
		for row in "${ESCAPE_MODES[@]}"; do line+=" ${row%%|*} |"; done
		echo "$line"
		line="| --- | --- | --- |"
		for row in "${ESCAPE_MODES[@]}"; do line+=" --- |"; done
		echo "$line"
		for id in "${ESC_IDS[@]}"; do
			cells=""
			for row in "${ESCAPE_MODES[@]}"; do
				mode=${row%%|*}
				r=$(awk -F'|' -v i="$id" -v m="$mode" '$1 == i && $2 == m && $3 != "user" { print $4; exit }' "$ESC_RESULTS")
				u=$(awk -F'|' -v i="$id" -v m="$mode" '$1 == i && $2 == m && $3 == "user" { print $4; exit }' "$ESC_RESULTS")
				if [ -z "$r$u" ]; then
					cell="-"
				elif [ -z "$r" ] || [ -z "$u" ] || [ "$r" = "$u" ]; then
					cell=${r:-$u}
				else
					cell="$r/$u"
				fi
				cells+=" $cell |"
			done
			echo "| ${ESC_AREA[$id]} | \`$id\` | ${ESC_WHAT[$id]} |$cells"
		done
	} >"$1"
}

# esc_check_doc: the table in docs/security.md (between the escape-table markers) is the one
# this run produced. Only a run that had both halves (root and uid 65534) decides.
esc_check_doc() {
	local doc=$SBX_SRCDIR/docs/security.md table=$T/escape-table.md
	esc_table "$table"
	if [ -n "${ESCAPE_TABLE:-}" ]; then
		cp "$table" "$ESCAPE_TABLE" 2>/dev/null && diag "results table: $ESCAPE_TABLE"
	fi
	if [ "$IS_ROOT" -eq 0 ] || [ -n "$UNPRIV_REASON" ]; then
		skip "docs/security.md shows this run's table" "the table is made by a run as root and as uid $UNPRIV_UID"
		return
	fi
	if diff -u <(sed -n '/<!-- escape-table begin -->/,/<!-- escape-table end -->/p' "$doc" |
		sed '1d;$d') "$table" >"$T/table.diff"; then
		pass "docs/security.md shows this run's table"
	else
		fail "docs/security.md shows this run's table (scripts/escape-table updates it)" "$(cat "$T/table.diff")"
	fi
}
