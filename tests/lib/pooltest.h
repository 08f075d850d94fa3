/* SPDX-License-Identifier: MIT */
/* What the pool tests (test-ready.c, test-zygote.c) share: TAP lines, the clock, the test's
 * children, whether a process has ended, a shell job's argv and its "key=value" output. */
#pragma once

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static int n_test, failed;

__attribute__((format(printf, 2, 3))) static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++n_test);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failed |= !cond;
}

static void diag(const char *what, const char *text)
{
	printf("# %s: ", what);
	for (const char *p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			printf("# ");
	}
	printf("\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int children(pid_t *out, int max)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
		FILE *f = fopen(path, "re");
		int pid;
		while (f && n < max && fscanf(f, "%d", &pid) == 1)
			out[n++] = pid;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static bool dead(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static char *const *sh(const char *script, const char *arg)
{
	static char *argv[5];
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = (char *)arg;
	argv[4] = NULL;
	return argv;
}

static const char *field(const char *out, const char *key, char *buf, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=", key);
	buf[0] = '\0';
	for (const char *p = out; (p = strstr(p, pat)); p++)
		if (p == out || p[-1] == '\n') {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
			break;
		}
	return buf;
}
