/* SPDX-License-Identifier: MIT */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#include "common/util.h"

int sbx_userns_write_maps(pid_t pid, uid_t uid, gid_t gid, bool privileged, const char **what)
{
	char dir[64], line[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*what = dir;
		return -errno;
	}
	int r;
	if (!privileged) {
		*what = "setgroups";
		if ((r = sbx_write_file_at(dfd, "setgroups", "deny")) < 0)
			return r;
	}
	*what = "uid_map";
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if ((r = sbx_write_file_at(dfd, "uid_map", line)) < 0)
		return r;
	*what = "gid_map";
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if ((r = sbx_write_file_at(dfd, "gid_map", line)) < 0)
		return r;
	return 0;
}

int sbx_userns_limit_nested(unsigned n)
{
	/* Limits are per user namespace and checked up the chain: 0 in ours refuses any child. Only
	 * a process with CAP_SYS_RESOURCE in our namespace can raise it again; the worker has none. */
	char text[16];
	snprintf(text, sizeof(text), "%u", n);
	return sbx_write_file_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", text);
}

int sbx_userns_forbid_nested(void)
{
	return sbx_userns_limit_nested(0);
}

int sbx_userns_become(uid_t uid, gid_t gid, bool drop_groups)
{
	if (drop_groups && setgroups(0, NULL) < 0)
		return -errno;
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}
