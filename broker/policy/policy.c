/* SPDX-License-Identifier: MIT */
/* Policy objects: loading files, finding shipped policies by name, and what the launcher reads
 * back (exec, mounts, limits). The language itself is parsed by parse.c and the files parse.h
 * lists (docs/policy.md). */
#include "policy-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/export.h"
#include "common/util.h"
#include "config.h"

#ifndef SBX_POLICY_DIRS
#define SBX_POLICY_DIRS "/usr/local/share/sbx/policies"
#endif

extern const char sbx_default_policy_text[];
extern const size_t sbx_default_policy_text_len;

void sbx_policy_diag_set(struct sbx_policy_diag *d, const char *file, unsigned line, unsigned col,
			 const char *fmt, ...)
{
	if (!d)
		return;
	sbx_strlcpy(d->file, file ? file : "", sizeof(d->file));
	d->line = line;
	d->col = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}

void sbx_policy_diag_format(const struct sbx_policy_diag *d, char *buf, size_t len)
{
	if (d->file[0] && d->line)
		snprintf(buf, len, "%s:%u:%u: %s", d->file, d->line, d->col, d->message);
	else if (d->file[0])
		snprintf(buf, len, "%s: %s", d->file, d->message);
	else
		snprintf(buf, len, "%s", d->message);
}

struct sbx_policy *sbx_policy_ref(struct sbx_policy *p)
{
	if (p)
		__atomic_add_fetch(&p->extra_refs, 1, __ATOMIC_RELAXED);
	return p;
}

SBX_EXPORT void sbx_policy_free(struct sbx_policy *p)
{
	if (!p)
		return;
	/* Another owner (a worker spawned under this policy) still uses it. */
	unsigned refs = __atomic_load_n(&p->extra_refs, __ATOMIC_ACQUIRE);
	while (refs > 0)
		if (__atomic_compare_exchange_n(&p->extra_refs, &refs, refs - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return;
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].alts);
		free(p->rules[i].cond);
	}
	free(p->rules);
	for (size_t i = 0; i < p->n_mounts; i++)
		free((char *)p->mounts[i].path);
	free(p->mounts);
	for (size_t i = 0; i < p->n_resources; i++)
		sbx_resource_clear(&p->resources[i].res);
	free(p->resources);
	for (size_t i = 0; i < p->n_params; i++) {
		free(p->params[i].name);
		free(p->params[i].value);
	}
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}

int sbx_policy_read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (st.st_size > SBX_POLICY_MAX_BYTES)
		return -EFBIG;
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret = sbx_steal_ptr(&buf);
	*ret_len = got;
	return 0;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether the running program is the sbx command, which alone looks beside itself. */
static bool beside_exe;

void sbx_policy_search_beside_exe(void)
{
	beside_exe = true;
}

/* The build tree's source policies: the one line of the file sbx-policy-path beside the running
 * binary, which only a build tree holds (meson install does not copy it). Only for the sbx
 * command (sbx_policy_search_beside_exe): a service that embeds libsbx never takes its policies
 * from a file that happens to lie beside its own binary. Not for a program that gained
 * privileges at exec (file capabilities, setuid): AT_SECURE, as secure_getenv. */
static int build_tree_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	if (!beside_exe || getauxval(AT_SECURE))
		return -ENOENT;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash || (size_t)(slash - exe) + sizeof("/sbx-policy-path") > sizeof(exe))
		return -ENOENT;
	strcpy(slash, "/sbx-policy-path");
	_cleanup_close_ int fd = open(exe, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t got = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (got <= 0)
		return -ENOENT;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] == '/' ? 0 : -ENOENT;
}

/* The folders shipped policies are looked up in, ':'-separated. SBX_POLICY_PATH first: how the
 * build tree's binary and tests find the source tree's policies, which an installed sbx never
 * searches on its own. secure_getenv: a program running with file capabilities or setuid
 * ignores it. */
static void policy_dirs(char *buf, size_t len)
{
	const char *extra = secure_getenv("SBX_POLICY_PATH");
	char beside[PATH_MAX] = "";
	if (!extra && build_tree_dir(beside, sizeof(beside)) == 0)
		extra = beside;
	snprintf(buf, len, "%s%s%s", extra ? extra : "", extra ? ":" : "", SBX_POLICY_DIRS);
}

/* A name is looked up as NAME.policy, first relative to relative_to_dir (the including file's
 * directory) when given, then in every policy directory. A name containing a slash that starts
 * with '/' or '.' is a path and nothing else. */
