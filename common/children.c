/* SPDX-License-Identifier: MIT */
/* A thread's children from /proc (children.h). */
#include "children.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

int sbx_children_each(pid_t pid, pid_t tid, int (*fn)(pid_t child, void *arg), void *arg)
{
	char path[64];
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The number being read, carried from one read to the next; digits: how many it has so far. */
	long long cur = 0;
	int digits = 0;
	for (;;) {
		char buf[512];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* The end of the file ends the last number as a separator would. */
		bool eof = n == 0;
		if (eof)
			buf[n++] = ' ';
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				/* More digits than any pid has (PID_MAX_LIMIT is 4194304): no pid. */
				if (++digits <= 10)
					cur = cur * 10 + (buf[i] - '0');
				continue;
			}
			if (digits > 0 && digits <= 10 && cur > 0 && cur <= 0x7fffffff) {
				int r = fn((pid_t)cur, arg);
				if (r)
					return r;
			}
			cur = 0;
			digits = 0;
		}
		if (eof)
			return 0;
	}
}

int sbx_status_field(pid_t pid, const char *field, char *buf, size_t len)
{
	char path[64], chunk[1024], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Line by line over the whole file, which a long Groups: line (thousands of groups)
	 * makes far longer than any buffer: a line longer than line[] is skipped whole. */
	size_t n = 0, flen = strlen(field);
	bool skipping = false;
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ENOENT;
		for (ssize_t k = 0; k < got; k++) {
			char c = chunk[k];
			if (c != '\n') {
				if (n + 1 < sizeof(line))
					line[n++] = c;
				else
					skipping = true;
				continue;
			}
			line[n] = '\0';
			if (!skipping && n > flen + 1 && strncmp(line, field, flen) == 0 && line[flen] == ':' &&
			    line[flen + 1] == '\t') {
				if (n - flen - 2 >= len)
					return -ENAMETOOLONG;
				memcpy(buf, line + flen + 2, n - flen - 1);
				return 0;
			}
			n = 0;
			skipping = false;
		}
	}
}

pid_t sbx_parent_of(pid_t pid)
{
	char v[32];
	int r = sbx_status_field(pid, "PPid", v, sizeof(v));
	return r < 0 ? (r == -ENOENT ? -EIO : r) : (pid_t)atoi(v);
}
