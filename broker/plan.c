/* SPDX-License-Identifier: MIT */
/* The launch plan (plan.h), built in one place. Each step below decides one part of the
 * launch from the policy and the configuration; sbx_plan_build() lists them in order. */
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker/env.h"
#include "broker/idrange.h"
#include "broker/policy/policy.h"
#include "broker/worker.h"
#include "common/protocol.h"
#include "common/util.h"

extern char **environ;

/* The program, found and opened as the caller. */
static int plan_program(struct sbx_plan *p, struct sbx_worker *w, const char *program, struct sbx_error *err)
{
	int r = sbx_program_open(program, getenv("PATH"), &p->prog, err);
	if (r < 0)
		return r;
	free(w->program);
	if (!(w->program = strdup(p->prog.path)))
		return -ENOMEM;
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "program: %s (fd %d%s)", p->prog.path, p->prog.fd,
		 p->prog.is_script ? ", script" : "");
	/* Reopened read-only inside through its canonical path (sandbox/launch.c). */
	if (!(p->program_path = realpath(p->prog.path, NULL))) {
		r = -errno;
		sbx_error_set(err, r, "%s: %s", p->prog.path, strerror(errno));
		return r;
	}
	return 0;
}

/* The sandbox's PATH (broker/env.c), where `#!/usr/bin/env NAME` looks inside. */
#define INSIDE_PATH "/usr/local/bin:/usr/bin:/bin"

/* " (e.g. /usr/bin/NAME)" when the program's own name is on the sandbox's PATH: usually what
 * the user wanted instead of a wrapper; else "". */
static void suggest_direct(const char *program, char *out, size_t len)
{
	const char *name = strrchr(program, '/');
	name = name ? name + 1 : program;
	out[0] = '\0';
	for (const char *d = INSIDE_PATH, *e; *d; d = *e ? e + 1 : e) {
		e = strchrnul(d, ':');
		char c[4096];
		struct stat st;
		int k = snprintf(c, sizeof(c), "%.*s/%s", (int)(e - d), d, name);
		if (k > 0 && (size_t)k < sizeof(c) && stat(c, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
			snprintf(out, len, " (e.g. %.4000s)", c);
			return;
		}
	}
}

/* The tree a version manager's shim target belongs to: pyenv's ~/.pyenv/libexec/pyenv needs the
 * rest of ~/.pyenv (rbenv, asdf alike), so the hidden folder above its libexec/ or bin/. Only
 * such a dot-folder below another folder: never a home, /home or a top-level folder, which a
 * sandbox tool must not tell anyone to show whole (false: say the target itself). */
static bool tool_home(const char *path, char *out, size_t len)
{
	if (snprintf(out, len, "%s", path) >= (int)len)
		return false;
	char *slash = strrchr(out, '/');
	if (!slash || slash == out)
		return false;
	*slash = '\0';
	char *dir = strrchr(out, '/');
	if (!dir || dir == out || (strcmp(dir + 1, "libexec") != 0 && strcmp(dir + 1, "bin") != 0))
		return false;
	*dir = '\0';
	const char *base = strrchr(out, '/');
	return base && base != out && base[1] == '.' && base[2] != '\0' && strcmp(base, "/..") != 0;
}

/* A #! script whose interpreter (or the program a shim ends by exec'ing) the sandbox does not
 * show would fail inside with a message about /dev/fd/N: say here what is missing (127). */
static int plan_script(struct sbx_plan *p, struct sbx_error *err)
{
	char text[4096], need[2][4096];
	ssize_t n = p->prog.is_script ? pread(p->prog.fd, text, sizeof(text), 0) : -1;
	if (n <= 0)
		return 0;
	/* A longer script: its last line is not in the window, whose last line may be cut in
	 * half. Only the #! line is looked at then. */
	struct stat st;
	const char *eol = memchr(text, '\n', (size_t)n);
	if (n == (ssize_t)sizeof(text) && eol && fstat(p->prog.fd, &st) == 0 && st.st_size > n)
		n = eol - text + 1;
	sbx_program_script_needs(text, (size_t)n, INSIDE_PATH, need[0], sizeof(need[0]), need[1], sizeof(need[1]));
	for (int i = 0; i < 2; i++) {
		if (!need[i][0])
			continue;
		_cleanup_free_ char *canon = strncmp(need[i], "env ", 4) == 0 ? NULL : realpath(need[i], NULL);
		if (canon && sbx_fs_plan_shows(&p->fs, canon))
			continue;
		char direct[4096 + 16];
		suggest_direct(p->prog.path, direct, sizeof(direct));
		char home[4096];
		if (!canon && strncmp(need[i], "env ", 4) == 0)
			sbx_error_set(err, -ENOENT, "%s: a script run by `%s`, which is not on the sandbox's PATH (%s); "
						    "run the interpreter directly%s", p->prog.path, need[i], INSIDE_PATH, direct);
		else if (i == 1 && canon && tool_home(canon, home, sizeof(home)))
			sbx_error_set(err, -ENOENT, "%s: a shim that ends by running %s, which is not visible inside the "
						    "sandbox; add --ro %s (the tree it belongs to) or run the program directly%s",
				      p->prog.path, canon, home, direct);
		else
			sbx_error_set(err, -ENOENT, "%s: a script whose interpreter %s is not visible inside the sandbox; "
						    "add --ro %s or run the interpreter directly%s",
				      p->prog.path, need[i], canon ? canon : need[i], direct);
		if (err)
			err->status = 127;
		return -ENOENT;
	}
	return 0;
}

/* Identity: inside uid == host uid; the caller's own when unprivileged, never root. */
static int plan_identity(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	const struct sbx_config *cfg = w->cfg;
	p->privileged = geteuid() == 0;
	p->uid = p->privileged ? cfg->host_uid : geteuid();
	p->gid = p->privileged ? cfg->host_gid : getegid();
	if (cfg->range_set) {
		w->id_offset = sbx_idrange_take(cfg->range_uid, cfg->range_count, &w->id_lock);
		if (w->id_offset < 0) {
			int r = w->id_offset;
			sbx_error_set(err, r, "no free id in the range %u+%u: %s", (unsigned)cfg->range_uid,
				      (unsigned)cfg->range_count, strerror(-r));
			return r;
		}
		p->uid = cfg->range_uid + (uid_t)w->id_offset;
		p->gid = cfg->range_gid + (gid_t)w->id_offset;
	}
	if (p->uid == 0 || p->gid == 0) {
		sbx_error_set(err, -EPERM, "refusing to map the worker to host uid/gid 0");
		return -EPERM;
	}
	if (!p->privileged && cfg->host_id_set && !cfg->range_set) {
		sbx_error_set(err, -EPERM, "choosing the worker's host uid needs root (running as uid %u)",
			      (unsigned)p->uid);
		return -EPERM;
	}
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "user namespace: uid %u gid %u inside, the same on the host%s",
		 (unsigned)p->uid, (unsigned)p->gid, p->privileged ? " (sbx runs as root)" : "");
	return 0;
}

