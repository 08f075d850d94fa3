/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the broker and the sandbox side: cleanup attributes with explicit
 * ownership transfer, and exact-length I/O. Nothing here allocates behind the caller's back. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SBX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "Not said" for a limit, in the configuration and in a policy alike (broker/plan.c resolves
 * them: the caller's word, else the policy's, else the default). */
#define SBX_UNSET UINT64_MAX

static inline void sbx_closep(int *fd)
{
	if (fd && *fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void sbx_freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(sbx_closep)))
#define _cleanup_free_ __attribute__((cleanup(sbx_freep)))

/* Ownership transfer: the variable is reset so its cleanup attribute does nothing. */
static inline int sbx_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

static inline void *sbx_steal_ptr_impl(void **p)
{
	void *r = *p;
	*p = NULL;
	return r;
}
#define sbx_steal_ptr(pp) sbx_steal_ptr_impl((void **)(pp))

/* Close an fd and mark the variable closed. */
static inline void sbx_close(int *fd)
{
	sbx_closep(fd);
	*fd = -1;
}

/* write() all of buf, retrying on EINTR and short writes. Returns 0 or -errno. */
int sbx_write_all(int fd, const void *buf, size_t len);

/* Write a whole small file (e.g. /proc/PID/uid_map) in one write(2): the kernel requires
 * some of these to arrive in a single call. Returns 0 or -errno. */
int sbx_write_file_at(int dirfd, const char *path, const char *text);

/* The leading decimal digits of s: no sign, no space (strtoull would take both). *end gets
 * what follows them. Returns 0, -EINVAL when s does not start with a digit, or -ERANGE. */
int sbx_parse_digits(const char *s, uint64_t *ret, const char **end);

/* Parse a size with an optional K/M/G/T suffix (powers of 1024). Returns 0 or -EINVAL/-ERANGE. */
int sbx_parse_size(const char *s, uint64_t *ret);

/* Parse a non-negative decimal integer with no trailing garbage. Returns 0 or -EINVAL/-ERANGE. */
int sbx_parse_u64(const char *s, uint64_t *ret);

/* asprintf() that leaves *ret NULL when it fails (asprintf leaves it undefined), so that a
 * cleanup attribute on *ret never frees garbage. Returns the length or -ENOMEM. */
int sbx_asprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Call fn on each whole line of path (however long; the newline stripped) until it returns
 * non-zero, and return that value; -ENOENT when no line made fn return anything, or -errno
 * when the file cannot be read. */
int sbx_each_line(const char *path, int (*fn)(char *line, void *ctx), void *ctx);

/* What a file of this st_mode is, for a message: "a directory", "a FIFO", "a character
 * device", ...; "a regular file" for one. */
const char *sbx_file_kind(unsigned mode);

/* strlcpy-like: copies at most size-1 bytes, always NUL-terminates, returns strlen(src). */
size_t sbx_strlcpy(char *dst, const char *src, size_t size);
