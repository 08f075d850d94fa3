#!/bin/bash
# SPDX-License-Identifier: MIT
# Granted paths as the caller would use them (docs/sandbox.md, "Granted paths and ids"): as
# root, --ro/--rw and a policy's ro/rw are idmapped, the caller's (root's) files are the
# worker's inside and what the worker creates is root's on the host; ids the map does not name
# stay out of reach; a filesystem that refuses idmapping is bound as before, with a warning.
# Unprivileged with a subordinate range, the kernel cannot idmap: sbx says so.
. "$(dirname "$0")/lib.sh"

owner() { stat -c '%u:%g' "$1" 2>/dev/null; }

# A root-owned 0755 output folder, a root-only input, a file of another host uid.
make_tree() {
	rm -rf "$T/id"
	mkdir -p "$T/id/out"
	chmod 0755 "$T/id" "$T/id/out"
	echo "root only" >"$T/id/in"
	chmod 0600 "$T/id/in"
	echo "theirs" >"$T/id/out/theirs"
	chown 1000:1000 "$T/id/out/theirs"
	chmod 0666 "$T/id/out/theirs"
}

group_root_paths() {
	make_tree
	sbx_run --ro "$T/id/in" --rw "$T/id/out" -- /bin/sh -c "cat $T/id/in; echo made >$T/id/out/new"
	expect_rc 0 "root-owned 0755 --rw folder and 0600 --ro input: the run succeeds"
	out_has '^root only$' "a root-only (0600) input given with --ro is readable inside"
	is "$(cat "$T/id/out/new" 2>/dev/null)" made "the worker writes a file in a root-owned 0755 --rw folder"
	is "$(owner "$T/id/out/new")" 0:0 "what the worker creates there belongs to uid 0 (gid 0) on the host"
	if grep -q 'cannot be idmapped' <<<"$ERR"; then fail "no warning for an idmappable filesystem" "$ERR"; else pass "no warning for an idmappable filesystem"; fi

	sbx_run --rw "$T/id/out" -- /bin/sh -c "echo x >>$T/id/out/theirs"
	if [ "$RC" != 0 ] && [ "$(cat "$T/id/out/theirs")" = theirs ]; then
		pass "a 0666 file of another host uid (1000) in the folder is not writable: the map does not grant it"
	else
		fail "a file of another host uid is not writable" "$(show_run)" "$(cat "$T/id/out/theirs")"
	fi
	sbx_run --rw "$T/id/out" -- /bin/sh -c "rm -f $T/id/out/new; chmod 0777 $T/id/out/theirs"
	if [ "$RC" != 0 ] && [ ! -e "$T/id/out/new" ] && [ "$(stat -c %a "$T/id/out/theirs")" = 666 ]; then
		pass "the caller's own file may be removed; another uid's mode cannot be changed"
	else
		fail "the caller's file removable, another uid's mode unchanged" "$(show_run)" "$(ls -ln "$T/id/out")"
	fi

	# The worker's files are root's on the host: no set-id bit, or any host user could run a
	# set-user-ID-root program the worker left there (sandbox/setid.h).
	make_tree
	sbx_run --rw "$T/id/out" -- /bin/sh -c "cat /usr/bin/id >$T/id/out/x; chmod 4755 $T/id/out/x || echo refused-suid;
		chmod 2755 $T/id/out/x || echo refused-sgid; chmod 0750 $T/id/out/x && echo plain-ok"
	if [ "$(stat -c %a "$T/id/out/x")" = 750 ] && grep -q refused-suid <<<"$OUT" && grep -q refused-sgid <<<"$OUT" &&
		grep -q plain-ok <<<"$OUT"; then
		pass "chmod 4755 and 2755 are refused in an idmapped --rw folder, chmod 0750 is not"
	else
		fail "no set-id bit in an idmapped --rw folder" "$(show_run)" "$(ls -ln "$T/id/out")"
	fi
	sbx_run --no-seccomp --rw "$T/id/out" -- /bin/sh -c "chmod 4755 $T/id/out/x"
	if [ "$RC" != 0 ] && [ "$(stat -c %a "$T/id/out/x")" = 750 ]; then
		pass "the set-id guard holds with --no-seccomp too"
	else
		fail "the set-id guard holds with --no-seccomp" "$(show_run)" "$(ls -ln "$T/id/out")"
	fi
	if [ -x /usr/bin/python3 ]; then
		# Created with set-id bits and written through a shared mapping (which need not clear
		# them), with every route the kernel has to a file's mode, under --no-seccomp too.
		local py="import ctypes, errno, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
def tried(name, f):
    try:
        f(); print(name, 'allowed')
    except OSError as e:
        print(name, errno.errorcode[e.errno])
def mapped():
    fd = os.open('$T/id/out/y', os.O_CREAT | os.O_RDWR, 0o6755)
    os.ftruncate(fd, 4096); m = mmap.mmap(fd, 4096); m[:4] = b'data'; m.close(); os.close(fd)
tried('open', mapped)
tried('openat-tmpfile', lambda: os.open('$T/id/out', os.O_TMPFILE | os.O_RDWR, 0o4755))
tried('mknod', lambda: os.mknod('$T/id/out/z', 0o100000 | 0o4755))
def openat2():
    if libc.syscall(437, -100, b'$T/id/out/w', b'\\0' * 24, 24) < 0:
        raise OSError(ctypes.get_errno(), 'openat2')
tried('openat2', openat2)
def uring():
    if libc.syscall(425, 1, ctypes.create_string_buffer(120)) < 0:
        raise OSError(ctypes.get_errno(), 'io_uring_setup')
tried('io_uring_setup', uring)"
		for mode in "" --no-seccomp; do
			sbx_run $mode --rw "$T/id/out" -- /usr/bin/python3 -c "$py"
			if grep -qx "open EPERM" <<<"$OUT" && grep -qx "openat-tmpfile EPERM" <<<"$OUT" &&
				grep -qx "mknod EPERM" <<<"$OUT" && grep -qx "openat2 ENOSYS" <<<"$OUT" &&
				! grep -q allowed <<<"$OUT" && [ ! -e "$T/id/out/y" ] && [ ! -e "$T/id/out/z" ] &&
				[ -z "$(find "$T/id/out" -perm /6000)" ]; then
				pass "${mode:-the policy}: no file is created with a set-id bit (open, O_TMPFILE, mknod refused; openat2, io_uring hidden)"
			else
				fail "${mode:-the policy}: no file created with a set-id bit" "$(show_run)" "$(ls -ln "$T/id/out")"
			fi
		done
	fi

	# A tree holding a set-id program (the worker, owning the caller's files, could rewrite it
	# through a shared mapping and keep the bit) or a sticky world-writable folder is not
	# idmapped: bound as before, with a warning naming what it holds.
	make_tree
	cp /usr/bin/true "$T/id/out/suid" && chmod 4755 "$T/id/out/suid"
	sbx_run --rw "$T/id/out" -- /bin/sh -c "echo x >>$T/id/out/suid; echo made >$T/id/out/new"
	if grep -q "not shown as yours, since it holds $T/id/out/suid: a set-user-ID or set-group-ID file" <<<"$ERR" &&
		cmp -s /usr/bin/true "$T/id/out/suid" && [ "$(stat -c %a "$T/id/out/suid")" = 4755 ] && [ ! -e "$T/id/out/new" ]; then
		pass "a --rw tree holding a set-uid program is not idmapped: the program stays untouched"
	else
		fail "a --rw tree holding a set-uid program is not idmapped" "$(show_run)" "$(ls -ln "$T/id/out")"
	fi
	# The same on a mount below the --rw folder: the idmapped bind is recursive, so the scan
	# goes into submounts too.
	make_tree
	mkdir "$T/id/out/sub"
	if mount -t tmpfs -o size=4m,mode=0755 none "$T/id/out/sub"; then
		cp /usr/bin/true "$T/id/out/sub/suid" && chmod 4755 "$T/id/out/sub/suid"
		sbx_run --rw "$T/id/out" -- /bin/sh -c "echo x >>$T/id/out/sub/suid"
		if grep -q "since it holds $T/id/out/sub/suid: a set-user-ID or set-group-ID file" <<<"$ERR" &&
			cmp -s /usr/bin/true "$T/id/out/sub/suid" && [ "$(stat -c %a "$T/id/out/sub/suid")" = 4755 ]; then
			pass "a set-uid program on a mount below a --rw folder: not idmapped, untouched"
		else
			fail "a set-uid program on a mount below a --rw folder: not idmapped, untouched" "$(show_run)" \
				"$(ls -ln "$T/id/out/sub")"
		fi
		umount "$T/id/out/sub"
	else
		skip "a set-uid program on a mount below a --rw folder" "cannot mount a tmpfs here"
	fi
	make_tree
	mkdir "$T/id/out/shared" && chmod 1777 "$T/id/out/shared"
	sbx_run --rw "$T/id/out" -- /bin/sh -c "ln -s /etc/shadow $T/id/out/shared/link"
	if grep -q "it holds $T/id/out/shared: a sticky folder every user may write in" <<<"$ERR" &&
		[ "$(stat -c %u "$T/id/out/shared/link" 2>/dev/null)" != 0 ]; then
		pass "a --rw tree holding a sticky world-writable folder is not idmapped: no root-owned link there"
	else
		fail "a --rw tree holding a sticky world-writable folder is not idmapped" "$(show_run)" "$(ls -lnR "$T/id/out")"
	fi

	# Another worker uid, and a policy's rw path: the same.
	make_tree
	sbx_run --user 4321:4321 --rw "$T/id/out" -- /bin/sh -c "id -u; echo made >$T/id/out/new"
	if [ "$RC" = 0 ] && [ "$OUT" = 4321 ] && [ "$(owner "$T/id/out/new")" = 0:0 ]; then
		pass "--user 4321: the worker (uid 4321) writes in the root-owned folder, the file is root's"
	else
		fail "--user 4321: the file is root's" "$(show_run)" "$(owner "$T/id/out/new")"
	fi
	printf 'include default\nro %s\nrw %s\n' "$T/id/in" "$T/id/out" >"$T/id.policy"
	make_tree
	sbx_run --policy "$T/id.policy" -- /bin/sh -c "cat $T/id/in && echo made >$T/id/out/new"
	if [ "$RC" = 0 ] && [ "$OUT" = "root only" ] && [ "$(owner "$T/id/out/new")" = 0:0 ]; then
		pass "a policy's ro and rw paths: the same as --ro and --rw"
	else
		fail "a policy's ro and rw paths are idmapped" "$(show_run)" "$(owner "$T/id/out/new")"
	fi
}

