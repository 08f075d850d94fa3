/* SPDX-License-Identifier: MIT */
/* A pool: many short workers from one configuration, on the caller's loop (sbx.h, "Pools").
 * What it holds ahead of the jobs is the setup that is safe to share, and only that: one empty
 * network namespace, which each worker is cloned into instead of creating its own (the most
 * expensive namespace, ~1.4 ms of CPU each, whose destruction competes with the next launch).
 * Every other namespace, the root, the filter and the exec stay per job, as in a cold launch.
 *
 * Sharing is chosen only where docs/sandbox.md ("Many jobs") shows it safe, else every job
 * makes its own namespace, as sbx_worker_spawn does:
 *  - the built-in default policy with seccomp on (socket() refused: no job can make a socket
 *    that another could reach; not in learn mode, which lets every call through);
 *  - Landlock ABI 6 (abstract unix sockets scoped to each job's own domain);
 *  - CAP_SYS_ADMIN in the broker's own user namespace: a thread enters the namespace with
 *    setns() around the clone, and setns() asks for it. An unprivileged broker cannot. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/export.h"
#include "broker/internal.h"
#include "broker/worker.h"
#include "common/util.h"
#include "sandbox/landlock.h"

struct sbx_pool {
	struct event_base *base;
	const struct sbx_config *cfg; /* borrowed */
	int netns_fd;                 /* the shared empty namespace, -1: one per worker */
	int host_netns_fd;            /* the creating thread's own */
};

/* Checked again at each spawn: the caller may change the configuration between jobs. */
static bool policy_may_share(const struct sbx_config *cfg)
{
	return !cfg->policy && cfg->seccomp && !cfg->learn;
}

static bool may_share(const struct sbx_config *cfg)
{
	return policy_may_share(cfg) && sbx_landlock_abi() >= 6;
}

/* The empty namespace, made by this thread and left at once. Its loopback stays down: nothing
 * inside may bring it up (no job holds a capability over it, it belongs to our user namespace). */
static int make_netns(struct sbx_pool *pool, struct sbx_error *err)
{
	pool->host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (pool->host_netns_fd < 0)
		return 0; /* no /proc: every job makes its own */
	if (unshare(CLONE_NEWNET) < 0) {
		sbx_close(&pool->host_netns_fd);
		return 0; /* EPERM: not privileged; every job makes its own */
	}
	pool->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int saved = pool->netns_fd < 0 ? -errno : 0;
	if (setns(pool->host_netns_fd, CLONE_NEWNET) < 0) {
		int r = -errno;
		sbx_error_set(err, r, "returning to the caller's network namespace: %s", strerror(-r));
		return r;
	}
	if (saved < 0)
		sbx_close(&pool->host_netns_fd);
	return 0;
}

SBX_EXPORT int sbx_pool_new(struct event_base *base, const struct sbx_config *cfg, struct sbx_pool **ret,
			    struct sbx_error *ret_err)
{
	struct sbx_error error = SBX_ERROR_INIT;
	if (!base || !cfg || !ret) {
		sbx_error_set(ret_err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	struct sbx_pool *pool = calloc(1, sizeof(*pool));
	if (!pool) {
		sbx_error_set(ret_err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	*pool = (struct sbx_pool){ .base = base, .cfg = cfg, .netns_fd = -1, .host_netns_fd = -1 };
	int r = may_share(cfg) ? make_netns(pool, &error) : 0;
	if (r < 0) {
		sbx_error_move(ret_err, &error);
		sbx_pool_free(pool);
		return r;
	}
	sbx_logf(cfg->log, cfg->log_userdata, SBX_LOG_DEBUG, "pool: %s",
		 pool->netns_fd >= 0 ? "one empty network namespace shared by its workers"
				     : "each worker makes its own network namespace");
	*ret = pool;
	return 0;
}

SBX_EXPORT bool sbx_pool_shares_netns(const struct sbx_pool *pool)
{
	return pool && pool->netns_fd >= 0;
}

SBX_EXPORT int sbx_pool_spawn(struct sbx_pool *pool, const char *program, char *const argv[], const int stdio[3],
			      const struct sbx_callbacks *cb, void *userdata, struct sbx_worker **ret,
			      struct sbx_error *err)
{
	if (!pool) {
		sbx_error_set(err, -EINVAL, "invalid argument");
		return -EINVAL;
	}
	struct sbx_spawn_opts opts = { .stdio = { -1, -1, -1 },
				       .netns_fd = policy_may_share(pool->cfg) ? pool->netns_fd : -1,
				       .host_netns_fd = pool->host_netns_fd };
	if (stdio)
		memcpy(opts.stdio, stdio, sizeof(opts.stdio));
	return sbx_worker_spawn_opts(pool->base, pool->cfg, program, argv, &opts, cb, userdata, ret, err);
}

SBX_EXPORT void sbx_pool_free(struct sbx_pool *pool)
{
	if (!pool)
		return;
	sbx_close(&pool->netns_fd);
	sbx_close(&pool->host_netns_fd);
	free(pool);
}