/* The granted paths (policy, --ro, --rw) as the caller would use them. As root: idmapped
 * (broker/idmap.h), a path whose filesystem refuses it bound as before, with a warning. An
 * unprivileged caller with a subordinate range runs a worker that is not itself, and the kernel
 * idmaps host mounts only for root: a writable path then is writable only as far as the
 * worker's uid may write, which the caller is told. */
static int plan_idmap(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	struct sbx_fs_plan *fs = &p->fs;
	int r;
	if (p->privileged && (r = sbx_fs_plan_idmap(fs, geteuid(), getegid(), p->uid, p->gid, err)) < 0)
		return r;
	for (size_t i = fs->first_granted; i < fs->n; i++) {
		const struct sbx_mount_entry *e = &fs->entries[i];
		bool rw = e->op == SBX_MNT_BIND_RW;
		if ((!rw && e->op != SBX_MNT_BIND_RO) || e->tree >= 0)
			continue;
		if (p->privileged && fs->no_idmap[i])
			sbx_logf(w->log, w->log_userdata, SBX_LOG_WARNING,
				 "rw %s: not shown as yours, since it holds %s, which the worker would then own; it "
				 "uses the path as uid %u, and what it creates there belongs to that uid",
				 e->source, fs->no_idmap[i], (unsigned)p->uid);
		else if (p->privileged)
			sbx_logf(w->log, w->log_userdata, SBX_LOG_WARNING,
				 "%s %s: its filesystem cannot be idmapped: the worker uses it as uid %u, not as you%s",
				 rw ? "rw" : "ro", e->source, (unsigned)p->uid,
				 rw ? ", and what it creates there belongs to that uid" : "");
		else if (rw && w->cfg->range_set)
			sbx_logf(w->log, w->log_userdata, SBX_LOG_WARNING,
				 "rw %s: the worker runs as uid %u of your subordinate range, not as you (uid %u), and only "
				 "root may idmap a path: it writes there only what uid %u may, and what it creates belongs "
				 "to uid %u on the host", e->source, (unsigned)p->uid, (unsigned)geteuid(),
				 (unsigned)p->uid, (unsigned)p->uid);
	}
	return 0;
}

