/* SPDX-License-Identifier: MIT */
/* The launch configuration handle and its setters, and the public policy constructors (the
 * destructor, sbx_policy_free, is the policy module's own). */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/export.h"
#include "broker/internal.h"
#include "broker/policy/policy.h"
#include "common/util.h"
#include "config.h"
#include "broker/idrange.h"
#include "common/spec.h"

/* What a message becomes when there is no memory to format it: static, so never freed. */
static const char error_nomem[] = "out of memory (describing an error)";

void sbx_error_set(struct sbx_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	char *message;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&message, fmt, ap);
	va_end(ap);
	/* Formatted before the old message is freed: the arguments may quote it. */
	sbx_error_free(err);
	err->code = code;
	err->status = 125; /* program lookup errors set 126/127 after this */
	err->message = n >= 0 ? message : error_nomem;
}

void sbx_error_move(struct sbx_error *dst, struct sbx_error *src)
{
	if (dst) {
		sbx_error_free(dst);
		*dst = *src;
		*src = (struct sbx_error)SBX_ERROR_INIT;
	} else {
		sbx_error_free(src);
	}
}

SBX_EXPORT void sbx_error_free(struct sbx_error *err)
{
	if (!err)
		return;
	if (err->message != error_nomem)
		free((char *)err->message);
	*err = (struct sbx_error)SBX_ERROR_INIT;
}

void sbx_logf(sbx_log_fn fn, void *userdata, enum sbx_log_level level, const char *fmt, ...)
{
	if (!fn)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(level, buf, userdata);
}

SBX_EXPORT const char *sbx_version(void)
{
	return SBX_VERSION;
}

static int policy_error(int r, const struct sbx_policy_diag *d, struct sbx_error *err)
{
	char buf[sizeof(d->file) + sizeof(d->message) + 32]; /* "FILE:LINE:COL: message", never cut */
	sbx_policy_diag_format(d, buf, sizeof(buf));
	/* Out of memory is the one failure the policy module does not describe. */
	sbx_error_set(err, r, "%s", buf[0] ? buf : strerror(-r));
	return r;
}

