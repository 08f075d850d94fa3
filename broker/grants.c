/* SPDX-License-Identifier: MIT */
/* A worker's grants (grants.h): merged from the policy and the configuration, opened with the
 * broker's privileges, numbered into the launch plan's fd slots. */
#include "grants.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "broker/plan.h"
#include "broker/policy/policy.h"
#include "broker/worker.h"
#include "common/protocol.h"
#include "common/util.h"

void sbx_grants_free(struct sbx_grants *g)
{
	for (size_t i = 0; g->fds && i < g->n; i++)
		sbx_close(&g->fds[i]);
	for (unsigned i = 0; i < g->n_socks; i++)
		sbx_close(&g->socks[i].fd);
	for (unsigned i = 0; i < g->n_start; i++)
		sbx_close(&g->start[i].fd);
	free(g->sockets);
	free(g->fds);
	free(g->opens);
	free(g->res);
	memset(g, 0, sizeof(*g));
}

unsigned sbx_grant_capture_max(const struct sbx_resource *res)
{
	return res->max_opens ? res->max_opens : SBX_CAPTURE_SOCKETS_DEFAULT;
}

bool sbx_grant_request_only(const struct sbx_resource *res)
{
	return res->kind == SBX_RES_DIR && res->pattern && strcmp(res->pattern, "*") != 0;
}

const struct sbx_resource *sbx_grants_find(const struct sbx_grants *g, enum sbx_resource_kind kind, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->res[i].kind == kind && strcmp(g->res[i].name, name) == 0)
			return &g->res[i];
	return NULL;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Two declarations of one directory or capture grant, word for word: what a policy learned
 * with --dir or --capture declares (sbx_policy_write_grants), when the learning run's options
 * are given again beside it. Only the kinds learn mode writes: any other name both declare
 * stays a clash. */
static bool same_learned_grant(const struct sbx_resource *a, const struct sbx_resource *b)
{
	return (a->kind == SBX_RES_DIR || a->kind == SBX_RES_CAPTURE) && a->kind == b->kind &&
	       strcmp(a->name, b->name) == 0 && same_str(a->target, b->target) && a->flags == b->flags &&
	       same_str(a->pattern, b->pattern) && a->max_opens == b->max_opens && a->promisc == b->promisc &&
	       a->tx == b->tx && same_str(a->filter, b->filter);
}

/* The policy's resources first, then the configuration's (the command line's). A name both
 * declare is refused: neither silently wins; unless both declare exactly the same directory or
 * capture grant, which is then the policy's (a learned policy run with the options it was
 * learned with). */
unsigned sbx_grants_kinds(const struct sbx_grants *g)
{
	unsigned kinds = 0;
	for (size_t i = 0; i < g->n; i++)
		kinds |= 1u << g->res[i].kind;
	return kinds & ((1u << SBX_RES_DIR) | (1u << SBX_RES_CAPTURE));
}

static int merge(struct sbx_grants *g, const struct sbx_policy *policy, const struct sbx_config *cfg,
		 struct sbx_error *err)
{
	const struct sbx_policy_resource *pr = NULL;
	size_t n_pr = policy ? sbx_policy_resources(policy, &pr) : 0;
	size_t total = n_pr + cfg->n_res;
	if (total > SBX_MAX_RESOURCES) {
		sbx_error_set(err, -E2BIG, "too many resources (at most %d)", SBX_MAX_RESOURCES);
		return -E2BIG;
	}
	if (!total)
		return 0;
	g->res = calloc(total, sizeof(*g->res));
	g->fds = calloc(total, sizeof(int));
	g->opens = calloc(total, sizeof(unsigned));
	g->sockets = calloc(total, sizeof(unsigned));
	if (!g->res || !g->fds || !g->opens || !g->sockets)
		return -ENOMEM;
	for (size_t i = 0; i < total; i++)
		g->fds[i] = -1;
	for (size_t i = 0; i < n_pr; i++)
		g->res[g->n++] = pr[i].res; /* shallow: the strings stay the policy's */
	for (size_t i = 0; i < cfg->n_res; i++) {
		bool dup = false;
		for (size_t j = 0; j < n_pr && !dup; j++) {
			dup = same_learned_grant(&pr[j].res, &cfg->res[i]);
			if (!dup && strcmp(pr[j].res.name, cfg->res[i].name) == 0) {
				sbx_error_set(err, -EEXIST, "resource %s: also declared by the policy (%s:%u)", cfg->res[i].name,
					      pr[j].file, pr[j].line);
				return -EEXIST;
			}
		}
		if (!dup)
			g->res[g->n++] = cfg->res[i];
	}
	return 0;
}

__attribute__((format(printf, 2, 3))) static int add_env(struct sbx_plan *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&p->env[p->n_env], fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->env[p->n_env] = NULL;
		return -ENOMEM;
	}
	p->n_env++;
	return 0;
}

/* The next slot: fd lands at 3, 4, ... inside, in the order of the slots. NULL when full (the
 * fd is closed): merge() caps the resources below it, so only a bug gets there. */