static rlim_t clamp_to_hard(int resource, uint64_t want)
{
	struct rlimit cur;
	if (getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && want > cur.rlim_max)
		return cur.rlim_max;
	return (rlim_t)want;
}

/* The caller's value, else the policy's, else def. SBX_UNSET means "not said" in both. */
static uint64_t pick(uint64_t caller, uint64_t policy, uint64_t def)
{
	return caller != SBX_UNSET ? caller : policy != SBX_UNSET ? policy : def;
}

/* Limits: resolved once here; nothing after this sees an unset value. */
static void plan_limits(struct sbx_plan *p, struct sbx_worker *w)
{
	const struct sbx_config *cfg = w->cfg;
	struct sbx_policy_limits pl = { SBX_UNSET, SBX_UNSET, SBX_UNSET, SBX_UNSET, SBX_UNSET };
	if (w->policy)
		sbx_policy_limits(w->policy, &pl);
	p->memory = pick(cfg->memory, pl.memory, 0);
	p->pids = pick(cfg->pids, pl.pids, 0);
	/* A pids limit of N is the program's: it and its descendants. sbx's init is pid 1 beside
	 * them, in the same pids group and of the same uid in the same user namespace (counted by
	 * RLIMIT_NPROC), so both get N + 1. Without it, N = 1 failed init's fork of the program
	 * where a pids group is had (root) and let the program run where only the rlimit is
	 * (unprivileged: applied after that fork). */
	if (p->pids)
		p->pids++;
	p->time_ms = pick(cfg->time_limit_ms, pl.time_ms, 0);
	p->rl = (struct sbx_rlimits){
		.as = clamp_to_hard(RLIMIT_AS, p->memory ? p->memory : SBX_DEFAULT_AS),
		.nproc = clamp_to_hard(RLIMIT_NPROC, p->pids ? p->pids : SBX_DEFAULT_NPROC),
		.nofile = clamp_to_hard(RLIMIT_NOFILE, pick(SBX_UNSET, pl.nofile, SBX_DEFAULT_NOFILE)),
		.fsize = clamp_to_hard(RLIMIT_FSIZE, pick(SBX_UNSET, pl.fsize, SBX_DEFAULT_FSIZE)),
		.core = 0,
	};
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "rlimits: as=%llu nproc=%llu nofile=%llu fsize=%llu core=0",
		 (unsigned long long)p->rl.as, (unsigned long long)p->rl.nproc, (unsigned long long)p->rl.nofile,
		 (unsigned long long)p->rl.fsize);
}

void sbx_plan_memory_bound(const struct sbx_plan *p, bool memory_group, char *buf, size_t len)
{
	const uint64_t mib = 1 << 20;
	if (memory_group) {
		snprintf(buf, len, "memory: %llu MiB in total, the memory cgroup's limit (every process and the "
			 "tmpfs pages they write)", (unsigned long long)(p->memory / mib));
		return;
	}
	/* Without a group the kernel holds only each process to RLIMIT_AS; RLIMIT_NPROC caps the
	 * processes, and tmpfs pages belong to no process. */
	uint64_t tmpfs = 0;
	for (size_t i = 0; i < p->fs.n; i++)
		if (p->fs.entries[i].op == SBX_MNT_TMPFS)
			tmpfs += p->fs.entries[i].size;
	unsigned long long as = p->rl.as / mib, n = p->rl.nproc, t = tmpfs / mib;
	snprintf(buf, len, "memory: no memory cgroup, so no total limit but RLIMIT_AS %llu MiB per process x %llu "
		 "processes (RLIMIT_NPROC) + %llu MiB of tmpfs = %llu MiB", as, n, t, as * n + t);
}

/* A read-only regular file on stdin (or 1, 2) could otherwise be reopened for writing through
 * /proc/self/fd/0 by a worker that owns it: note its path, the sandbox reopens it read-only. */
static bool ro_regular(int fd, struct stat *st)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_ACCMODE) == O_RDONLY && fstat(fd, st) == 0 && S_ISREG(st->st_mode);
}