int sbx_policy_resolve(const char *path_or_name, const char *relative_to_dir, char *buf, size_t len)
{
	bool explicit_path = path_or_name[0] == '/' || strncmp(path_or_name, "./", 2) == 0 ||
			     strncmp(path_or_name, "../", 3) == 0;
	size_t nl = strlen(path_or_name);
	const char *suffix = nl > 7 && strcmp(path_or_name + nl - 7, ".policy") == 0 ? "" : ".policy";
	if (explicit_path) {
		if (path_or_name[0] == '/' || !relative_to_dir) {
			if (sbx_strlcpy(buf, path_or_name, len) >= len)
				return -ENAMETOOLONG; /* a cut path could name another file */
		} else if ((size_t)snprintf(buf, len, "%s/%s", relative_to_dir, path_or_name) >= len)
			return -ENAMETOOLONG;
		if (is_file(buf))
			return 0;
		char alt[PATH_MAX];
		if ((size_t)snprintf(alt, sizeof(alt), "%s%s", buf, suffix) < sizeof(alt) && is_file(alt)) {
			sbx_strlcpy(buf, alt, len);
			return 0;
		}
		return -ENOENT;
	}
	if (relative_to_dir) {
		if ((size_t)snprintf(buf, len, "%s/%s%s", relative_to_dir, path_or_name, suffix) < len &&
		    is_file(buf))
			return 0;
	} else if (is_file(path_or_name)) {
		/* `sbx --policy my.policy` names a file in the current directory. */
		return sbx_strlcpy(buf, path_or_name, len) < len ? 0 : -ENAMETOOLONG;
	}
	char dirs[4096];
	policy_dirs(dirs, sizeof(dirs));
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(buf, len, "%s/%s%s", d, path_or_name, suffix) >= len)
			continue;
		if (is_file(buf))
			return 0;
	}
	return -ENOENT;
}

static struct sbx_policy *policy_new(const char *name)
{
	struct sbx_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	sbx_strlcpy(p->file, name, sizeof(p->file));
	p->exec = -1;
	p->limits = (struct sbx_policy_limits){ SBX_UNSET, SBX_UNSET, SBX_UNSET, SBX_UNSET, SBX_UNSET };
	return p;
}

