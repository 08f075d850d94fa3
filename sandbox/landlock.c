/* SPDX-License-Identifier: MIT */
#include "landlock.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Our own copies: Debian 12's headers stop at ABI 2. */
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1)        /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER (1ULL << 13)             /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)          /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)         /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)          /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)   /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int sbx_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static uint64_t fs_handled(int abi)
{
	uint64_t m = LL_FS_ABI1;
	if (abi >= 2)
		m |= LL_FS_REFER;
	if (abi >= 3)
		m |= LL_FS_TRUNCATE;
	if (abi >= 5)
		m |= LL_FS_IOCTL_DEV;
	return m;
}

static uint64_t rights(enum sbx_ll_class cls, int abi, bool is_dir)
{
	uint64_t all = fs_handled(abi);
	uint64_t file_rights = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE |
			       (abi >= 3 ? LL_FS_TRUNCATE : 0) | (abi >= 5 ? LL_FS_IOCTL_DEV : 0);
	uint64_t r;
	switch (cls) {
	case SBX_LL_RO: r = LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE; break;
	case SBX_LL_RW: r = all; break;
	case SBX_LL_DEV: r = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR | (abi >= 5 ? LL_FS_IOCTL_DEV : 0) |
			     (abi >= 3 ? LL_FS_TRUNCATE : 0); break;
	case SBX_LL_PROC: r = LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE_FILE; break;
	case SBX_LL_READ: r = LL_FS_READ_FILE | (abi >= 5 ? LL_FS_IOCTL_DEV : 0); break;
	case SBX_LL_WRITE: r = LL_FS_WRITE_FILE | (abi >= 3 ? LL_FS_TRUNCATE : 0) | (abi >= 5 ? LL_FS_IOCTL_DEV : 0); break;
	case SBX_LL_RDWR: r = LL_FS_READ_FILE | LL_FS_WRITE_FILE | (abi >= 3 ? LL_FS_TRUNCATE : 0) |
			      (abi >= 5 ? LL_FS_IOCTL_DEV : 0); break;
	case SBX_LL_EXEC: r = LL_FS_READ_FILE | LL_FS_EXECUTE; break;
	default: r = 0;
	}
	r &= all;
	/* A rule on a file may only carry file rights. */
	return is_dir ? r : (r & file_rights);
}

int sbx_landlock_apply(const struct sbx_ll_plan *plan)
{
	int abi = sbx_landlock_abi();
	if (abi <= 0)
		return 0;
	struct ll_ruleset_attr attr = { .handled_access_fs = fs_handled(abi) };
	size_t size = sizeof(uint64_t);
	if (abi >= 4) {
		/* No TCP at all: the sandbox's network namespace is empty anyway; sockets it was
		 * given were connected or bound by the broker. */
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = 3 * sizeof(uint64_t);
	}
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0)
		return -errno;
	int r = 0;
	for (size_t i = 0; i < plan->n && r == 0; i++) {
		const struct sbx_ll_rule *rule = &plan->rules[i];
		int fd = rule->fd;
		bool opened = false;
		if (rule->path) {
			fd = open(rule->path, O_PATH | O_CLOEXEC);
			if (fd < 0) {
				if (errno == ENOENT)
					continue; /* an optional part of the tree that is not there */
				r = -errno;
				break;
			}
			opened = true;
		}
		enum sbx_ll_class cls = rule->cls;
		if (cls == SBX_LL_AS_FD) {
			int fl = fcntl(fd, F_GETFL);
			int acc = fl < 0 ? O_RDONLY : (fl & O_ACCMODE);
			cls = acc == O_RDWR ? SBX_LL_RDWR : acc == O_WRONLY ? SBX_LL_WRITE : SBX_LL_READ;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			r = -errno;
		} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			/* Pipes and sockets have no place in the tree: Landlock does not judge them. */
			struct ll_path_beneath_attr pb = { .allowed_access = rights(cls, abi, S_ISDIR(st.st_mode)),
							   .parent_fd = fd };
			if (pb.allowed_access &&
			    syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
				r = -errno;
		}
		if (opened)
			close(fd);
	}
	if (r == 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		r = -errno;
	close(rs);
	return r < 0 ? r : abi;
}
