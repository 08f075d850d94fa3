/* SPDX-License-Identifier: MIT */
#include "program.h"

#include <ctype.h>
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

/* The next whitespace-separated word of [*p, end) into out (cut to len); false at the end. */
static bool next_word(const char **p, const char *end, char *out, size_t len)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *e = s;
	while (e < end && !isspace((unsigned char)*e))
		e++;
	*p = e;
	if (e == s || (size_t)(e - s) >= len)
		return false;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return true;
}

/* NAME on path (a PATH value) as an executable regular file, into out; false if none. */
static bool find_on(const char *path, const char *name, char *out, size_t len)
{
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		struct stat st;
		int k = snprintf(out, len, "%.*s/%s", (int)(end - p), p, name);
		if (end > p && k > 0 && (size_t)k < len && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111))
			return true;
		if (!*end)
			return false;
		p = end + 1;
	}
}

/* The last line that is neither empty nor a comment: `exec "/PATH"` or `exec /PATH`. */
static void last_exec(const char *text, size_t n, char *execs, size_t elen)
{
	const char *end = text + n;
	while (end > text) {
		const char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		const char *s = start;
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end || *s == '#') {
			end = start > text ? start - 1 : text;
			continue;
		}
		char word[8], path[4096];
		if (!next_word(&s, end, word, sizeof(word)) || strcmp(word, "exec") != 0 ||
		    !next_word(&s, end, path, sizeof(path)))
			return;
		char *q = path;
		size_t l = strlen(q);
		if (l >= 2 && (q[0] == '"' || q[0] == '\'') && q[l - 1] == q[0]) {
			q[l - 1] = '\0';
			q++;
		}
		if (q[0] == '/' && !strpbrk(q, "$`\"'"))
			sbx_strlcpy(execs, q, elen);
		return;
	}
}

void sbx_program_script_needs(const char *text, size_t n, const char *env_path, char *interp, size_t ilen,
			      char *execs, size_t elen)
{
	interp[0] = execs[0] = '\0';
	if (n < 2 || text[0] != '#' || text[1] != '!')
		return;
	const char *eol = memchr(text, '\n', n);
	const char *p = text + 2, *end = eol ? eol : text + n;
	char word[4096], name[256] = "";
	if (!next_word(&p, end, word, sizeof(word)))
		return;
	const char *base = strrchr(word, '/');
	if (strcmp(base ? base + 1 : word, "env") != 0) {
		sbx_strlcpy(interp, word, ilen);
	} else {
		/* env's options (-S, -i ...) are left alone: NAME is the first other word. */
		while (next_word(&p, end, name, sizeof(name)) && name[0] == '-')
			name[0] = '\0';
		if (name[0] && name[0] != '-' && !strchr(name, '=') && !find_on(env_path, name, interp, ilen))
			snprintf(interp, ilen, "env %s", name);
	}
	if (eol)
		last_exec(eol + 1, n - (size_t)(eol + 1 - text), execs, elen);
}
