/* SPDX-License-Identifier: MIT */
/* The worker's filesystem: a fresh tmpfs root holding read-only binds of what programs need,
 * a fresh /proc, a minimal /dev and a small /tmp, entered with pivot_root. The broker writes
 * the plan (sbx_mount_plan); the child applies it in two phases, sbx_mount_open_sources() and
 * sbx_mount_build_root(), with the read-only reopens (sbx_mount_reopen_ro()) in between. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_MOUNT_MAX 128

enum sbx_mount_op {
	SBX_MNT_DIR,      /* an empty directory */
	SBX_MNT_BIND_RO,  /* host `source` at `path`, recursive, read-only, nosuid, nodev */
	SBX_MNT_BIND_RW,  /* the same, writable */
	SBX_MNT_DEV,      /* a host device node at `path` (bind without nodev) */
	SBX_MNT_TMPFS,    /* tmpfs of `size` bytes and `mode`, nosuid, nodev (noexec when asked) */
	SBX_MNT_PROC,     /* proc of the new pid namespace, nosuid, nodev, noexec */
	SBX_MNT_SYMLINK,  /* a symlink at `path` pointing to `source` */
	SBX_MNT_FILE,     /* a file at `path` holding the text `source` (mode 0644) */
};

struct sbx_mount_entry {
	enum sbx_mount_op op;
	const char *path;     /* absolute path inside */
	const char *source;   /* host path, symlink target or file text */
	uint64_t size;        /* tmpfs */
	unsigned mode;        /* tmpfs */
	bool optional;        /* skip quietly when the host source does not exist */
	bool noexec;          /* tmpfs: nothing on it can be executed or mapped executable */
	int tree;             /* BIND_RO/RW: a detached tree the broker prepared (idmapped, with
	                         its attributes: broker/idmap.h), moved into place as it is
	                         instead of cloning `source`; -1: none */
};

struct sbx_mount_plan {
	const struct sbx_mount_entry *entries;
	size_t n;
};

struct sbx_mount_sources {
	int fds[SBX_MOUNT_MAX];     /* detached clones of the bind sources, -1 where none */
	bool is_dir[SBX_MOUNT_MAX];
};

/* Child side, at SBX_STEP_FIXED_FDS before the fd slots move (their targets may be the
 * broker's numbers of the prepared trees): every source to -1 but the trees the broker
 * prepared (entry.tree), which are duplicated to numbers at or above `above` (close-on-exec;
 * closed with the other sources). Returns 0 or -errno. */
int sbx_mount_take_trees(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src, int above);

/* Child side, phase 1, as the caller's host identity (so sources resolve with its access):
 * make every mount private and clone each bind source with its final attributes (the trees
 * taken by sbx_mount_take_trees() are used as they are).
 * Phase 2, after taking on the worker's uid (files in the new root must belong to a mapped
 * uid): build the new root from the plan and pivot into it; closes the sources.
 * Both return 0 or -errno and describe the failing entry in detail. */
int sbx_mount_open_sources(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src,
			   char *detail, size_t detail_len);
int sbx_mount_build_root(const struct sbx_mount_plan *plan, struct sbx_mount_sources *src,
			 char *detail, size_t detail_len);
void sbx_mount_sources_close(struct sbx_mount_sources *src);

/* A zygote's job, in its own mount namespace (a copy of the zygote's root): a new tmpfs on
 * every tmpfs of the plan and a new proc on its /proc (of the job's own pid namespace), so that
 * nothing written there is shared with the zygote or another job. Returns 0 or -errno and
 * names the mount in detail. */
int sbx_mount_job_fresh(const struct sbx_mount_plan *plan, char *detail, size_t detail_len);

/* Child side, before the pivot: replace the fd at number `fd` by the same file (checked: same
 * device and inode) opened through a private read-only clone of its mount (recursive, so that
 * mounts below a directory stay covered). The clone is detached: ".." at its root goes nowhere.
 * A worker that reopens it through /proc/self/fd/N or /proc/self/exe then gets EROFS for
 * writing, even when the file is its own by uid, as an unprivileged caller's files are. flags:
 * open flags (O_PATH, O_RDONLY, O_PATH | O_DIRECTORY, optionally SBX_REOPEN_WRITABLE). Returns 0
 * or -errno (-ESTALE when path no longer is that file). */
int sbx_mount_reopen_ro(const char *path, int fd, int flags);

/* In flags for sbx_mount_reopen_ro: keep the clone writable (a directory grant with write
 * access still goes through a clone, which confines ".." to it). Not an O_* bit we use. */
#define SBX_REOPEN_WRITABLE 0x40000000