# The README's own example, as written but for the folder (a generated PDF, root-only).
group_root_readme() {
	if ! command -v pdftotext >/dev/null; then
		skip "the README's --rw example" "pdftotext is not installed"
		return
	fi
	mkdir -p "$T/srv/out"
	chmod 0755 "$T/srv" "$T/srv/out"
	python3 -c "import sys; sys.path.insert(0, '$SBX_SRCDIR/tests'); import parser_docs as p
open('$T/srv/in.pdf', 'wb').write(p.pdf_documents()['valid.pdf'])" || bail_out "generating a PDF"
	chmod 0600 "$T/srv/in.pdf"
	sbx_run --ro "$T/srv/in.pdf" --rw "$T/srv/out" -- pdftotext "$T/srv/in.pdf" "$T/srv/out/in.txt"
	if [ "$RC" = 0 ] && grep -q 'Hello, sandboxed world' "$T/srv/out/in.txt" 2>/dev/null &&
		[ "$(owner "$T/srv/out/in.txt")" = 0:0 ]; then
		pass "README: sbx --ro /srv/in.pdf --rw /srv/out -- pdftotext ... works as root, in.txt is root's"
	else
		fail "README: the --rw example works as root" "$(show_run)" "$(ls -ln "$T/srv/out")"
	fi
}

