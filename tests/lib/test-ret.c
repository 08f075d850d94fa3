/* SPDX-License-Identifier: MIT */
/* sbx.h's rule "on failure, the output parameters (*ret) are left untouched", for every
 * constructor: *ret is poisoned before a call made to fail, by a bad argument or by each of its
 * allocations in turn (this program replaces malloc and can fail the Nth call), and must still
 * hold the poison afterwards; a struct sbx_error given along must say why. TAP. */
#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbx.h"
#include "tests/tap.h"

/* ---- an allocator that fails on request ---- */

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long alloc_count, alloc_fail_at = -1;

static bool alloc_fails(void)
{
	return alloc_fail_at >= 0 && alloc_count++ == alloc_fail_at;
}

void *malloc(size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* Under valgrind (which brings its own malloc) nothing can be made to fail. */
static bool injection_works(void)
{
	/* Through a volatile pointer: the compiler would drop a malloc() whose result is only freed. */
	void *(*volatile allocate)(size_t) = malloc;
	alloc_count = 0;
	alloc_fail_at = 0;
	void *p = allocate(16);
	alloc_fail_at = -1;
	free(p);
	return p == NULL;
}

/* ---- the constructors, behind one signature ---- */

#define POISON ((void *)(uintptr_t)0x5bad5bad)

static struct event_base *base;
static struct sbx_config *cfg;

static int policy_new(void **ret, struct sbx_error *err)
{
	return sbx_policy_new("default", NULL, (struct sbx_policy **)ret, err);
}

static int policy_new_default(void **ret, struct sbx_error *err)
{
	return sbx_policy_new_default((struct sbx_policy **)ret, err);
}

static int config_new(void **ret, struct sbx_error *err)
{
	(void)err;
	return sbx_config_new((struct sbx_config **)ret);
}

static int learn_new(void **ret, struct sbx_error *err)
{
	(void)err;
	return sbx_learn_new((struct sbx_learn **)ret);
}

static int worker_spawn(void **ret, struct sbx_error *err)
{
	static const struct sbx_callbacks cb = { .size = sizeof(cb) };
	char *argv[] = { (char *)"true", NULL };
	return sbx_worker_spawn(base, cfg, "/bin/true", argv, &cb, NULL, (struct sbx_worker **)ret, err);
}

static void policy_free(void *p)
{
	sbx_policy_free(p);
}

static void config_free(void *p)
{
	sbx_config_free(p);
}

static void learn_free(void *p)
{
	sbx_learn_free(p);
}

static void worker_free(void *p)
{
	sbx_worker_free(p);
}

struct constructor {
	const char *name;
	int (*make)(void **ret, struct sbx_error *err);
	void (*destroy)(void *p);
	bool has_err;
};

static const struct constructor constructors[] = {
	{ "sbx_policy_new", policy_new, policy_free, true },
	{ "sbx_policy_new_default", policy_new_default, policy_free, true },
	{ "sbx_config_new", config_new, config_free, false },
	{ "sbx_learn_new", learn_new, learn_free, false },
	{ "sbx_worker_spawn", worker_spawn, worker_free, true },
};

/* Fail the first allocation, then the second, ... until a call makes no more allocations than
 * were allowed: every call that failed must have left *ret alone and described itself. */
static void sweep(const struct constructor *c)
{
	unsigned failed = 0, kept = 0, described = 0;
	int last = 0;
	for (long k = 0; k < 100000; k++) {
		void *ret = POISON;
		struct sbx_error err = SBX_ERROR_INIT;
		alloc_count = 0;
		alloc_fail_at = k;
		int r = c->make(&ret, &err);
		alloc_fail_at = -1;
		bool reached = alloc_count > k;
		if (r < 0) {
			failed++;
			kept += ret == POISON;
			described += !c->has_err || (err.code == r && err.message && err.message[0]);
			if (ret != POISON || (c->has_err && !err.message))
				tap_diag("%s, allocation %ld failed: %d, *ret %p, message %s", c->name, k, r, ret,
					 err.message ? err.message : "(none)");
		} else {
			c->destroy(ret);
		}
		sbx_error_free(&err);
		last = r;
		if (!reached)
			break;
	}
	tap_ok(failed > 0 && kept == failed && last == 0,
	       "%s: *ret untouched in each of the %u calls an allocation failure made fail (then it succeeds: %d)",
	       c->name, failed, last);
	if (c->has_err)
		tap_ok(described == failed, "%s: each of those filled struct sbx_error (%u of %u)", c->name, described,
		       failed);
}

/* A call that fails for a reason other than memory. */
static void refused(const char *what, int r, void *ret, const struct sbx_error *err, int want)
{
	tap_ok(r == want && ret == POISON && (!err || (err->code == r && err->message && err->message[0])),
	       "%s: %d, *ret untouched, the error says \"%s\"", what, r, err && err->message ? err->message : "");
}

static void bad_arguments(void)
{
	struct sbx_error err = SBX_ERROR_INIT;
	void *ret = POISON;
	int r = sbx_policy_new("/nonexistent/sbx-test.policy", NULL, (struct sbx_policy **)&ret, &err);
	refused("sbx_policy_new of a missing file", r, ret, &err, -ENOENT);
	const char *const params[] = { "=novalue", NULL };
	r = sbx_policy_new("default", params, (struct sbx_policy **)&ret, &err);
	refused("sbx_policy_new with a parameter without a name", r, ret, &err, -EINVAL);
	r = sbx_policy_new(NULL, NULL, (struct sbx_policy **)&ret, &err);
	refused("sbx_policy_new of no name", r, ret, &err, -EINVAL);

	char *argv[] = { (char *)"missing", NULL };
	static const struct sbx_callbacks cb = { .size = sizeof(cb) };
	r = sbx_worker_spawn(base, cfg, "sbx-test-no-such-program", argv, &cb, NULL, (struct sbx_worker **)&ret, &err);
	refused("sbx_worker_spawn of a missing program", r, ret, &err, -ENOENT);
	tap_ok(err.status == 127, "  and its error maps to status 127 (%d)", err.status);
	r = sbx_worker_spawn(NULL, cfg, "/bin/true", argv, &cb, NULL, (struct sbx_worker **)&ret, &err);
	refused("sbx_worker_spawn without an event base", r, ret, &err, -EINVAL);
	struct sbx_callbacks unsized = { .size = 0 };
	r = sbx_worker_spawn(base, cfg, "/bin/true", argv, &unsized, NULL, (struct sbx_worker **)&ret, &err);
	refused("sbx_worker_spawn with callbacks of size 0", r, ret, &err, -EINVAL);
	sbx_error_free(&err);
}

int main(void)
{
	base = event_base_new();
	if (!base || sbx_config_new(&cfg) < 0) {
		printf("Bail out! no event base or config\n");
		return 1;
	}
	/* Whether workers can start here at all (user namespaces): if not, spawn is only checked
	 * for the failures before the clone. */
	struct sbx_worker *w = NULL;
	struct sbx_error err = SBX_ERROR_INIT;
	bool can_spawn = worker_spawn((void **)&w, &err) == 0;
	if (!can_spawn)
		tap_diag("cannot spawn a worker here: %s", err.message ? err.message : "?");
	sbx_worker_free(w);
	sbx_error_free(&err);

	bad_arguments();

	if (!injection_works()) {
		tap_skip("allocation failures: this program's malloc is not the one in use (valgrind?)");
	} else {
		for (size_t i = 0; i < sizeof(constructors) / sizeof(constructors[0]); i++) {
			const struct constructor *c = &constructors[i];
			if (c->make == worker_spawn && !can_spawn) {
				tap_skip("%s under allocation failures: cannot spawn here", c->name);
				continue;
			}
			sweep(c);
		}
	}
	sbx_config_free(cfg);
	event_base_free(base);
	return tap_done();
}
