/* SPDX-License-Identifier: MIT */
/* The launch configuration handle and its setters, and the public policy wrappers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/internal.h"
#include "broker/policy/policy.h"
#include "common/util.h"
#include "config.h"

void sbx_error_set(struct sbx_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
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
	char buf[700];
	sbx_policy_diag_format(d, buf, sizeof(buf));
	sbx_error_set(err, r, "%s", buf);
	return r;
}

SBX_EXPORT int sbx_policy_open(const char *path_or_name, const char *const *params,
			       struct sbx_policy **ret, struct sbx_error *err)
{
	struct sbx_policy_param p[64];
	size_t n = 0;
	if (!path_or_name || !ret)
		return -EINVAL;
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
		if (!copy)
			return -ENOMEM;
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

SBX_EXPORT int sbx_policy_open_default(struct sbx_policy **ret, struct sbx_error *err)
{
	struct sbx_policy_diag d;
	memset(&d, 0, sizeof(d));
	int r = sbx_policy_default(ret, &d);
	if (r < 0)
		return policy_error(r, &d, err);
	return 0;
}

SBX_EXPORT void sbx_policy_close(struct sbx_policy *p)
{
	sbx_policy_free(p);
}

SBX_EXPORT int sbx_config_new(struct sbx_config **ret)
{
	if (!ret)
		return -EINVAL;
	struct sbx_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->seccomp = true;
	cfg->host_uid = SBX_DEFAULT_HOST_ID;
	cfg->host_gid = SBX_DEFAULT_HOST_ID;
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
	free(cfg);
}

SBX_EXPORT int sbx_config_set_policy(struct sbx_config *cfg, struct sbx_policy *policy)
{
	if (!cfg)
		return -EINVAL;
	sbx_policy_free(cfg->policy);
	cfg->policy = policy;
	return 0;
}

SBX_EXPORT int sbx_config_add_path(struct sbx_config *cfg, const char *path, bool writable)
{
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
	if (!cfg)
		return -EINVAL;
	cfg->time_limit_ms = ms;
	return 0;
}

SBX_EXPORT int sbx_config_set_memory_limit(struct sbx_config *cfg, uint64_t bytes)
{
	if (!cfg || (bytes && bytes < (1 << 20)))
		return -EINVAL; /* below 1 MiB not even the dynamic loader fits */
	cfg->memory = bytes;
	return 0;
}

SBX_EXPORT int sbx_config_set_pids_limit(struct sbx_config *cfg, uint64_t n)
{
	if (!cfg)
		return -EINVAL;
	cfg->pids = n;
	return 0;
}

SBX_EXPORT int sbx_config_set_seccomp(struct sbx_config *cfg, bool enabled)
{
	if (!cfg)
		return -EINVAL;
	cfg->seccomp = enabled;
	return 0;
}

SBX_EXPORT int sbx_config_set_host_id(struct sbx_config *cfg, uid_t uid, gid_t gid)
{
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
	if (!cfg)
		return -EINVAL;
	cfg->learn = learn;
	return 0;
}

SBX_EXPORT int sbx_config_set_log(struct sbx_config *cfg, sbx_log_fn fn, void *userdata)
{
	if (!cfg)
		return -EINVAL;
	cfg->log = fn;
	cfg->log_userdata = userdata;
	return 0;
}

SBX_EXPORT int sbx_config_set_verbose(struct sbx_config *cfg, bool verbose)
{
	if (!cfg)
		return -EINVAL;
	cfg->verbose = verbose;
	return 0;
}
