#!/bin/bash
# SPDX-License-Identifier: MIT
# Per-worker host ids from a subordinate range: two sbx runs at once never share a host uid,
# as root (maps written by sbx) and unprivileged (newuidmap/newgidmap and /etc/subuid).
. "$(dirname "$0")/lib.sh"

# two_at_once ARGS...: start two sandboxes that overlap in time; each prints its uid.
two_at_once() {
	(cd "$T/cwd" && exec "${RUNAS[@]}" "$S" "$@" /bin/sh -c 'id -u; sleep 1') >"$T/a.out" 2>"$T/a.err" &
	local a=$!
	sleep 0.3
	(cd "$T/cwd" && exec "${RUNAS[@]}" "$S" "$@" /bin/sh -c 'id -u; id -G') >"$T/b.out" 2>"$T/b.err"
	RC=$?
	wait "$a"
	U1=$(head -1 "$T/a.out")
	U2=$(head -1 "$T/b.out")
	G2=$(sed -n 2p "$T/b.out")
}

group_root_range() {
	two_at_once --id-range 231072:231072:16
	if [ "$RC" = 0 ] && [ -n "$U1" ] && [ "$U1" != "$U2" ] && [ "$U1" -ge 231072 ] && [ "$U2" -lt 231088 ]; then
		pass "--id-range as root: two runs at once get two host uids from the range ($U1, $U2)"
	else
		fail "--id-range as root: two runs at once get two host uids" "$U1 $U2" "$(cat "$T/a.err" "$T/b.err")"
	fi
	if [ -z "$(ls /run/sbx/ids 2>/dev/null)" ]; then
		pass "--id-range: no lock file is left behind"
	else
		fail "--id-range: no lock file is left behind" "$(ls -la /run/sbx/ids)"
	fi
	sbx_run --id-range 0:0:1 /bin/true
	expect_rc 125 "--id-range starting at 0 is refused"
}

group_unpriv_subid() {
	if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
		skip "--subid through newuidmap" "newuidmap/newgidmap are not installed (package uidmap)"
		return
	fi
	# A range for 65534, for this test only.
	cp -a /etc/subuid "$T/subuid.bak" 2>/dev/null || : >"$T/subuid.bak"
	cp -a /etc/subgid "$T/subgid.bak" 2>/dev/null || : >"$T/subgid.bak"
	at_exit 'cat "$T/subuid.bak" >/etc/subuid; cat "$T/subgid.bak" >/etc/subgid'
	echo "nobody:300000:16" >>/etc/subuid
	echo "nobody:300000:16" >>/etc/subgid
	mkdir -p "$T/xdg" && chown 65534:65534 "$T/xdg" && chmod 0700 "$T/xdg"
	RUNAS+=(env "XDG_RUNTIME_DIR=$T/xdg")
	two_at_once --subid nobody
	if [ "$RC" = 0 ] && [ -n "$U1" ] && [ "$U1" != "$U2" ] && [ "$U1" -ge 300000 ] && [ "$U2" -lt 300016 ]; then
		pass "--subid unprivileged: newuidmap gives two runs at once two uids of the range ($U1, $U2)"
	else
		fail "--subid unprivileged: two runs at once get two uids of the range" "$U1 $U2" "$(cat "$T/a.err" "$T/b.err")"
	fi
	if [ "$G2" = "$U2" ]; then
		pass "--subid unprivileged: supplementary groups dropped (groups: $G2)"
	else
		fail "--subid unprivileged: supplementary groups dropped" "groups: $G2"
	fi
	two_at_once --subid self
	if [ "$RC" = 0 ] && [ "$U1" -ge 300000 ] && [ "$U2" -lt 300016 ] && [ "$U1" != "$U2" ]; then
		pass "--subid self: the caller's own range ($U1, $U2)"
	else
		fail "--subid self: the caller's own range" "$U1 $U2" "$(cat "$T/a.err" "$T/b.err")"
	fi
	sbx_run --subid nosuchuser /bin/true
	expect_rc 125 "--subid of a name without a range: exit 125"
	err_has 'no range' "--subid of a name without a range: says so"
}

only_root group_root_range
if [ "$IS_ROOT" -eq 1 ] && [ -z "$UNPRIV_REASON" ]; then
	_set_mode user
	group_unpriv_subid
	MODE=
else
	skip "group_unpriv_subid" "needs root to set up a subordinate range for 65534${UNPRIV_REASON:+ ($UNPRIV_REASON)}"
fi
done_testing
