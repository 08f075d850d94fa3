/* SPDX-License-Identifier: MIT */
/* The public structs as sbx.h describes them, used only through sbx.h:
 *  - struct sbx_error: a message allocated by the library, kept by a succeeding call, replaced
 *    by a failing one, released by sbx_error_free(), never cut;
 *  - struct sbx_callbacks: its size checked (too small, or from a newer sbx.h: -EINVAL), the
 *    struct copied at spawn;
 *  - struct sbx_exit: strings never NULL ("" when there is nothing to say), the same text
 *    after the callback until sbx_worker_free(), never cut.
 * Usage: test-structs PROBE (tests/probe.c, for a policy violation). TAP. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbx.h"
#include "tests/tap.h"

#define POISON ((struct sbx_worker *)(uintptr_t)0x5bad5bad)

/* ---- struct sbx_error ---- */

static void test_error(void)
{
	struct sbx_error err = SBX_ERROR_INIT;
	sbx_error_free(&err);
	sbx_error_free(NULL);
	tap_ok(err.code == 0 && err.status == 0 && !err.message, "sbx_error_free: a zeroed struct and NULL are fine");

	struct sbx_policy *p = NULL;
	int r = sbx_policy_new("/nonexistent/sbx-test.policy", NULL, &p, &err);
	const char *first = err.message;
	char *copy = strdup(first ? first : "");
	tap_ok(r == -ENOENT && err.code == r && err.status == 125 && first && strstr(first, "/nonexistent/sbx-test.policy"),
	       "a failing call fills the error: code %d, status %d, \"%s\"", err.code, err.status, copy);

	r = sbx_policy_new_default(&p, &err);
	tap_ok(r == 0 && err.message == first && strcmp(err.message, copy) == 0 && err.code == -ENOENT,
	       "a succeeding call leaves it as it was");
	sbx_policy_free(p);

	const char *const params[] = { "=x", NULL };
	r = sbx_policy_new("default", params, &p, &err);
	tap_ok(r == -EINVAL && err.code == -EINVAL && err.message && strstr(err.message, "expected NAME=VALUE"),
	       "the next failing call replaces it (the old message freed): \"%s\"", err.message ? err.message : "");
	free(copy);

	/* A message as long as what it quotes: a 2000-character program name. */
	char name[2001];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	struct event_base *base = event_base_new();
	struct sbx_config *cfg = NULL;
	struct sbx_worker *w = POISON;
	char *argv[] = { name, NULL };
	r = sbx_config_new(&cfg);
	if (r == 0)
		r = sbx_worker_spawn(base, cfg, name, argv, NULL, NULL, &w, &err);
	size_t want = strlen(name) + strlen(": command not found");
	tap_ok(r == -ENOENT && w == POISON && err.status == 127 && err.message && strlen(err.message) == want &&
		       strncmp(err.message, name, strlen(name)) == 0,
	       "a message quoting 2000 characters is whole (%zu of %zu bytes)", err.message ? strlen(err.message) : 0,
	       want);
	sbx_config_free(cfg);
	event_base_free(base);

	sbx_error_free(&err);
	tap_ok(err.code == 0 && !err.message, "sbx_error_free zeroes the struct");
	sbx_error_free(&err);
}

/* ---- workers: struct sbx_callbacks and struct sbx_exit ---- */

struct seen {
	struct event_base *base;
	int calls;
	struct sbx_exit e;               /* shares the worker's strings */
	char *message, *syscall, *suggestion; /* their text, copied during the callback */
	bool null_string;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct seen *s = userdata;
	s->calls++;
	s->e = *e;
	s->null_string = !e->message || !e->syscall || !e->suggestion;
	s->message = dup_or_null(e->message);
	s->syscall = dup_or_null(e->syscall);
	s->suggestion = dup_or_null(e->suggestion);
	event_base_loopexit(s->base, NULL);
}

static void seen_clear(struct seen *s)
{
	free(s->message);
	free(s->syscall);
	free(s->suggestion);
	memset(s, 0, sizeof(*s));
}

/* The strings the callback saw, read again now: the same text at the same place. */
static bool still_there(const struct seen *s)
{
	return !s->null_string && s->message && strcmp(s->e.message, s->message) == 0 &&
	       strcmp(s->e.syscall, s->syscall) == 0 && strcmp(s->e.suggestion, s->suggestion) == 0;
}

/* Spawn with callbacks that live on this stack and are wiped right after the call (the library
 * must have copied them), run until the exit callback, and return the worker, not yet freed. */
static struct sbx_worker *run(struct event_base *base, const struct sbx_config *cfg, const char *program,
			      char *const argv[], struct seen *s, struct sbx_error *err)
{
	struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_exit_cb };
	struct sbx_worker *w = NULL;
	s->base = base;
	int r = sbx_worker_spawn(base, cfg, program, argv, &cb, s, &w, err);
	memset(&cb, 0, sizeof(cb));
	if (r < 0)
		return NULL;
	struct timeval limit = { 20, 0 };
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	return w;
}

