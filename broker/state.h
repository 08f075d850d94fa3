/* SPDX-License-Identifier: MIT */
/* The state directory: one small file per running sandbox, for `sbx ps` and for monitors that
 * want to know which namespaces are sbx's (docs/ids.md). The directory is the caller's own:
 * /run/sbx as root, $XDG_RUNTIME_DIR/sbx when that directory is the caller's, else
 * /run/user/UID/sbx when that one is, else none (no entry is written); always a real directory
 * (no symlink), owned by the caller, mode 0700.
 *
 * An entry is written under a temporary name, locked with flock(LOCK_EX) and renamed into
 * place; the broker holds the lock as long as it lives. The broker removes the entry when the
 * sandbox ends; an entry whose lock is free belongs to a broker that died (SIGKILL), and the
 * next spawn or `sbx ps` removes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A worker's entry; zeroed: none. */
struct sbx_state_entry {
	bool active;
	int dir;           /* the state directory */
	int fd;            /* the entry, locked */
	char name[32];
};

/* Open the caller's state directory (created if missing and create), checked as above. path
 * receives its name. Returns an O_DIRECTORY fd or a negative errno (-ENOENT: none yet;
 * -EPERM: it exists but is not safe to use). */
int sbx_state_dir_open(char *path, size_t len, bool create);

/* Remove the entries whose broker is gone. */
void sbx_state_collect(int dir);

/* The same in the caller's state directory, if it exists. */
void sbx_state_collect_own(void);

/* Add the entry NAME holding text, locked while this process lives. Returns 0 or -errno. */
int sbx_state_add(const char *name, const char *text, struct sbx_state_entry *e);

/* Remove the entry (the sandbox ended); accepts an inactive one. */
void sbx_state_remove(struct sbx_state_entry *e);

/* Call fn on the text of each entry whose broker is alive, until fn returns non-zero. */
int sbx_state_each(int dir, int (*fn)(const char *name, const char *text, void *ctx), void *ctx);