bool sbx_plan_stdio_plain(int fd)
{
	struct stat st;
	return !isatty(fd) && !ro_regular(fd, &st);
}

static int plan_stdio(struct sbx_plan *p, const struct sbx_worker *w, struct sbx_error *err)
{
	for (int i = 0; i < 3; i++) {
		struct stat st, again;
		int fd = w->stdio[i] >= 0 ? w->stdio[i] : i; /* a job's own, else the caller's */
		if (!ro_regular(fd, &st))
			continue;
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		p->stdio_ro[i] = realpath(link, NULL);
		if (!p->stdio_ro[i] || stat(p->stdio_ro[i], &again) < 0 || again.st_dev != st.st_dev ||
		    again.st_ino != st.st_ino) {
			sbx_error_set(err, -ESTALE, "fd %d is a file sbx cannot reopen read-only (deleted or unreachable); "
						    "pass it through a pipe instead", i);
			return -ESTALE;
		}
	}
	return 0;
}

/* The caller's working directory, when the sandbox shows it at the same path (a --ro/--rw or
 * policy path, /usr): the program starts there, as it would outside; else at the root. */
static void plan_cwd(struct sbx_plan *p, struct sbx_worker *w)
{
	struct stat here, there;
	char *cwd = getcwd(NULL, 0);
	/* getcwd names the directory canonically; a removed or unreachable one is left out. */
	if (cwd && sbx_fs_plan_shows(&p->fs, cwd) && stat(".", &here) == 0 && stat(cwd, &there) == 0 &&
	    here.st_dev == there.st_dev && here.st_ino == there.st_ino) {
		p->cwd = cwd;
		sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "working directory: %s", cwd);
		return;
	}
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "working directory: / (%s is not visible inside)",
		 cwd ? cwd : "the caller's");
	free(cwd);
}

/* An argument that names a file the program will not find: one in the caller's working directory
 * when the sandbox does not show it (the program starts at /), or an absolute path the sandbox
 * does not show. A new user's first `sbx -- cat notes.txt` otherwise fails inside with a bare
 * "No such file or directory". Said once, for the first such argument; options and NAME=VALUE
 * words are left alone, and so is what the sandbox has of its own at a path (its /etc/passwd,
 * /dev/null, /proc). A notice: -q silences it. */
/* Whether path is a FILE resource's or below a DIR resource's (the configuration's or the
 * policy's): the program reaches it through its fd or the broker, not the mounts. */
static bool granted(const struct sbx_worker *w, const char *path)
{
	const struct sbx_policy_resource *pr = NULL;
	size_t n_pr = w->policy ? sbx_policy_resources(w->policy, &pr) : 0;
	for (size_t i = 0; i < w->cfg->n_res + n_pr; i++) {
		const struct sbx_resource *r = i < w->cfg->n_res ? &w->cfg->res[i] : &pr[i - w->cfg->n_res].res;
		size_t n = r->target ? strlen(r->target) : 0;
		if ((r->kind == SBX_RES_FILE && n && strcmp(path, r->target) == 0) ||
		    (r->kind == SBX_RES_DIR && n && strncmp(path, r->target, n) == 0 &&
		     (path[n] == '/' || path[n] == '\0' || r->target[n - 1] == '/')))
			return true;
	}
	return false;
}

void sbx_plan_hint_hidden(const struct sbx_plan *p, struct sbx_worker *w, char *const argv[])
{
	struct stat st;
	for (size_t i = 1; argv[i]; i++) {
		const char *a = argv[i];
		if (a[0] == '-' || strchr(a, '=') || !a[0] || lstat(a, &st) < 0)
			continue;
		if (a[0] != '/' && !p->cwd) {
			char *cwd = getcwd(NULL, 0);
			sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE,
				 "'%s' is in the working directory %s, which the sandbox does not show (the program "
				 "starts at /): add --ro . (or --rw .) to show it",
				 a, cwd ? cwd : "");
			free(cwd);
			return;
		}
		if (a[0] != '/')
			continue;
		/* As the host resolves it: /tmp/../data/x is /data/x, and a link is shown at its
		 * target, which is what --ro would bind. */
		char *canon = realpath(a, NULL);
		if (canon && sbx_fs_plan_hides(&p->fs, canon) && !granted(w, canon) && !granted(w, a)) {
			bool same = strcmp(canon, a) == 0;
			sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE,
				 "'%s'%s%s%s is not visible inside the sandbox%s: add --ro %s (or --rw) to show it", a,
				 same ? "" : ", on the host ", same ? "" : canon, same ? "" : ",",
				 strncmp(canon, "/tmp/", 5) == 0 ? " (its /tmp is its own)" : "", canon);
			free(canon);
			return;
		}
		free(canon);
	}
}