SBX_EXPORT int sbx_policy_new(const char *path_or_name, const char *const *params, struct sbx_policy **ret,
			      struct sbx_error *err)
{
	struct sbx_policy_param p[64];
	size_t n = 0;
	if (!path_or_name || !ret) {
		sbx_error_set(err, -EINVAL, "sbx_policy_new: no policy or no place for it (invalid argument)");
		return -EINVAL;
	}
	for (; params && params[n]; n++) {
		if (n >= SBX_ARRAY_SIZE(p)) {
			sbx_error_set(err, -E2BIG, "too many parameters (at most %zu)", SBX_ARRAY_SIZE(p));
			return -E2BIG;
		}
	}
	/* Split "name=value" without modifying the caller's strings. */
	_cleanup_free_ char *copy = NULL;
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(params[i]) + 1;
	if (n) {
		copy = malloc(total);
		if (!copy) {
			sbx_error_set(err, -ENOMEM, "copying the policy's parameters: %s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	char *cur = copy;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(params[i]);
		memcpy(cur, params[i], len + 1);
		char *eq = strchr(cur, '=');
		if (!eq || eq == cur) {
			sbx_error_set(err, -EINVAL, "parameter '%s': expected NAME=VALUE", params[i]);
			return -EINVAL;
		}
		*eq = '\0';
		p[i].name = cur;
		p[i].value = eq + 1;
		cur += len + 1;
	}
	struct sbx_policy_diag d;
	memset(&d, 0, sizeof(d));
	int r = sbx_policy_load(path_or_name, p, n, ret, &d);
	if (r < 0)
		return policy_error(r, &d, err);
	return 0;
}

SBX_EXPORT int sbx_policy_new_default(struct sbx_policy **ret, struct sbx_error *err)
{
	if (!ret) {
		sbx_error_set(err, -EINVAL, "sbx_policy_new_default: no place for the policy (invalid argument)");
		return -EINVAL;
	}
	struct sbx_policy_diag d;
	memset(&d, 0, sizeof(d));
	int r = sbx_policy_default(ret, &d);
	if (r < 0)
		return policy_error(r, &d, err);
	return 0;
}

/* Every setter: ready workers made before (a pool's) no longer match (pool.c). */
static void sbx_config_changed(struct sbx_config *cfg)
{
	if (cfg)
		cfg->generation++;
}

SBX_EXPORT int sbx_config_new(struct sbx_config **ret)
{
	if (!ret)
		return -EINVAL;
	struct sbx_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->cache = calloc(1, sizeof(*cfg->cache));
	if (!cfg->cache) {
		free(cfg);
		return -ENOMEM;
	}
	cfg->seccomp = true;
	cfg->host_uid = SBX_DEFAULT_HOST_ID;
	cfg->host_gid = SBX_DEFAULT_HOST_ID;
	cfg->time_limit_ms = cfg->memory = cfg->pids = SBX_UNSET;
	cfg->kill_after_ms = SBX_DEFAULT_KILL_AFTER_MS;
	*ret = cfg;
	return 0;
}

SBX_EXPORT void sbx_config_free(struct sbx_config *cfg)
{
	if (!cfg)
		return;
	sbx_policy_free(cfg->policy);
	for (size_t i = 0; i < cfg->n_paths; i++)
		free(cfg->paths[i].path);
	free(cfg->paths);
	for (size_t i = 0; i < cfg->n_res; i++)
		sbx_resource_clear(&cfg->res[i]);
	free(cfg->res);
	if (cfg->cache)
		free(cfg->cache->insns);
	free(cfg->cache);
	free(cfg);
}

SBX_EXPORT int sbx_config_set_policy(struct sbx_config *cfg, struct sbx_policy *policy)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	sbx_policy_free(cfg->policy);
	cfg->policy = policy;
	free(cfg->cache->insns);
	memset(cfg->cache, 0, sizeof(*cfg->cache));
	return 0;
}

SBX_EXPORT int sbx_config_add_path(struct sbx_config *cfg, const char *path, bool writable)
{
	sbx_config_changed(cfg);
	if (!cfg || !path || path[0] != '/')
		return -EINVAL;
	if (cfg->n_paths >= 64)
		return -E2BIG;
	struct sbx_path_grant *n = realloc(cfg->paths, (cfg->n_paths + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->paths = n;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	cfg->paths[cfg->n_paths++] = (struct sbx_path_grant){ .path = copy, .writable = writable };
	return 0;
}

SBX_EXPORT int sbx_config_set_time_limit_ms(struct sbx_config *cfg, uint64_t ms)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->time_limit_ms = ms ? ms : SBX_UNSET;
	return 0;
}

SBX_EXPORT int sbx_config_set_kill_after_ms(struct sbx_config *cfg, uint64_t ms)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->kill_after_ms = ms;
	return 0;
}

SBX_EXPORT int sbx_config_set_memory_limit(struct sbx_config *cfg, uint64_t bytes)
{
	sbx_config_changed(cfg);
	if (!cfg || (bytes && bytes < (1 << 20)))
		return -EINVAL; /* below 1 MiB not even the dynamic loader fits */
	cfg->memory = bytes ? bytes : SBX_UNSET;
	return 0;
}

SBX_EXPORT int sbx_config_set_pids_limit(struct sbx_config *cfg, uint64_t n)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->pids = n ? n : SBX_UNSET;
	return 0;
}

SBX_EXPORT int sbx_config_set_seccomp(struct sbx_config *cfg, bool enabled)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->seccomp = enabled;
	return 0;
}

SBX_EXPORT int sbx_config_set_fallback(struct sbx_config *cfg, bool enabled)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->fallback = enabled;
	return 0;
}

SBX_EXPORT int sbx_config_set_host_id(struct sbx_config *cfg, uid_t uid, gid_t gid)
{
	sbx_config_changed(cfg);
	/* Never host root, and never the overflow/invalid ids. */
	if (!cfg || uid == 0 || gid == 0 || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	cfg->host_id_set = true;
	cfg->host_uid = uid;
	cfg->host_gid = gid;
	return 0;
}

SBX_EXPORT int sbx_config_set_learn(struct sbx_config *cfg, bool learn)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->learn = learn;
	return 0;
}

SBX_EXPORT int sbx_config_set_log(struct sbx_config *cfg, sbx_log_fn fn, void *userdata)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->log = fn;
	cfg->log_userdata = userdata;
	return 0;
}

SBX_EXPORT int sbx_config_set_verbose(struct sbx_config *cfg, bool verbose)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->verbose = verbose;
	return 0;
}

/* Add a resource all at once: a grant whose pattern or filter could not be copied must not be
 * left behind without it (a directory would then be handed over whole, a capture unfiltered). */
static int add_resource(struct sbx_config *cfg, const struct sbx_resource *tmpl, const char *name,
			const char *target, const char *pattern, const char *filter)
{
	if (!cfg || !name || !sbx_resource_name_valid(name))
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_res; i++)
		if (strcmp(cfg->res[i].name, name) == 0)
			return -EEXIST;
	if (cfg->n_res >= SBX_MAX_RESOURCES)
		return -E2BIG;
	struct sbx_resource r = *tmpl;
	sbx_strlcpy(r.name, name, sizeof(r.name));
	r.target = target ? strdup(target) : NULL;
	r.pattern = pattern ? strdup(pattern) : NULL;
	r.filter = filter ? strdup(filter) : NULL;
	struct sbx_resource *n = NULL;
	if ((!target || r.target) && (!pattern || r.pattern) && (!filter || r.filter))
		n = realloc(cfg->res, (cfg->n_res + 1) * sizeof(*n));
	if (!n) {
		free(r.target);
		free(r.pattern);
		free(r.filter);
		return -ENOMEM;
	}
	cfg->res = n;
	cfg->res[cfg->n_res++] = r;
	return 0;
}

