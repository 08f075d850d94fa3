/* SPDX-License-Identifier: MIT */
/* Internal structures of libsbx shared by the broker's files. Not installed. */
#pragma once

#include <linux/filter.h>
#include <stdarg.h>
#include <stdint.h>

#include "broker/policy/policy.h"
#include "broker/resources.h"
#include "sbx.h"

#define SBX_MAX_RESOURCES 64

struct sbx_policy; /* broker/policy/policy.h */

struct sbx_path_grant {
	char *path;
	bool writable;
};

struct sbx_config {
	unsigned generation;              /* bumped by every setter (config.c): a pool's ready
	                                     workers made with another are not used */
	struct sbx_policy *policy;        /* owned; NULL: the built-in default */
	struct sbx_path_grant *paths;     /* owned */
	size_t n_paths;
	/* Limits the caller set; SBX_UNSET: the policy's, else the default (plan.c decides). */
	uint64_t time_limit_ms;
	uint64_t memory;
	uint64_t pids;
	uint64_t kill_after_ms;           /* grace after a forwarded SIGINT/TERM/HUP; 0: never */
	bool seccomp;
	bool learn;
	bool fallback;                    /* sbx_config_set_fallback */
	bool host_id_set;
	uid_t host_uid;
	gid_t host_gid;
	sbx_log_fn log;
	void *log_userdata;
	bool verbose;                     /* the sandbox side traces its steps to stderr too */
	struct sbx_resource *res;         /* owned */
	size_t n_res;
	bool requests;
	bool range_set;                   /* per-worker ids from a subordinate range */
	uid_t range_uid;
	gid_t range_gid;
	uint32_t range_count;
	/* The last compiled filter, reused while the policy stays the same: a host spawning many
	 * workers from one config compiles once. Behind a pointer: spawn takes a const config. */
	struct sbx_filter_cache *cache;
	bool no_state;                    /* no state directory entry (nsrecord.c) */
	bool syslog;                      /* namespace records to syslog too */
};

struct sbx_filter_cache {
	const struct sbx_policy *policy;  /* the config's (NULL: the built-in default) */
	struct sbx_compile_opts opts;     /* what it was compiled with (the worker's grants) */
	struct sock_filter *insns;
	unsigned short len;
};

/* Defaults that always apply (rlimits); documented in README and docs/sandbox.md. */
#define SBX_DEFAULT_AS (4ULL << 30)
#define SBX_DEFAULT_NPROC 256ULL
#define SBX_DEFAULT_NOFILE 1024ULL
#define SBX_DEFAULT_FSIZE (4ULL << 30)
#define SBX_DEFAULT_TMP_SIZE (64ULL << 20)
#define SBX_DEFAULT_HOST_ID 65534
#define SBX_DEFAULT_KILL_AFTER_MS 10000ULL


/* The one place a struct sbx_error is filled: replaces what err held (NULL: nothing to fill),
 * code a negative errno, status 125 (program.c refines it). A message that cannot be allocated
 * becomes a static "out of memory" that sbx_error_free() knows not to free. */
void sbx_error_set(struct sbx_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Hand what src holds to dst (freed first; NULL: src is just freed); src is left zeroed. A call
 * that fills a private error while it works moves it to the caller's only when it fails, so the
 * caller's is left alone on success. */
void sbx_error_move(struct sbx_error *dst, struct sbx_error *src);
void sbx_logf(sbx_log_fn fn, void *userdata, enum sbx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
