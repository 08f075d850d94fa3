/* SPDX-License-Identifier: MIT */
#include "program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/internal.h"
#include "common/util.h"

static int sbx_program_lookup(const char *name, const char *search_path, struct sbx_program *ret,
			      struct sbx_error *err);

static int open_candidate(const char *path, struct sbx_program *ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool readable = fd >= 0;
	if (fd < 0 && errno == EACCES)
		fd = open(path, O_PATH | O_CLOEXEC); /* execute-only binaries */
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    faccessat(fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) < 0 || !(st.st_mode & 0111)) {
		close(fd);
		return -EACCES;
	}
	char magic[2] = { 0, 0 };
	ret->is_script = readable && pread(fd, magic, 2, 0) == 2 && magic[0] == '#' && magic[1] == '!';
	ret->fd = fd;
	sbx_strlcpy(ret->path, path, sizeof(ret->path));
	return 0;
}

static int program_error(int r, struct sbx_error *err)
{
	if (err)
		err->status = r == -ENOENT ? 127 : r == -EACCES ? 126 : 125;
	return r;
}

int sbx_program_open(const char *name, const char *search_path, struct sbx_program *ret, struct sbx_error *err)
{
	int r = sbx_program_lookup(name, search_path, ret, err);
	return r < 0 ? program_error(r, err) : r;
}

static int sbx_program_lookup(const char *name, const char *search_path, struct sbx_program *ret, struct sbx_error *err)
{
	ret->fd = -1;
	if (!name || !*name) {
		sbx_error_set(err, -ENOENT, "no program given");
		return -ENOENT;
	}
	if (strchr(name, '/')) {
		int r = open_candidate(name, ret);
		if (r == -ENOENT)
			sbx_error_set(err, r, "%s: no such file", name);
		else if (r < 0)
			sbx_error_set(err, r, "%s: not executable: %s", name, strerror(-r));
		return r;
	}
	if (!search_path || !*search_path)
		search_path = "/usr/local/bin:/usr/bin:/bin";
	int result = -ENOENT;
	const char *p = search_path;
	for (;;) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		char cand[4096];
		/* An empty entry means the current directory, as in the shell. */
		int n = dlen ? snprintf(cand, sizeof(cand), "%.*s/%s", (int)dlen, p, name)
			     : snprintf(cand, sizeof(cand), "./%s", name);
		if (n > 0 && (size_t)n < sizeof(cand)) {
			int r = open_candidate(cand, ret);
			if (r == 0)
				return 0;
			if (r == -EACCES)
				result = -EACCES; /* remember, keep looking */
		}
		if (!*end)
			break;
		p = end + 1;
	}
	if (result == -EACCES)
		sbx_error_set(err, result, "%s: found in PATH but not executable", name);
	else
		sbx_error_set(err, result, "%s: command not found", name);
	return result;
}
