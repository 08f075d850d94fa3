/* SPDX-License-Identifier: MIT */
/* The directory tree both broker tests resolve requests in: a granted tree with every trap a
 * worker could aim at (symlinks out, '..', /proc/self/root, a FIFO, a mount inside) next to a
 * directory it must never reach. */
#pragma once

#include <stdbool.h>

#include "broker/resources.h"
#include "common/protocol.h"

/*  ROOT/data/            granted
 *        a.txt           "hello\n"
 *        .hidden         "hidden\n"
 *        sub/b.txt       "b\n"
 *        lnk-out    ->   ../out/secret
 *        lnk-abs    ->   /etc/passwd
 *        lnk-in     ->   a.txt
 *        lnk-root   ->   /proc/self/root
 *        lnk-dir    ->   ../out
 *        fifo            a FIFO
 *  ROOT/out/secret       "secret\n"   never to be opened through a grant
 *  ROOT/rw/              granted read-write (existing.out, x.txt, fifo.out: a FIFO)
 *  ROOT/mtree/mnt/       ROOT/out bind-mounted here when we may mount (tree.mounted)
 */
struct tree {
	char root[64];
	char data[128], out[128], rw[128], mtree[128], mnt[192], secret[192], fifo_out[192];
	bool mounted;  /* mtree/mnt is a bind mount of out/ (needs CAP_SYS_ADMIN: own mount ns) */
};

/* The grants of the tests, as (name, subdir, access, pattern). */
struct grant {
	const char *name, *sub;
	unsigned access;
	const char *pattern;
};
#define TREE_GRANTS                                                                                      \
	{                                                                                                  \
		{ "DATA", "data", SBX_OPEN_READ, "*" }, { "DEEP", "data", SBX_OPEN_READ, "*/*" },              \
		{ "DOTS", "data", SBX_OPEN_READ, "sub/../../out/*" },                                        \
		{ "ROOTL", "data", SBX_OPEN_READ, "lnk-root/etc/*" },                                        \
		{ "RW", "rw", SBX_OPEN_READ | SBX_OPEN_WRITE, "*.out" },                                     \
		{ "RWC", "rw", SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_CREATE | SBX_OPEN_TRUNC, "*.out" }, \
		{ "MNT", "mtree", SBX_OPEN_READ | SBX_OPEN_WRITE, "mnt/*" },                                                \
	}

/* Build the tree under /tmp. Tries a private mount namespace for the bind mount (as root);
 * without it, tree.mounted is false. Returns 0 or -errno, with a message on stderr. */
int tree_make(struct tree *t);
/* Remove it again (unmounting first). */
void tree_remove(struct tree *t);
