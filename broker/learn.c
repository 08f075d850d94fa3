/* SPDX-License-Identifier: MIT */
/* The public learn-mode recorder (sbx_learn_*, sbx.h): keeps the calls a learn-mode run
 * reports, in order, and hands them to the policy module's writer (sbx_policy_learn_write,
 * broker/policy/describe.c). The writer wants them all at once: which exec came first, and
 * whether every member of a group was used, are only known at the end of the run. Beside the
 * calls it keeps the run's setup as policy lines (the policy's filesystem, limits and
 * resources, the caller's paths and grants), so that the learned policy runs alone. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/export.h"
#include "broker/internal.h"
#include "broker/policy/policy.h"
#include "common/util.h"
#include "sbx.h"

/* 16M calls (1 GiB) is plenty to learn from; a program looping on a call must not take all
 * of the host's memory with it. */
#define LEARN_MAX_CALLS (1u << 24)

struct sbx_learn {
	struct sbx_learned_call *calls;
	size_t n, cap;
	char *policy_lines; /* the filesystem, limits and resources of the run's policy */
	char *setup;        /* the command line's paths, as policy lines */
	size_t setup_len;
	char **paths;       /* every path in setup, so a path given twice is written once */
	size_t n_paths;
	bool grants;        /* sbx_learn_add_grants was called: its lines are in setup */
};

SBX_EXPORT int sbx_learn_new(struct sbx_learn **ret)
{
	if (!ret)
		return -EINVAL;
	struct sbx_learn *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*ret = l;
	return 0;
}

SBX_EXPORT void sbx_learn_free(struct sbx_learn *l)
{
	if (!l)
		return;
	free(l->calls);
	free(l->policy_lines);
	free(l->setup);
	for (size_t i = 0; i < l->n_paths; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l);
}

/* Remember path as one of the run's; false when it already was (or on want of memory). */
static bool note_path(struct sbx_learn *l, const char *path)
{
	for (size_t i = 0; i < l->n_paths; i++)
		if (strcmp(l->paths[i], path) == 0)
			return false;
	char **n = realloc(l->paths, (l->n_paths + 1) * sizeof(*n));
	if (!n)
		return false;
	l->paths = n;
	if (!(l->paths[l->n_paths] = strdup(path)))
		return false;
	l->n_paths++;
	return true;
}

/* Append text to the setup lines. */
static int add_setup(struct sbx_learn *l, const char *text, size_t len)
{
	char *n = realloc(l->setup, l->setup_len + len + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n + l->setup_len, text, len);
	l->setup_len += len;
	n[l->setup_len] = '\0';
	l->setup = n;
	return 0;
}

/* What a writer of the policy module writes, in memory: the writers speak stdio. On success
 * *text (NUL-terminated) is the caller's. */
static int write_to_memory(int (*write)(const void *arg, FILE *f), const void *arg, char **text, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return -ENOMEM;
	int r = write(arg, f);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return r == -EIO ? -ENOMEM : r; /* a memory stream fails only for want of memory */
	*text = sbx_steal_ptr(&buf);
	return 0;
}

static int write_setup(const void *arg, FILE *f)
{
	return sbx_policy_write_setup(arg, f);
}

SBX_EXPORT int sbx_learn_set_policy(struct sbx_learn *l, const struct sbx_policy *p)
{
	if (!l || !p || l->policy_lines)
		return -EINVAL;
	size_t len;
	int r = write_to_memory(write_setup, p, &l->policy_lines, &len);
	const struct sbx_policy_mount *m;
	size_t n = r < 0 ? 0 : sbx_policy_mounts(p, &m);
	for (size_t i = 0; i < n; i++)
		(void)note_path(l, m[i].path);
	return r;
}

SBX_EXPORT int sbx_learn_add_path(struct sbx_learn *l, const char *path, bool writable)
{
	if (!l || !path || path[0] != '/')
		return -EINVAL;
	/* What the policy language can quote; anything else the caller must add by hand. */
	if (strpbrk(path, "\"\n\r") || strstr(path, "${"))
		return -EINVAL;
	if (!note_path(l, path))
		return 0;
	_cleanup_free_ char *line = NULL;
	int len = sbx_asprintf(&line, "%s \"%s\"\n", writable ? "rw" : "ro", path);
	if (len < 0)
		return -ENOMEM;
	return add_setup(l, line, (size_t)len);
}

static int write_grants(const void *arg, FILE *f)
{
	const struct sbx_config *cfg = arg;
	return sbx_policy_write_grants(cfg->res, cfg->n_res, f);
}

/* All the grants given, not only those the run's brokered calls used: a grant also reaches the
 * program as an fd at start (3, 4, ... in the order given), and a read of that fd looks to the
 * recorder like any other read; leaving a grant out would close it, and renumber the rest. */
SBX_EXPORT int sbx_learn_add_grants(struct sbx_learn *l, const struct sbx_config *cfg)
{
	if (!l || !cfg || l->grants)
		return -EINVAL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = write_to_memory(write_grants, cfg, &text, &len);
	if (r < 0 || (r = add_setup(l, text, len)) < 0)
		return r;
	l->grants = true;
	return 0;
}

SBX_EXPORT int sbx_learn_record(struct sbx_learn *l, uint32_t arch, int nr, const uint64_t args[6])
{
	if (!l || !args)
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		if (cap > LEARN_MAX_CALLS)
			return -E2BIG;
		struct sbx_learned_call *n = realloc(l->calls, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->calls = n;
		l->cap = cap;
	}
	struct sbx_learned_call *c = &l->calls[l->n++];
	c->arch = arch;
	c->nr = nr;
	memcpy(c->args, args, sizeof(c->args));
	return 0;
}

SBX_EXPORT size_t sbx_learn_count(const struct sbx_learn *l)
{
	return l ? l->n : 0;
}

static int write_learned(const void *arg, FILE *f)
{
	const struct sbx_learn *l = arg;
	int r = sbx_policy_learn_write(l->calls, l->n, f);
	if (r == 0 && ((l->policy_lines && l->policy_lines[0]) || l->setup_len))
		fprintf(f, "\n# The filesystem, limits and resources of the run it was learned from:\n%s%s",
			l->policy_lines ? l->policy_lines : "", l->setup_len ? l->setup : "");
	return r;
}

SBX_EXPORT int sbx_learn_write(const struct sbx_learn *l, int fd)
{
	if (!l || fd < 0)
		return -EINVAL;
	/* Written in memory first: the fd is the caller's, not ours to wrap in a FILE that would
	 * close it. */
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = write_to_memory(write_learned, l, &text, &len);
	if (r < 0)
		return r;
	return sbx_write_all(fd, text, len);
}