# FSTYPE: mounted at $T/fs (root-owned 0755, a root-owned subfolder 0777 for the fallback).
mount_fs() {
	mkdir -p "$T/fs"
	mount -t "$1" "$1" "$T/fs" 2>/dev/null || return 1
	at_exit "umount -l '$T/fs'"
	chmod 0755 "$T/fs"
	mkdir "$T/fs/open" && chmod 0777 "$T/fs/open"
}

group_root_filesystems() {
	if mount_fs tmpfs; then
		sbx_run --rw "$T/fs" -- /bin/sh -c "echo made >$T/fs/new"
		if grep -q 'cannot be idmapped' <<<"$ERR"; then
			skip "tmpfs is idmapped" "this kernel cannot idmap tmpfs (Linux 6.3 can)"
		elif [ "$RC" = 0 ] && [ "$(owner "$T/fs/new")" = 0:0 ]; then
			pass "tmpfs: idmapped, the worker's file is root's"
		else
			fail "tmpfs: idmapped" "$(show_run)" "$(ls -ln "$T/fs")"
		fi
		umount -l "$T/fs"
	else
		skip "tmpfs is idmapped" "cannot mount a tmpfs here"
	fi
	# ramfs has no idmapping support: bound as before (the worker's own uid), with a warning.
	if mount_fs ramfs; then
		sbx_run --rw "$T/fs" -- /bin/sh -c "echo made >$T/fs/open/new; echo made >$T/fs/new"
		if [ "$RC" != 0 ] && [ "$(owner "$T/fs/open/new")" = 65534:65534 ] && [ ! -e "$T/fs/new" ]; then
			pass "ramfs (no idmapping): bound as before, the worker writes as uid 65534 where that uid may"
		else
			fail "ramfs: bound as before" "$(show_run)" "$(ls -lnR "$T/fs")"
		fi
		err_has "warning: rw $T/fs: its filesystem cannot be idmapped: the worker uses it as uid 65534" \
			"ramfs: a warning names the path and the worker's uid"
		umount -l "$T/fs"
	else
		skip "ramfs is bound as before" "cannot mount a ramfs here"
	fi
}