static struct sbx_fd_slot *add_slot(struct sbx_plan *p, int fd, int grant)
{
	if (p->n_slots >= SBX_ARRAY_SIZE(p->slots)) {
		close(fd);
		return NULL;
	}
	struct sbx_fd_slot *s = &p->slots[p->n_slots];
	*s = (struct sbx_fd_slot){ .fd = fd, .target = 3 + (int)p->n_slots };
	p->slot_grant[p->n_slots++] = grant;
	return s;
}

/* Read-only grants reach the worker through read-only mounts: a reopen through /proc/self/fd
 * must not turn them writable. Directories always go through a clone of their mount, read-only
 * or not: ".." from a directory fd on the host's mount would climb the host's tree, past the
 * sandbox's root; at the root of a detached clone it goes nowhere. */
static void reopen_rule(struct sbx_fd_slot *s, const struct sbx_resource *res)
{
	bool ro = !(res->flags & (SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC));
	if (res->kind == SBX_RES_FILE && ro) {
		s->ro_path = res->target;
		s->ro_flags = O_RDONLY;
	} else if (res->kind == SBX_RES_DIR) {
		s->ro_path = res->target;
		s->ro_flags = O_PATH | O_DIRECTORY | (ro ? 0 : SBX_REOPEN_WRITABLE);
	}
}

/* A capture grant's socket handed over at start: the broker keeps its own reference and the
 * slot number, so that the filter guards that number like a brokered socket's and the
 * worker's bind and setsockopt on it come to brokered.c, checked against the grant. */
static int keep_start_socket(struct sbx_grants *g, int fd, size_t grant, int target, struct sbx_error *err)
{
	if (g->n_start >= SBX_CAPTURE_START_MAX) {
		sbx_error_set(err, -E2BIG, "too many capture resources (at most %d)", SBX_CAPTURE_START_MAX);
		return -E2BIG;
	}
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);
	if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0)
		return -errno;
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own < 0)
		return -errno;
	g->start[g->n_start++] = (struct sbx_brokered_socket){ own, target, grant, sll.sll_ifindex };
	return 0;
}

/* Open grant i into the next slot (or, for a request-only directory, only the broker's own
 * handle). names collects LISTEN_FDNAMES. */
static int open_grant(struct sbx_plan *p, struct sbx_worker *w, size_t i, char *names, struct sbx_error *err)
{
	const struct sbx_resource *res = &w->grants.res[i];
	int fd = sbx_resource_open(res, err);
	if (fd < 0)
		return fd;
	if (res->kind == SBX_RES_DIR) {
		/* Our own handle on the directory: requests are resolved below it. */
		if (sbx_grant_request_only(res)) {
			w->grants.fds[i] = fd;
			sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "resource %s: by request only (pattern '%s')",
				 res->name, res->pattern);
			return 0;
		}
		w->grants.fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (w->grants.fds[i] < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	int r = res->kind == SBX_RES_CAPTURE ? keep_start_socket(&w->grants, fd, i, 3 + (int)p->n_slots, err) : 0;
	if (r < 0) {
		close(fd);
		return r;
	}
	struct sbx_fd_slot *s = add_slot(p, fd, (int)i);
	if (!s)
		return -E2BIG;
	reopen_rule(s, res);
	if (names[0])
		strcat(names, ":");
	strcat(names, res->name);
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "resource %s: fd %d inside", res->name, s->target);
	return add_env(p, "SBX_FD_%s=%d", res->name, s->target);
}

static int open_request_channel(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		int e = errno;
		sbx_error_set(err, -e, "request channel: socketpair: %s", strerror(e));
		return -e;
	}
	w->req.fd = pair[0];
	struct sbx_fd_slot *s = add_slot(p, pair[1], -1);
	if (!s)
		return -E2BIG;
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "request channel: fd %d inside", s->target);
	int r = add_env(p, "SBX_FD_BROKER=%d", s->target);
	/* So that the worker's client can tell a version mismatch before it sends anything. */
	return r < 0 ? r : add_env(p, "SBX_BROKER_PROTOCOL=%u", SBX_REQ_VERSION);
}

int sbx_plan_open_grants(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	char names[SBX_MAX_RESOURCES * 65 + 16] = "";
	bool want_channel = w->cfg->requests;
	int r;
	if ((r = merge(&w->grants, w->policy, w->cfg, err)) < 0)
		return r;
	for (size_t i = 0; i < w->grants.n; i++) {
		const struct sbx_resource *res = &w->grants.res[i];
		if (res->kind == SBX_RES_DIR || res->kind == SBX_RES_CAPTURE)
			want_channel = true;
		if ((r = open_grant(p, w, i, names, err)) < 0)
			return r;
	}
	size_t n_listen = p->n_slots;
	if (want_channel && (r = open_request_channel(p, w, err)) < 0)
		return r;
	if (n_listen) {
		/* systemd's convention; the program is always pid 2 inside (init is 1). */
		if ((r = add_env(p, "LISTEN_FDS=%zu", n_listen)) < 0 ||
		    (r = add_env(p, "LISTEN_FDNAMES=%s", names)) < 0 ||
		    (r = add_env(p, "LISTEN_PID=2")) < 0)
			return r;
	}
	return 0;
}