static void test_callbacks_size(struct event_base *base, const struct sbx_config *cfg)
{
	char *argv[] = { (char *)"true", NULL };
	struct sbx_error err = SBX_ERROR_INIT;
	/* Built against a newer sbx.h: a member this library does not know. */
	struct {
		struct sbx_callbacks cb;
		void (*newer)(void);
	} future = { .cb = { .size = sizeof(future) } };
	struct sbx_worker *w = POISON;
	int r = sbx_worker_spawn(base, cfg, "/bin/true", argv, &future.cb, NULL, &w, &err);
	tap_ok(r == -EINVAL && w == POISON && err.message && strstr(err.message, "larger than this libsbx"),
	       "callbacks larger than the library knows: -EINVAL, \"%s\"", err.message ? err.message : "");
	struct sbx_callbacks short_cb = { .size = offsetof(struct sbx_callbacks, audit) };
	r = sbx_worker_spawn(base, cfg, "/bin/true", argv, &short_cb, NULL, &w, &err);
	tap_ok(r == -EINVAL && w == POISON && err.message && strstr(err.message, "too small"),
	       "callbacks smaller than the first version's: -EINVAL, \"%s\"", err.message ? err.message : "");
	sbx_error_free(&err);
}

static bool try_spawn(struct event_base *base, const struct sbx_config *cfg)
{
	struct seen s = { 0 };
	struct sbx_error err = SBX_ERROR_INIT;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"exit 3", NULL };
	struct sbx_worker *w = run(base, cfg, "/bin/sh", argv, &s, &err);
	if (!w) {
		tap_diag("cannot spawn here: %s", err.message ? err.message : "?");
		sbx_error_free(&err);
		return false;
	}
	tap_ok(s.calls == 1, "callbacks wiped right after the spawn: the exit callback still came (copied)");
	tap_ok(s.e.kind == SBX_EXIT_EXITED && s.e.status == 3 && !s.null_string && !s.message[0] && !s.syscall[0] &&
		       !s.suggestion[0],
	       "a normal exit: message, syscall and suggestion are \"\", not NULL");
	tap_ok(still_there(&s), "  and still readable after the callback");
	sbx_worker_free(w);
	seen_clear(&s);
	return true;
}

static void test_violation(struct event_base *base, const struct sbx_config *cfg, const char *probe)
{
	struct seen s = { 0 };
	char *argv[] = { (char *)"probe", (char *)"syscall", (char *)"ptrace", NULL };
	/* The probe says what it calls on its stdout, which is ours: keep it out of the TAP. */
	fflush(stdout);
	int out = dup(1), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out >= 0 && null >= 0)
		dup2(null, 1);
	struct sbx_worker *w = run(base, cfg, probe, argv, &s, NULL);
	if (out >= 0 && null >= 0)
		dup2(out, 1);
	if (out >= 0)
		close(out);
	if (null >= 0)
		close(null);
	bool ok = w && s.calls == 1 && s.e.kind == SBX_EXIT_VIOLATION && s.e.status == 159 && !s.null_string;
	tap_ok(ok && strstr(s.syscall, "ptrace") && s.suggestion[0] && strstr(s.message, s.syscall) &&
		       strstr(s.message, s.suggestion),
	       "a violation: syscall \"%s\", suggestion \"%s\", and the message quotes both", ok ? s.syscall : "",
	       ok ? s.suggestion : "");
	tap_ok(ok && still_there(&s), "  all three the same after the callback, until sbx_worker_free");
	sbx_worker_free(w);
	seen_clear(&s);
}

/* The time limit's message quotes the program as given: 1200 bytes of "./" are not cut. */
static void test_long_message(struct event_base *base)
{
	char program[1300] = "/bin/";
	for (int i = 0; i < 600; i++)
		strcat(program, "./");
	strcat(program, "sleep");
	struct sbx_config *cfg = NULL;
	struct seen s = { 0 };
	char *argv[] = { (char *)"sleep", (char *)"10", NULL };
	struct sbx_worker *w = NULL;
	if (sbx_config_new(&cfg) == 0 && sbx_config_set_time_limit_ms(cfg, 200) == 0)
		w = run(base, cfg, program, argv, &s, NULL);
	char want[1400];
	snprintf(want, sizeof(want), "%s: time limit reached; the sandbox was killed", program);
	tap_ok(w && s.e.kind == SBX_EXIT_TIMEOUT && s.message && strcmp(s.message, want) == 0,
	       "an exit message of %zu bytes is whole (%zu)", strlen(want), s.message ? strlen(s.message) : 0);
	sbx_worker_free(w);
	sbx_config_free(cfg);
	seen_clear(&s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-structs PROBE\n");
		return 2;
	}
	test_error();

	struct event_base *base = event_base_new();
	struct sbx_config *cfg = NULL;
	if (!base || sbx_config_new(&cfg) < 0) {
		printf("Bail out! no event base or config\n");
		return 1;
	}
	test_callbacks_size(base, cfg);
	if (try_spawn(base, cfg)) {
		test_violation(base, cfg, argv[1]);
		test_long_message(base);
	} else {
		for (int i = 0; i < 6; i++)
			tap_skip("workers cannot start here (user namespaces?)");
	}
	sbx_config_free(cfg);
	event_base_free(base);
	return tap_done();
}