# Unprivileged: the worker is the caller's uid; with a subordinate range it is not, and the
# kernel idmaps host mounts only for root.
group_unpriv() {
	mkdir -p "$T/u/out"
	chown 65534:65534 "$T/u/out"
	sbx_run --rw "$T/u/out" -- /bin/sh -c "echo made >$T/u/out/new"
	if [ "$RC" = 0 ] && [ "$(owner "$T/u/out/new")" = 65534:65534 ] && ! grep -q warning <<<"$ERR"; then
		pass "unprivileged, no range: the worker is the caller, nothing to map, no warning"
	else
		fail "unprivileged, no range: the worker is the caller" "$(show_run)"
	fi
	# No idmap, but the worker's files are the caller's on the host all the same: a set-uid
	# program it left there would run as the caller for any user who can reach the folder.
	sbx_run --rw "$T/u/out" -- /bin/sh -c "chmod 4755 $T/u/out/new || echo refused; chmod 2755 $T/u/out/new || echo refused"
	if [ "$(grep -c refused <<<"$OUT")" = 2 ] && [ -z "$(find "$T/u/out" -perm /6000)" ]; then
		pass "unprivileged --rw: no set-id bit on the caller's files either"
	else
		fail "unprivileged --rw: no set-id bit on the caller's files" "$(show_run)" "$(ls -ln "$T/u/out")"
	fi
	cp -a /etc/subuid "$T/subuid.bak" 2>/dev/null || : >"$T/subuid.bak"
	cp -a /etc/subgid "$T/subgid.bak" 2>/dev/null || : >"$T/subgid.bak"
	at_exit 'cat "$T/subuid.bak" >/etc/subuid; cat "$T/subgid.bak" >/etc/subgid'
	echo "nobody:310000:16" >>/etc/subuid
	echo "nobody:310000:16" >>/etc/subgid
	mkdir -p "$T/xdg" && chown 65534:65534 "$T/xdg" && chmod 0700 "$T/xdg"
	local saved=("${RUNAS[@]}")
	RUNAS+=(env "XDG_RUNTIME_DIR=$T/xdg")
	sbx_run --id-range 310000:310000:16 --rw "$T/u/out" -- /bin/sh -c "echo made >$T/u/out/ranged"
	RUNAS=("${saved[@]}")
	err_has "warning: rw $T/u/out: the worker runs as uid 3100[0-9]+ of your subordinate range, not as you \(uid 65534\), and only root may idmap a path" \
		"unprivileged --id-range with --rw: says that only root may idmap the path"
	if command -v newuidmap >/dev/null; then
		if [ "$RC" != 0 ] && [ ! -e "$T/u/out/ranged" ]; then
			pass "unprivileged --id-range: the worker indeed cannot write in the caller's 0755 folder"
		else
			fail "unprivileged --id-range: the worker cannot write in the caller's folder" "$(show_run)"
		fi
	else
		skip "unprivileged --id-range: the worker cannot write" "newuidmap is not installed"
	fi
}