/* The layers this place lacks, left out only when the caller or the policy allowed it
 * (fallback.h); probed once per process, named once per launch. */
static int plan_fallback(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	sbx_fallback_none(&p->fb);
	if (!w->cfg->fallback && !(w->policy && sbx_policy_fallback(w->policy)))
		return 0;
	const struct sbx_env *env = sbx_env_cached();
	int r = env ? sbx_fallback_decide(&p->fb, env) : -ECHILD;
	if (r < 0) {
		sbx_error_set(err, r, "fallback: %s", env ? p->fb.text : "cannot probe this place (fork failed)");
		return r;
	}
	if (p->fb.missing)
		sbx_logf(w->log, w->log_userdata, SBX_LOG_WARNING,
			 "fallback: this place lacks %s; running with every other layer (sbx doctor explains)", p->fb.text);
	return 0;
}

int sbx_plan_landlock_decide(bool dir_grants, long landlock_abi, bool fallback, char *why, size_t len)
{
	if (!dir_grants || landlock_abi >= 1)
		return 0;
	snprintf(why, len, "Landlock (the kernel lacks it, and a directory grant's file reopened through "
		 "/proc/self/fd could gain a mode the grant does not give)");
	return fallback ? 1 : -EOPNOTSUPP;
}

/* A worker with directory grants needs Landlock; --fallback runs without it, saying so. */
static int plan_landlock_check(struct sbx_plan *p, struct sbx_worker *w, struct sbx_error *err)
{
	bool dirs = false;
	for (size_t i = 0; i < w->grants.n; i++)
		dirs = dirs || w->grants.res[i].kind == SBX_RES_DIR;
	if (!dirs)
		return 0;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	sbx_logf(w->log, w->log_userdata, SBX_LOG_DEBUG, "directory grants: Landlock ABI %ld (required)", abi);
	char why[200];
	bool fallback = w->cfg->fallback || (w->policy && sbx_policy_fallback(w->policy));
	int r = sbx_plan_landlock_decide(dirs, abi, fallback, why, sizeof(why));
	if (r < 0)
		sbx_error_set(err, r, "directory grants need %s; --fallback runs without it", why);
	if (r == 1) {
		size_t n = strlen(p->fb.text);
		snprintf(p->fb.text + n, sizeof(p->fb.text) - n, "%s%s", n ? ", " : "", why);
		sbx_logf(w->log, w->log_userdata, SBX_LOG_WARNING, "fallback: this place lacks %s", why);
	}
	return r < 0 ? r : 0;
}

static int plan_env(struct sbx_plan *p, struct sbx_error *err)
{
	p->env[p->n_env] = NULL;
	int r = sbx_env_build(environ, p->env, &p->envp);
	if (r < 0)
		sbx_error_set(err, r, "building the environment: %s", strerror(-r));
	return r;
}

int sbx_plan_build(struct sbx_plan *p, struct sbx_worker *w, const char *program, struct sbx_error *err)
{
	int r;
	memset(p, 0, sizeof(*p));
	p->prog.fd = -1;
	bool have_tty = false;
	for (int i = 0; i < 3; i++)
		have_tty = have_tty || isatty(w->stdio[i] >= 0 ? w->stdio[i] : i);

	if ((r = plan_program(p, w, program, err)) < 0 ||
	    (r = plan_identity(p, w, err)) < 0 ||
	    (r = plan_fallback(p, w, err)) < 0)
		return r;
	plan_limits(p, w);
	if ((r = sbx_fs_plan_build(&p->fs, w->cfg, w->policy, p->uid, p->gid, have_tty, err)) < 0) {
		if (!err || !err->message)
			sbx_error_set(err, r, "preparing mounts: %s", strerror(-r));
		return r;
	}
	if ((r = plan_idmap(p, w, err)) < 0 ||
	    (r = plan_script(p, err)) < 0)
		return r;
	/* The program where the sandbox shows it (/usr, a granted path) is found there again
	 * inside, so that /proc/self/exe and a script's $0 name it as outside (launch.c); a
	 * hidden one stays hidden and runs by fd. */
	p->program_shown = sbx_fs_plan_shows(&p->fs, p->program_path);
	/* Resources, opened here with the broker's privileges, numbered 3.. inside. */
	if ((r = sbx_plan_open_grants(p, w, err)) < 0 ||
	    (r = plan_landlock_check(p, w, err)) < 0) /* on the grants just opened */
		return r;
	sbx_fs_plan_landlock(&p->fs, p->slots, p->slot_grant, p->n_slots, &w->grants);
	sbx_fallback_fs(&p->fb, &p->fs);
	plan_cwd(p, w);
	if ((r = plan_stdio(p, w, err)) < 0 ||
	    (r = plan_env(p, err)) < 0)
		return r;
	return 0;
}

