/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

int sbx_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sbx_write_file_at(int dirfd, const char *path, const char *text)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t n;
	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int sbx_parse_digits(const char *s, uint64_t *ret, const char **end)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	char *e = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*ret = v;
	*end = e;
	return 0;
}

int sbx_parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = sbx_parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int sbx_parse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = sbx_parse_digits(s, &v, &end);
	if (r < 0)
		return r;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	/* Accept an optional trailing 'B' or 'iB' ("64M", "64MB", "64MiB"). */
	if (shift && (end[0] == 'i' || end[0] == 'I') && (end[1] == 'b' || end[1] == 'B'))
		end += 2;
	else if (end[0] == 'b' || end[0] == 'B')
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = (uint64_t)v << shift;
	return 0;
}

size_t sbx_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int sbx_each_line(const char *path, int (*fn)(char *line, void *ctx), void *ctx)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	/* Whole lines: a line cut in two could read as an entry of its own. */
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		int v = fn(line, ctx);
		if (v) {
			r = v;
			break;
		}
	}
	fclose(f);
	return r;
}

int sbx_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return n;
}

const char *sbx_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFLNK: return "a symbolic link";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}