static void dirname_of(const char *path, char *buf, size_t len)
{
	sbx_strlcpy(buf, path, len);
	char *slash = strrchr(buf, '/');
	if (slash == buf)
		buf[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		sbx_strlcpy(buf, ".", len);
}

static int parse_text(const char *name, const char *text, size_t len, const struct sbx_policy_param *params,
		      size_t n_params, const struct sbx_policy_reporter *rep, struct sbx_policy **ret,
		      struct sbx_policy_diag *diag)
{
	struct sbx_policy *p = policy_new(name);
	if (!p)
		return -ENOMEM;
	/* In-memory text has no directory: its includes come from the policy directories. */
	int r = sbx_policy_parse_internal(p, name, NULL, text, len, params, n_params, rep, diag);
	if (r < 0) {
		sbx_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* The shipped policy whose name is closest to `name` ("pcapp" -> "pcap"), copied into buf;
 * false when none is close. Names are those of the policy directories (and their base/). */
static bool suggest_shipped(const char *name, char *buf, size_t len)
{
	enum { MAX_NAMES = 128 };
	char store[MAX_NAMES][64];
	const char *names[MAX_NAMES + 1];
	size_t n = 0;
	char dirs[4096];
	policy_dirs(dirs, sizeof(dirs));
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		for (int sub = 0; sub < 2; sub++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s%s", d, sub ? "/base" : "");
			DIR *dir = opendir(path);
			if (!dir)
				continue;
			for (struct dirent *e; n < MAX_NAMES && (e = readdir(dir));) {
				size_t l = strlen(e->d_name);
				if (l <= 7 || l - 7 >= sizeof(store[0]) - 5 || strcmp(e->d_name + l - 7, ".policy") != 0)
					continue;
				snprintf(store[n], sizeof(store[n]), "%s%.*s", sub ? "base/" : "", (int)(l - 7), e->d_name);
				names[n] = store[n];
				n++;
			}
			closedir(dir);
		}
	}
	names[n] = NULL;
	const char *sug = sbx_suggest(name, names);
	if (sug)
		sbx_strlcpy(buf, sug, len);
	return sug != NULL;
}

int sbx_policy_parse(const char *name, const char *text, size_t len,
		     const struct sbx_policy_param *params, size_t n_params,
		     struct sbx_policy **ret, struct sbx_policy_diag *diag)
{
	return parse_text(name, text, len, params, n_params, NULL, ret, diag);
}

int sbx_policy_parse_all(const char *name, const char *text, size_t len, const struct sbx_policy_param *params,
			 size_t n_params, const struct sbx_policy_reporter *rep, struct sbx_policy **ret)
{
	struct sbx_policy_diag d = { .file = "" };
	return parse_text(name, text, len, params, n_params, rep, ret, &d);
}

/* A diagnostic set outside the parse goes to rep too, so that with rep every one goes there. */
static int load_failed(int r, const struct sbx_policy_reporter *rep, const struct sbx_policy_diag *diag)
{
	if (rep)
		rep->fn(diag, rep->userdata);
	return r;
}

static int load(const char *path_or_name, const struct sbx_policy_param *params, size_t n_params,
		const struct sbx_policy_reporter *rep, struct sbx_policy **ret, struct sbx_policy_diag *diag)
{
	char path[PATH_MAX];
	int r = sbx_policy_resolve(path_or_name, NULL, path, sizeof(path));
	struct stat st;
	/* Something is there but it is no file to read (a FIFO: never opened, reading it could
	 * block): say what it is rather than "no such policy file". */
	if (r < 0 && stat(path_or_name, &st) == 0 && !S_ISREG(st.st_mode)) {
		sbx_policy_diag_set(diag, path_or_name, 0, 0, "%s, not a policy file (a policy is a regular file)",
				    sbx_file_kind(st.st_mode));
		return load_failed(S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, rep, diag);
	}
	if (r < 0) {
		char sug[64], dirs[4096];
		policy_dirs(dirs, sizeof(dirs));
		if (path_or_name[0] != '/' && path_or_name[0] != '.' && suggest_shipped(path_or_name, sug, sizeof(sug)))
			sbx_policy_diag_set(diag, path_or_name, 0, 0, "no such policy file, and no policy of that "
					    "name in %s (did you mean '%s'?)", dirs, sug);
		else
			sbx_policy_diag_set(diag, path_or_name, 0, 0,
					    "no such policy file, and no policy of that name in %s", dirs);
		return load_failed(r, rep, diag);
	}
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	r = sbx_policy_read_file(path, &text, &len);
	if (r < 0) {
		sbx_policy_diag_set(diag, path, 0, 0, "cannot read policy: %s", strerror(-r));
		return load_failed(r, rep, diag);
	}
	struct sbx_policy *p = policy_new(path);
	if (!p)
		return -ENOMEM;
	char dir[PATH_MAX];
	dirname_of(path, dir, sizeof(dir));
	r = sbx_policy_parse_internal(p, path, dir, text, len, params, n_params, rep, diag);
	if (r < 0) {
		sbx_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int sbx_policy_load(const char *path_or_name, const struct sbx_policy_param *params, size_t n_params,
		    struct sbx_policy **ret, struct sbx_policy_diag *diag)
{
	return load(path_or_name, params, n_params, NULL, ret, diag);
}

int sbx_policy_load_all(const char *path_or_name, const struct sbx_policy_param *params, size_t n_params,
			const struct sbx_policy_reporter *rep, struct sbx_policy **ret)
{
	struct sbx_policy_diag d = { .file = "" };
	return load(path_or_name, params, n_params, rep, ret, &d);
}

int sbx_policy_default(struct sbx_policy **ret, struct sbx_policy_diag *diag)
{
	return sbx_policy_parse("<default policy>", sbx_default_policy_text, sbx_default_policy_text_len,
				NULL, 0, ret, diag);
}

const char *sbx_policy_file(const struct sbx_policy *p)
{
	return p->file;
}

bool sbx_policy_fallback(const struct sbx_policy *p)
{
	return p->fallback;
}

bool sbx_policy_exec_allowed(const struct sbx_policy *p)
{
	return p->exec != 0;
}

size_t sbx_policy_mounts(const struct sbx_policy *p, const struct sbx_policy_mount **ret)
{
	*ret = p->mounts;
	return p->n_mounts;
}

void sbx_policy_limits(const struct sbx_policy *p, struct sbx_policy_limits *ret)
{
	*ret = p->limits;
}

const char *sbx_policy_name(const struct sbx_policy *p)
{
	return p->file;
}

size_t sbx_policy_resources(const struct sbx_policy *p, const struct sbx_policy_resource **ret)
{
	*ret = p->resources;
	return p->n_resources;
}
