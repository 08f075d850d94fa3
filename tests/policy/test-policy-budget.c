/* SPDX-License-Identifier: MIT */
/* The budget of one policy load (issue 13 item 3): includes, bytes read and resources counted
 * in total across every file, however often a file comes back. The reproducer (three
 * files of 1,000 `include ./next` lines: 10^9 includes) must be refused at once, with a message
 * naming the limit and the line that crossed it; a policy just inside the budget still loads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/policy/policy-internal.h"
#include "tests/tap.h"

static char tmpdir[256];

static void write_text(const char *name, const char *text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* count copies of line, one per line. */
static void write_lines(const char *name, const char *line, unsigned count)
{
	size_t l = strlen(line);
	char *buf = malloc((l + 1) * count + 1);
	if (!buf)
		exit(1);
	for (unsigned i = 0; i < count; i++) {
		memcpy(buf + i * (l + 1), line, l);
		buf[i * (l + 1) + l] = '\n';
	}
	write_text(name, buf, (l + 1) * count);
	free(buf);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load name from tmpdir; the error message in err, the time taken in *secs. */
static int load(const char *name, char *err, size_t len, double *secs)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	double t0 = now();
	int r = sbx_policy_load(path, NULL, 0, &p, &d);
	*secs = now() - t0;
	sbx_policy_diag_format(&d, err, len);
	sbx_policy_free(p);
	return r;
}

struct seen {
	unsigned n;
	char last[1200];
};

static void on_diag(const struct sbx_policy_diag *d, void *userdata)
{
	struct seen *s = userdata;
	s->n++;
	sbx_policy_diag_format(d, s->last, sizeof(s->last));
}

static void test_reproducer(void)
{
	write_lines("r1.policy", "include ./r2.policy", 1000);
	write_lines("r2.policy", "include ./r3.policy", 1000);
	write_lines("r3.policy", "include ./r4.policy", 1000);
	write_text("r4.policy", "# empty\n", 8);
	char err[1200], want[1200];
	double secs;
	int r = load("r1.policy", err, sizeof(err), &secs);
	snprintf(want, sizeof(want), "%s/././r3.policy:255:9: too many includes: this is include number 257 of one "
		 "policy load (at most 256 in all, counting each time a file is included)", tmpdir);
	if (!tap_ok(r == -E2BIG && strcmp(err, want) == 0, "10^9 includes: refused, naming the limit and the line"))
		tap_diag("got %d: %s\n# want: %s", r, err, want);
	/* Generous: the refusal takes milliseconds; hours before the budget. */
	tap_ok(secs < 5.0, "10^9 includes: refused in %.3f s (< 5 s)", secs);

	/* sbx policy check goes on after an error, but not past the budget: one report of it. */
	char path[512];
	snprintf(path, sizeof(path), "%s/r1.policy", tmpdir);
	struct seen s = { 0 };
	const struct sbx_policy_reporter rep = { on_diag, &s };
	struct sbx_policy *p = NULL;
	double t0 = now();
	r = sbx_policy_load_all(path, NULL, 0, &rep, &p);
	secs = now() - t0;
	if (!tap_ok(r == -E2BIG && s.n == 1 && strcmp(s.last, want) == 0,
		    "10^9 includes, every error reported: the budget stops the check, reported once"))
		tap_diag("got %d, %u reports, last: %s", r, s.n, s.last);
	tap_ok(secs < 5.0, "10^9 includes, every error reported: refused in %.3f s (< 5 s)", secs);
	sbx_policy_free(p);

	/* After other errors too: the budget's own message still reaches the reporter. */
	write_text("e1.policy", "wrte\ninclude ./r2.policy\n", 25);
	snprintf(path, sizeof(path), "%s/e1.policy", tmpdir);
	s = (struct seen){ 0 };
	r = sbx_policy_load_all(path, NULL, 0, &rep, &p);
	if (!tap_ok(r == -E2BIG && s.n == 2 && strstr(s.last, "too many includes"),
		    "an earlier error, then the budget: both reported"))
		tap_diag("got %d, %u reports, last: %s", r, s.n, s.last);
}

static void test_within(void)
{
	/* 256 includes in all loads (a file included 256 times from one top file). */
	write_text("leaf.policy", "# empty\n", 8);
	write_lines("w256.policy", "include ./leaf", 256);
	char err[1200];
	double secs;
	int r = load("w256.policy", err, sizeof(err), &secs);
	if (!tap_ok(r == 0, "256 includes in all: loads"))
		tap_diag("%s", err);
	write_lines("w257.policy", "include ./leaf", 257);
	r = load("w257.policy", err, sizeof(err), &secs);
	if (!tap_ok(r == -E2BIG && strstr(err, "w257.policy:257:9: too many includes"), "257 includes: refused at the 257th"))
		tap_diag("%s", err);
}

static void test_bytes(void)
{
	/* A file of 900,000 bytes of comments, included five times: 4.5 MB of text in all. */
	size_t n = 900000;
	char *fat = malloc(n);
	if (!fat)
		exit(1);
	memset(fat, 'x', n);
	fat[0] = '#';
	fat[n - 1] = '\n';
	write_text("fat.policy", fat, n);
	free(fat);
	write_lines("fat5.policy", "include ./fat", 5);
	char err[1200];
	double secs;
	int r = load("fat5.policy", err, sizeof(err), &secs);
	if (!tap_ok(r == -E2BIG && strstr(err, "fat5.policy:5:9: too much policy text: including") &&
			    strstr(err, "brings one policy load to 4500070 bytes (at most 4194304 in all"),
		    "4.5 MB of text through includes: refused at the include that crosses 4 MiB"))
		tap_diag("%s", err);
	write_lines("fat4.policy", "include ./fat", 4);
	r = load("fat4.policy", err, sizeof(err), &secs);
	if (!tap_ok(r == 0, "3.6 MB of text in all: loads"))
		tap_diag("%s", err);
}

static void test_resources(void)
{
	char *text = malloc(80 * 70);
	if (!text)
		exit(1);
	size_t len = 0;
	for (int i = 0; i < 65; i++)
		len += (size_t)sprintf(text + len, "resource r%d file /tmp/r%d\n", i, i);
	write_text("res.policy", text, len);
	free(text);
	char err[1200];
	double secs;
	int r = load("res.policy", err, sizeof(err), &secs);
	if (!tap_ok(r < 0 && strstr(err, "res.policy:65:10: too many resources (at most 64)"),
		    "65 resources: refused (a launch takes 64)"))
		tap_diag("%s", err);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sbx-policy-budget-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_reproducer();
	test_within();
	test_bytes();
	test_resources();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