/* Whether anything the worker writes lands on the host's filesystems: a writable path (idmapped
 * or not) or a writable file or directory grant. There a set-id file it made would outlive the
 * sandbox and run outside with its owner's rights (the caller's, or root's through an idmap),
 * whatever the mount's nosuid says inside (sandbox/setid.h). */
static bool writes_host(const struct sbx_plan *p, const struct sbx_worker *w)
{
	for (size_t i = 0; i < p->fs.n; i++)
		if (p->fs.entries[i].op == SBX_MNT_BIND_RW)
			return true;
	for (size_t i = 0; i < w->grants.n; i++) {
		const struct sbx_resource *r = &w->grants.res[i];
		if ((r->kind == SBX_RES_FILE || r->kind == SBX_RES_DIR) &&
		    (r->flags & (SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC)))
			return true;
	}
	return false;
}

void sbx_plan_launch_view(const struct sbx_plan *p, const struct sbx_worker *w, char *const argv[], int launch_fd,
			  int broker_fd, struct sbx_launch_plan *out, struct sbx_mount_plan *mounts,
			  struct sbx_ll_plan *landlock)
{
	*mounts = (struct sbx_mount_plan){ .entries = p->fs.entries, .n = p->fs.n };
	*landlock = (struct sbx_ll_plan){ .rules = p->fs.ll, .n = p->fs.n_ll };
	*out = (struct sbx_launch_plan){
		.launch_fd = launch_fd,
		.broker_fd = broker_fd,
		.program_fd = p->prog.fd,
		.program_is_script = p->prog.is_script,
		/* Under `exec none` the broker lets through exactly one exec, the launcher's by fd
		 * (notify.c): a script keeps that, and $0 reads /dev/fd/N. */
		.script_by_path = p->prog.is_script && (w->learn || !w->seccomp || !w->policy ||
							sbx_policy_exec_allowed(w->policy)),
		.slots = p->slots,
		.n_slots = p->n_slots,
		.program_path = p->program_path,
		.program_shown = p->program_shown,
		.cwd = p->cwd,
		.stdio_ro_path = { p->stdio_ro[0], p->stdio_ro[1], p->stdio_ro[2] },
		.stdio = { w->stdio[0], w->stdio[1], w->stdio[2] },
		.netns_shared = w->netns_fd >= 0,
		.argv = w->deferred ? NULL : argv,
		.deferred_job = w->deferred,
		.envp = p->envp,
		.uid = p->uid,
		.gid = p->gid,
		/* setgroups() is allowed inside when a privileged writer (root, or newgidmap) wrote
		 * the gid map: then drop the caller's supplementary groups. */
		.drop_groups = p->privileged || w->cfg->range_set,
		.hostname = "sbx",
		.mounts = mounts,
		.rlimits = p->rl,
		.forbid_setid = writes_host(p, w),
		.seccomp = w->seccomp,
		.landlock = landlock,
		.verbose = w->cfg->verbose,
		.skip_steps = p->fb.skip_steps,
		.no_userns = !p->fb.userns,
	};
}

void sbx_plan_free(struct sbx_plan *p)
{
	sbx_fs_plan_free(&p->fs);
	for (size_t i = 0; i < p->n_slots; i++)
		sbx_close(&p->slots[i].fd);
	p->n_slots = 0;
	for (size_t i = 0; i < p->n_env; i++)
		free(p->env[i]);
	p->n_env = 0;
	sbx_env_free(p->envp);
	p->envp = NULL;
	for (int fd = 0; fd < 3; fd++) {
		free(p->stdio_ro[fd]);
		p->stdio_ro[fd] = NULL;
	}
	sbx_close(&p->prog.fd);
	free(p->program_path);
	p->program_path = NULL;
	free(p->cwd);
	p->cwd = NULL;
}