# The set-id scan's verdict is kept a moment (2 s) for the launches of a batch that follow it,
# and no longer: a set-uid program put into the --rw tree while a batch runs is seen by the first
# job that starts after that, whether it starts cold, on a ready worker (--no-zygote, made
# ahead) or on the batch's zygote (whose root was built with the tree idmapped). One job at a
# time: job 1 is idmapped and writes as root; job 2 waits while the program is added; job 3,
# more than 2 s after job 1's scan, is not idmapped and cannot write in root's folder.
group_root_scan_kept() {
	local z
	for z in --no-zygote ""; do
		make_tree
		printf '1\n2\n3\n' >"$T/id.list"
		local script="case \$0 in 1) echo made >$T/id/out/new1 ;; 2) sleep 3 ;; 3) echo made >$T/id/out/new3 ;; esac"
		(cd "$T/cwd" && exec "$S" --each "$T/id.list" -j 1 $z --rw "$T/id/out" -- /bin/sh -c "$script" {}) \
			>"$T/scan.out" 2>"$T/scan.err" &
		local pid=$!
		if wait_until 10 test -e "$T/id/out/new1"; then
			cp /usr/bin/true "$T/id/out/suid" && chmod 4755 "$T/id/out/suid"
		fi
		wait "$pid"
		local rc=$?
		if [ "$(owner "$T/id/out/new1")" = 0:0 ] && [ ! -e "$T/id/out/new3" ] &&
			grep -q "since it holds $T/id/out/suid: a set-user-ID" "$T/scan.err"; then
			pass "${z:---each on its zygote}: a set-uid program added to a --rw tree during a batch is seen by the next scan"
		else
			fail "${z:---each on its zygote}: a set-uid program added to a --rw tree during a batch is seen" "rc $rc" \
				"$(cat "$T/scan.err")" "$(ls -ln "$T/id/out")"
		fi
	done
}

only_root group_root_paths
only_root group_root_scan_kept
only_root group_root_readme
only_root group_root_filesystems
if [ "$IS_ROOT" -eq 1 ] && [ -z "$UNPRIV_REASON" ]; then
	_set_mode user
	group_unpriv
	MODE=
else
	skip "group_unpriv" "needs root to set up a subordinate range for 65534${UNPRIV_REASON:+ ($UNPRIV_REASON)}"
fi
done_testing
