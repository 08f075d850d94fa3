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

struct field_want {
	const char *field;
	size_t flen;
	char *buf;
	size_t len;
};

static int field_line(char *line, void *arg)
{
	struct field_want *f = arg;
	if (strncmp(line, f->field, f->flen) != 0 || line[f->flen] != ':' || line[f->flen + 1] != '\t')
		return 0;
	size_t n = strlen(line + f->flen + 2);
	if (n >= f->len)
		return -ENAMETOOLONG;
	memcpy(f->buf, line + f->flen + 2, n + 1);
	return 1;
}

int sbx_status_field(pid_t pid, const char *field, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	/* Whole lines however long (sbx_each_line): a Groups: line of thousands of groups is
	 * longer than any buffer, and a cut one could read as a field of its own. */
	struct field_want f = { field, strlen(field), buf, len };
	int r = sbx_each_line(path, field_line, &f);
	return r == 1 ? 0 : r;
}

pid_t sbx_parent_of(pid_t pid)
{
	char v[32];
	int r = sbx_status_field(pid, "PPid", v, sizeof(v));
	return r < 0 ? (r == -ENOENT ? -EIO : r) : (pid_t)atoi(v);
}