SBX_EXPORT int sbx_config_add_file(struct sbx_config *cfg, const char *name, const char *path, unsigned access)
{
	sbx_config_changed(cfg);
	if (!path || !access || (access & ~SBX_RES_ACCESS_ALL) ||
	    ((access & (SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC)) && !(access & SBX_ACCESS_WRITE)))
		return -EINVAL;
	struct sbx_resource t;
	sbx_resource_init(&t, SBX_RES_FILE);
	t.flags = access;
	return add_resource(cfg, &t, name, path, NULL, NULL);
}

SBX_EXPORT int sbx_config_add_dir(struct sbx_config *cfg, const char *name, const char *path, unsigned access,
				  const char *pattern)
{
	sbx_config_changed(cfg);
	if (!path || (access & ~SBX_RES_ACCESS_ALL))
		return -EINVAL;
	struct sbx_resource t;
	sbx_resource_init(&t, SBX_RES_DIR);
	t.flags = access;
	return add_resource(cfg, &t, name, path, pattern, NULL);
}

SBX_EXPORT int sbx_config_add_capture(struct sbx_config *cfg, const char *name, const char *iface, unsigned flags,
				      const char *filter)
{
	sbx_config_changed(cfg);
	if (flags & ~(SBX_CAPTURE_PROMISC | SBX_CAPTURE_TX))
		return -EINVAL;
	struct sbx_resource t;
	sbx_resource_init(&t, SBX_RES_CAPTURE);
	t.promisc = flags & SBX_CAPTURE_PROMISC;
	t.tx = flags & SBX_CAPTURE_TX;
	return add_resource(cfg, &t, name, iface ? iface : "any", NULL, filter);
}

SBX_EXPORT int sbx_config_add_socket(struct sbx_config *cfg, const char *name, const char *address, bool listen)
{
	sbx_config_changed(cfg);
	if (!address)
		return -EINVAL;
	struct sbx_resource t;
	sbx_resource_init(&t, listen ? SBX_RES_LISTEN : SBX_RES_CONNECT);
	return add_resource(cfg, &t, name, address, NULL, NULL);
}

SBX_EXPORT int sbx_config_add_fd(struct sbx_config *cfg, const char *name, int fd)
{
	sbx_config_changed(cfg);
	if (fd < 0)
		return -EBADF;
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return -errno;
	struct sbx_resource t;
	sbx_resource_init(&t, SBX_RES_FD);
	t.fd = copy;
	int e = add_resource(cfg, &t, name, NULL, NULL, NULL);
	if (e < 0)
		close(copy);
	return e;
}

SBX_EXPORT int sbx_config_set_requests(struct sbx_config *cfg, bool enabled)
{
	sbx_config_changed(cfg);
	if (!cfg)
		return -EINVAL;
	cfg->requests = enabled;
	return 0;
}

SBX_EXPORT int sbx_config_set_id_range(struct sbx_config *cfg, uid_t uid_base, gid_t gid_base, uint32_t count)
{
	sbx_config_changed(cfg);
	if (!cfg || uid_base == 0 || gid_base == 0 || count == 0 || (uint64_t)uid_base + count > UINT32_MAX ||
	    (uint64_t)gid_base + count > UINT32_MAX)
		return -EINVAL;
	cfg->range_set = true;
	cfg->range_uid = uid_base;
	cfg->range_gid = gid_base;
	cfg->range_count = count;
	return 0;
}

SBX_EXPORT int sbx_config_set_subid(struct sbx_config *cfg, const char *name)
{
	sbx_config_changed(cfg);
	uid_t u;
	gid_t g;
	uint32_t n;
	if (!cfg)
		return -EINVAL;
	char self[256];
	if (!name || !*name || strcmp(name, "self") == 0) {
		/* The caller's own range, as newuidmap will check it. */
		struct passwd pw, *res = NULL;
		char buf[1024];
		if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) != 0 || !res)
			snprintf(self, sizeof(self), "%u", (unsigned)geteuid());
		else
			snprintf(self, sizeof(self), "%s", pw.pw_name);
		name = self;
	}
	int r = sbx_idrange_lookup(name, &u, &g, &n);
	if (r < 0)
		return r;
	return sbx_config_set_id_range(cfg, u, g, n);
}
