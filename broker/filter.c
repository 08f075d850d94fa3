/* SPDX-License-Identifier: MIT */
/* The worker's seccomp filter (filter.h). */
#include "filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/policy/policy.h"
#include "broker/worker.h"
#include "common/util.h"

/* The default policy, compiled at build time (gen-default-filter). */
extern const bool sbx_default_filter_usable;
extern const bool sbx_default_exec_allowed;
extern const unsigned short sbx_default_filter_len;
extern const struct sock_filter sbx_default_filter[];
/* The same with directory grants (--dir): the rules written `if dir` take their action. */
extern const unsigned short sbx_default_filter_dir_len;
extern const struct sock_filter sbx_default_filter_dir[];

_Static_assert(sizeof(struct sock_filter) == 8, "the launch protocol sends 8-byte BPF instructions");

bool sbx_filter_prebuilt_usable(void)
{
	return sbx_default_filter_usable;
}

bool sbx_filter_exec_allowed(const struct sbx_worker *w)
{
	return w->prebuilt ? sbx_default_exec_allowed : sbx_policy_exec_allowed(w->policy);
}

/* What the worker's grants change in its filter: rules guarded `if capture` or `if dir`, and the
 * guard on the numbers where brokered packet sockets land (transmitting only when every capture
 * grant says tx, since the guard covers the numbers, not the grants). A worker without such
 * grants gets the filter it always had: the prebuilt default, or the cached one. */
static void grant_opts(const struct sbx_worker *w, struct sbx_compile_opts *co)
{
	bool tx = true;
	co->grants = sbx_grants_kinds(&w->grants); /* as the broker decides (brokered.c) */
	for (size_t i = 0; i < w->grants.n; i++)
		if (w->grants.res[i].kind == SBX_RES_CAPTURE)
			tx = tx && w->grants.res[i].tx;
	if (co->grants & (1u << SBX_RES_CAPTURE)) {
		co->capture_fd_first = SBX_CAPTURE_FD_FIRST;
		co->capture_fd_count = SBX_CAPTURE_FD_COUNT;
		co->capture_tx = tx;
		for (unsigned i = 0; i < w->grants.n_start && i < SBX_ARRAY_SIZE(co->capture_slot_fds); i++)
			co->capture_slot_fds[co->n_capture_slot_fds++] = w->grants.start[i].target;
	}
}

/* What the worker's filter is compiled with; zeroed whole, so that two compare with memcmp. */
static void make_opts(const struct sbx_worker *w, struct sbx_compile_opts *co)
{
	memset(co, 0, sizeof(*co));
	co->mode = w->learn ? SBX_COMPILE_LEARN : SBX_COMPILE_ENFORCE;
	co->launch_fd = SBX_LAUNCH_FD;
	grant_opts(w, co);
}

static int compile(struct sbx_worker *w, const struct sbx_compile_opts *co, struct sbx_bpf *bpf,
		   struct sbx_error *err)
{
	struct sbx_policy_diag d;
	memset(&d, 0, sizeof(d));
	int r = sbx_policy_compile(w->policy, co, bpf, &d);
	if (r < 0) {
		char buf[700];
		sbx_policy_diag_format(&d, buf, sizeof(buf));
		sbx_error_set(err, r, "compiling the seccomp filter: %s", buf);
		return r;
	}
	if (bpf->len == 0 || bpf->len > SBX_LAUNCH_FILTER_MAX) {
		sbx_error_set(err, -E2BIG, "compiled seccomp filter has %u instructions (1 to %u allowed)", bpf->len,
			      SBX_LAUNCH_FILTER_MAX);
		return -E2BIG;
	}
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "seccomp: %u BPF instructions%s", bpf->len,
		 w->learn ? " (learn mode: every call is recorded and allowed)" : "");
	/* Kept for the next spawn from this config with the same grants (the config's own policy,
	 * or the built-in default parsed for a worker with grants: its text never changes). */
	struct sbx_filter_cache *c = w->cfg->cache;
	if (!w->learn) {
		struct sock_filter *copy = malloc(bpf->len * sizeof(struct sock_filter));
		if (copy) {
			memcpy(copy, bpf->insns, bpf->len * sizeof(struct sock_filter));
			free(c->insns);
			c->insns = copy;
			c->len = bpf->len;
			c->policy = w->cfg->policy;
			c->opts = *co;
		}
	}
	return 0;
}

/* The instructions to send, borrowed (*insns) or compiled into bpf (freed by the caller). */
static int choose(struct sbx_worker *w, struct sbx_bpf *bpf, const struct sock_filter **insns, unsigned *len,
		  struct sbx_error *err)
{
	const struct sbx_filter_cache *c = w->cfg->cache;
	struct sbx_compile_opts co;
	unsigned kinds = sbx_grants_kinds(&w->grants);
	bool prebuilt_dir = w->prebuilt && kinds == 1u << SBX_RES_DIR && sbx_default_filter_dir_len;
	if (w->prebuilt && kinds && !prebuilt_dir) {
		/* Built without grants: a worker with some needs the parsed default compiled for it
		 * (directory grants alone have a program of their own, built too). */
		if (!w->policy) {
			int r = sbx_policy_default(&w->owned_policy, NULL);
			if (r < 0) {
				sbx_error_set(err, r, "parsing the default policy: %s", strerror(-r));
				return r;
			}
			w->policy = w->owned_policy;
		}
		w->prebuilt = false;
	}
	make_opts(w, &co);
	if (!w->seccomp) {
		*len = 0;
	} else if (w->prebuilt) {
		*insns = prebuilt_dir ? sbx_default_filter_dir : sbx_default_filter;
		*len = prebuilt_dir ? sbx_default_filter_dir_len : sbx_default_filter_len;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG,
			 "seccomp: %u BPF instructions (default policy%s, compiled at build time)", *len,
			 prebuilt_dir ? " with directory grants" : "");
	} else if (!w->learn && c->insns && c->policy == w->cfg->policy && memcmp(&c->opts, &co, sizeof(co)) == 0) {
		*insns = c->insns;
		*len = c->len;
	} else {
		int r = compile(w, &co, bpf, err);
		if (r < 0)
			return r;
		*insns = bpf->insns;
		*len = bpf->len;
	}
	return 0;
}

int sbx_filter_send(struct sbx_worker *w, struct sbx_error *err)
{
	struct sbx_bpf bpf = { NULL, 0 };
	const struct sock_filter *insns = NULL;
	unsigned len = 0;
	int r = choose(w, &bpf, &insns, &len, err);
	if (r < 0)
		return r;
	_cleanup_free_ struct sbx_launch_filter *m = calloc(1, sizeof(*m));
	if (!m) {
		sbx_bpf_free(&bpf);
		return -ENOMEM;
	}
	m->type = SBX_LAUNCH_FILTER;
	m->n_insns = len;
	if (len)
		memcpy(m->insns, insns, (size_t)len * sizeof(struct sock_filter));
	sbx_bpf_free(&bpf);
	size_t size = 8 + 8 * (size_t)m->n_insns;
	if (send(w->chan.fd, m, size, MSG_NOSIGNAL) != (ssize_t)size) {
		r = -errno;
		sbx_error_set(err, r, "handing the filter to the sandbox: %s", strerror(errno));
		return r;
	}
	return 0;
}
