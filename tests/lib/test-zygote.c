/* SPDX-License-Identifier: MIT */
/* A pool's zygote (sbx_pool_use_zygote, sbx.h "Pools"), through the public API, as the caller
 * runs it (meson runs it as root and as uid 65534): jobs of the zygote's program start on it,
 * several at once, with their arguments, stdin, stdout and exit status; each job is pid 2 under
 * its own "sbx-init", in user, mount, pid, ipc and uts namespaces of its own, with an empty /tmp
 * and /dev/shm and no nested user namespaces; a job's time limit and violation end that job
 * only; a zygote killed from outside does not take the next job with it; a configuration with
 * resources has no zygote and its jobs start cold; a changed configuration gets a new zygote,
 * and so does a change of the caller's environment, working directory or program file; a job
 * killed during its setup, with its zygote, is reported killed; freeing the pool leaves no process. Whether a job ran on the zygote is what the pool logs
 * for it. Usage: test-zygote [PROBE] (tests/probe.c, for a violation; else $PROBE). TAP. */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sbx.h"
#include "pooltest.h"

static struct event_base *base;
static unsigned zygote_jobs;   /* "the job runs on the zygote" lines the pool logged */
static unsigned zygotes_made;  /* "a zygote for" lines */
static unsigned zygote_stops;  /* "no zygote (" lines */
static unsigned zygote_ends;   /* "the zygote ended" lines */
static pid_t zygote_pid = -1;  /* the last zygote's host pid, as logged */
static pid_t job_pids[64];     /* the jobs' inits, to see them gone at the end */
static int n_job_pids;

static void on_log(enum sbx_log_level level, const char *message, void *userdata)
{
	(void)level, (void)userdata;
	const char *p;
	if (strstr(message, "the job runs on the zygote"))
		zygote_jobs++;
	if (strstr(message, "pool: a zygote for ") && (p = strstr(message, "(host pid "))) {
		zygotes_made++;
		zygote_pid = (pid_t)atoi(p + 10);
	}
	if (strstr(message, "pool: no zygote ("))
		zygote_stops++;
	if (strstr(message, "the zygote ended"))
		zygote_ends++;
	if (getenv("TEST_ZYGOTE_VERBOSE"))
		printf("# log: %s\n", message);
}

static bool is_child(pid_t pid)
{
	pid_t kids[64];
	int n = children(kids, 64);
	for (int i = 0; i < n; i++)
		if (kids[i] == pid)
			return true;
	return false;
}

/* Run the loop for about seconds. */
static void spin(double seconds)
{
	double end = now() + seconds;
	while (now() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
}

struct job {
	struct sbx_worker *w;
	int out_fd; /* the read end of its stdout */
	bool exited, on_zygote;
	struct sbx_exit e;
	char message[512], syscall[256];
	char out[8192];
};

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct job *j = userdata;
	j->exited = true;
	j->e = *e;
	snprintf(j->message, sizeof(j->message), "%s", e->message);
	snprintf(j->syscall, sizeof(j->syscall), "%s", e->syscall);
	j->e.message = j->message;
	j->e.syscall = j->syscall;
}

static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb };

/* Start one job of program with argv, stdin from in (-1: /dev/null), its stdout a pipe of ours.
 * j->on_zygote: whether the pool logged that it runs on the zygote. */
static int start(struct sbx_pool *pool, const char *program, char *const argv[], int in, struct job *j,
		 struct sbx_error *err)
{
	memset(j, 0, sizeof(*j));
	j->out_fd = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int stdio[3] = { in >= 0 ? in : null, p[1], null };
	unsigned before = zygote_jobs;
	int r = sbx_pool_spawn(pool, program, argv, stdio, &callbacks, j, &j->w, err);
	j->on_zygote = r == 0 && zygote_jobs == before + 1;
	if (r == 0 && n_job_pids < 64)
		job_pids[n_job_pids++] = sbx_worker_pid(j->w);
	close(p[1]);
	close(null);
	if (r == 0)
		j->out_fd = p[0];
	else
		close(p[0]);
	return r;
}

/* Append what j's stdout holds now to j->out. */
static void drain(struct job *j)
{
	size_t len = strlen(j->out);
	ssize_t k;
	if (j->out_fd < 0)
		return;
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	while (len + 1 < sizeof(j->out) && (k = read(j->out_fd, j->out + len, sizeof(j->out) - 1 - len)) > 0)
		len += (size_t)k;
	j->out[len] = '\0';
}

/* Run the loop until j's stdout has text (at most 20 s). */
static bool wait_output(struct job *j, const char *text)
{
	double end = now() + 20;
	for (drain(j); !strstr(j->out, text) && !j->exited && now() < end; drain(j)) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	return strstr(j->out, text) != NULL;
}

/* Run the loop until the n jobs have exited (at most 30 s), then read their stdout, free them. */
static void finish(struct job *jobs, int n)
{
	double end = now() + 30;
	for (int i = 0; i < n; i++)
		while (jobs[i].w && !jobs[i].exited && now() < end)
			event_base_loop(base, EVLOOP_ONCE);
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		drain(j);
		if (j->out_fd >= 0)
			close(j->out_fd);
		j->out_fd = -1;
		sbx_worker_free(j->w);
		j->w = NULL;
	}
}

/* One job of program, run to its end. */
static int run_program(struct sbx_pool *pool, const char *program, char *const argv[], struct job *j,
		       struct sbx_error *err)
{
	int r = start(pool, program, argv, -1, j, err);
	finish(j, 1);
	return r;
}

static int run(struct sbx_pool *pool, char *const argv[], struct job *j, struct sbx_error *err)
{
	return run_program(pool, "/bin/sh", argv, j, err);
}

static void make(struct sbx_pool *pool)
{
	struct sbx_error err = SBX_ERROR_INIT;
	int r = sbx_pool_use_zygote(pool, "/bin/sh", &err);
	ok(r == 0, "sbx_pool_use_zygote(/bin/sh) under the default configuration (%d: %s)", r,
	   err.message ? err.message : "");
	ok(sbx_pool_has_zygote(pool), "sbx_pool_has_zygote: true");
	ok(zygotes_made == 1 && zygote_pid > 0 && is_child(zygote_pid),
	   "the pool logged one zygote, whose host pid %d is our child", (int)zygote_pid);
	printf("# the pool shares a network namespace: %d\n", sbx_pool_shares_netns(pool));
	sbx_error_free(&err);
}

/* Several jobs at once, each with its arguments, a line on its stdin, its stdout and exit code. */
static void jobs(struct sbx_pool *pool)
{
	enum { N = 4 };
	static struct job j[N];
	struct sbx_error err = SBX_ERROR_INIT;
	unsigned made = zygotes_made;
	int in[N], started = 0, on = 0;
	char name[N][16], code[N][8];
	for (int i = 0; i < N; i++) {
		int p[2];
		snprintf(name[i], sizeof(name[i]), "job-%d", i);
		snprintf(code[i], sizeof(code[i]), "%d", 3 + i);
		char *argv[] = { "sh", "-c", "read l; echo \"arg=$0 code=$1 in=$l\"; exit $1", name[i], code[i], NULL };
		in[i] = pipe2(p, O_CLOEXEC) == 0 ? p[1] : -1;
		if (in[i] < 0 || start(pool, "/bin/sh", argv, p[0], &j[i], &err) != 0)
			diag("spawn", err.message ? err.message : "pipe");
		else
			started++, on += j[i].on_zygote;
		if (in[i] >= 0)
			close(p[0]);
	}
	ok(started == N && on == N && zygotes_made == made, "%d jobs at once, each logged as running on the zygote (%d, %d)",
	   N, started, on);
	for (int i = N - 1; i >= 0; i--) { /* in reverse: each waits for its own line */
		char line[64];
		int n = snprintf(line, sizeof(line), "line %d from the caller\n", i);
		if (in[i] >= 0) {
			(void)!write(in[i], line, (size_t)n);
			close(in[i]);
		}
	}
	finish(j, N);
	int good_out = 0, good_exit = 0;
	for (int i = 0; i < N; i++) {
		char want[128];
		snprintf(want, sizeof(want), "arg=job-%d code=%d in=line %d from the caller\n", i, 3 + i, i);
		good_out += strcmp(j[i].out, want) == 0;
		good_exit += j[i].exited && j[i].e.kind == SBX_EXIT_EXITED && j[i].e.code == 3 + i && j[i].e.status == 3 + i;
		if (strcmp(j[i].out, want) != 0)
			diag("output", j[i].out);
	}
	ok(good_out == N, "each got its arguments and its stdin, and wrote to its stdout (%d of %d)", good_out, N);
	ok(good_exit == N, "each one's exit code reached its exit callback (%d of %d; first: kind %d code %d)", good_exit,
	   N, j[0].e.kind, j[0].e.code);
	/* The zygote's program file is the job's: another program is not run by the zygote. */
	char *echo[] = { "echo", "cold", NULL };
	unsigned before = zygote_jobs;
	struct job k;
	int r = start(pool, "/bin/echo", echo, -1, &k, &err);
	finish(&k, 1);
	ok(r == 0 && zygote_jobs == before && strcmp(k.out, "cold\n") == 0 && k.e.status == 0,
	   "a job of another program starts cold and works");
	sbx_error_free(&err);
}

#define NS_SCRIPT                                                                                                  \
	"echo \"arg=$0\"; echo self=$$; echo \"init=$(tr '\\0' '|' </proc/1/cmdline)\"; "                          \
	"t=$(ls -A /tmp) && echo tmp-listed && echo \"tmp=$(echo \"$t\" | grep left-by)\"; "                     \
	"s=$(ls -A /dev/shm) && echo shm-listed && "                                                              \
	"echo \"shm=$s\"; echo \"userns=$(cat /proc/sys/user/max_user_namespaces)\"; "                           \
	"for n in user mnt pid ipc uts net; do echo \"$n=$(readlink /proc/self/ns/$n)\"; done; "                    \
	"echo left >/tmp/left-by-$0 && echo left >/dev/shm/left-by-$0 && echo left-written; read x; true"

/* (tmp= lists only what jobs leave: a granted path under /tmp, the probe's folder in a checkout
 * there, has its mount point in every job's /tmp.) */
/* Whether out has the line "key=value" (value "": the line "key="). */
static bool has(const char *out, const char *key, const char *value)
{
	char buf[256], want[256];
	snprintf(want, sizeof(want), "%s=%s", key, value);
	return strcmp(field(out, key, buf, sizeof(buf)), want) == 0;
}

static void ns_differ(const char *out1, const char *out2, bool both_alive)
{
	static const char *const ns[] = { "user", "mnt", "pid", "ipc", "uts" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char a[128], b[128], mine[160], target[128], link[64], z[128] = "", zyg[160] = "";
		snprintf(link, sizeof(link), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		snprintf(mine, sizeof(mine), "%s=%s", ns[i], target);
		/* The zygote's, where we may read it (root: it is not dumpable). */
		snprintf(link, sizeof(link), "/proc/%d/ns/%s", (int)zygote_pid, ns[i]);
		if ((n = readlink(link, z, sizeof(z) - 1)) > 0) {
			z[n] = '\0';
			snprintf(zyg, sizeof(zyg), "%s=%s", ns[i], z);
		}
		field(out1, ns[i], a, sizeof(a));
		field(out2, ns[i], b, sizeof(b));
		ok(both_alive && a[0] && b[0] && target[0] && strcmp(a, b) != 0 && strcmp(a, mine) != 0 && strcmp(b, mine) != 0 &&
			   strcmp(a, zyg) != 0 && strcmp(b, zyg) != 0,
		   "each of two jobs alive at once has its own %s namespace (%s / %s, the caller's %s, the zygote's %s)",
		   ns[i], a, b, mine,
		   zyg[0] ? zyg : "unreadable");
	}
	char a[128], b[128];
	printf("# net: %s / %s\n", field(out1, "net", a, sizeof(a)), field(out2, "net", b, sizeof(b)));
}

/* Start NS_SCRIPT with arg, held by its stdin (*hold, ours to close) once it has written all. */
static int start_held(struct sbx_pool *pool, const char *arg, struct job *j, int *hold, struct sbx_error *err)
{
	int p[2];
	*hold = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int r = start(pool, "/bin/sh", sh(NS_SCRIPT, arg), p[0], j, err);
	close(p[0]);
	*hold = p[1];
	if (r == 0 && !wait_output(j, "left-written\n"))
		diag("output so far", j->out);
	return r;
}

/* Two jobs alive at once (namespace ids are reused once freed), the second started after the
 * first left its files. */
static void isolation(struct sbx_pool *pool)
{
	static struct job j[2];
	struct sbx_error err = SBX_ERROR_INIT;
	int hold[2];
	int r1 = start_held(pool, "one", &j[0], &hold[0], &err);
	int r2 = start_held(pool, "two", &j[1], &hold[1], &err);
	bool both = !j[0].exited && !j[1].exited;
	ns_differ(j[0].out, j[1].out, both);
	for (int i = 0; i < 2; i++)
		if (hold[i] >= 0)
			close(hold[i]);
	finish(j, 2);
	const char *o1 = j[0].out, *o2 = j[1].out;
	ok(r1 == 0 && r2 == 0 && j[0].on_zygote && j[1].on_zygote && j[0].e.status == 0 && j[1].e.status == 0,
	   "two jobs on the zygote exit 0 (%d %d, status %d %d: %s)", r1, r2, j[0].e.status, j[1].e.status,
	   err.message ? err.message : j[0].message);
	ok(has(o1, "arg", "one") && has(o2, "arg", "two"), "their arguments came with them");
	ok(has(o1, "self", "2") && has(o2, "self", "2"), "the program is pid 2 of its own pid namespace");
	ok((has(o1, "init", "sbx-init|") || has(o1, "init", "sbx-init")) &&
		   (has(o2, "init", "sbx-init|") || has(o2, "init", "sbx-init")),
	   "pid 1 is the job's own sbx-init");
	ok(strstr(o1, "tmp-listed\n") && has(o1, "tmp", "") && strstr(o1, "shm-listed\n") && has(o1, "shm", "") &&
		   strstr(o1, "left-written\n"),
	   "the first job's /tmp and /dev/shm start empty, and it leaves a file in each");
	ok(strstr(o2, "tmp-listed\n") && has(o2, "tmp", "") && strstr(o2, "shm-listed\n") && has(o2, "shm", ""),
	   "the second job, started after, does not see the first one's files in /tmp and /dev/shm");
	ok(has(o1, "userns", "0") && has(o2, "userns", "0"), "/proc/sys/user/max_user_namespaces reads 0 inside");
	if (!has(o1, "self", "2") || !has(o2, "tmp", "")) {
		diag("first", o1);
		diag("second", o2);
	}
	sbx_error_free(&err);
}

/* A job's stdout a file opened for appending (a log that holds what came before): the job may
 * write it, not reopen it for reading through /proc/self/fd/1. Landlock judges the job's own
 * fd, not what the zygote held at its 1 (/dev/null, read and write). */
static void stdout_append_only(struct sbx_pool *pool, const char *dir)
{
	static struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	char path[4200];
	snprintf(path, sizeof(path), "%s/log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "old-secret\n", 11) != 11) {
		ok(false, "a log file for stdout: %s", strerror(errno));
		return;
	}
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	memset(&j, 0, sizeof(j));
	j.out_fd = -1;
	int p[2];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r = pipe2(p, O_CLOEXEC) < 0 ? -errno : 0;
	if (r == 0) {
		int stdio[3] = { null, fd, p[1] };
		unsigned before = zygote_jobs;
		char *argv[] = { "sh", "-c", "exec 3>&1; cat /proc/$$/fd/3 >&2 || echo refused >&2; echo appended", NULL };
		r = sbx_pool_spawn(pool, "/bin/sh", argv, stdio, &callbacks, &j, &j.w, &err);
		j.on_zygote = r == 0 && zygote_jobs == before + 1;
		close(p[1]);
		j.out_fd = p[0]; /* its stderr, read as its "stdout" here */
	}
	close(fd);
	close(null);
	finish(&j, 1);
	char content[64] = "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, content, sizeof(content) - 1) : -1;
	content[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	bool refused = strstr(j.out, "refused") && !strstr(j.out, "old-secret");
	ok(r == 0 && j.on_zygote && refused && strcmp(content, "old-secret\nappended\n") == 0,
	   "a job's append-only stdout file: written, not read back through /proc/PID/fd");
	if (!refused)
		diag("its stderr", j.out);
	unlink(path);
	sbx_error_free(&err);
}

/* A violation ends that job only: the zygote serves the next one. */
static void violation(struct sbx_pool *pool, const char *probe)
{
	static struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	if (!probe) {
		printf("ok %d # SKIP no probe (argument or $PROBE) for a violation\n", ++n_test);
		printf("ok %d # SKIP no probe\n", ++n_test);
		return;
	}
	unsigned made = zygotes_made;
	pid_t z = zygote_pid;
	int r = run(pool, sh("exec \"$0\" syscall ptrace", probe), &j, &err);
	ok(r == 0 && j.on_zygote && j.e.kind == SBX_EXIT_VIOLATION && j.e.status == 159 && strstr(j.syscall, "ptrace"),
	   "a job on the zygote calling ptrace ends with a violation (kind %d, status %d, \"%s\")", j.e.kind, j.e.status,
	   j.syscall);
	char *echo[] = { "sh", "-c", "echo after", NULL };
	r = run(pool, echo, &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made && !dead(z) && sbx_pool_has_zygote(pool) && j.e.status == 0 &&
		   strcmp(j.out, "after\n") == 0,
	   "the same zygote runs the next job (on the zygote %d, zygotes %u, status %d)", j.on_zygote,
	   zygotes_made - made, j.e.status);
	sbx_error_free(&err);
}

/* Kill the pool's zygote from outside and wait until it has exited. */
static bool kill_zygote(void)
{
	pid_t z = zygote_pid;
	if (z <= 0 || kill(z, SIGKILL) < 0)
		return false;
	for (int k = 0; k < 1000 && !dead(z); k++)
		usleep(2000);
	return dead(z);
}

/* A zygote killed from outside, with a job running on it: a job right after (before the loop
 * has seen the zygote end) and one after the pool has seen it end both run. */
static void killed(struct sbx_pool *pool)
{
	static struct job j, running;
	struct sbx_error err = SBX_ERROR_INIT;
	char *echo[] = { "sh", "-c", "echo \"after $0\"", "kill", NULL };
	int r0 = start(pool, "/bin/sh", sh("echo running; sleep 10", NULL), -1, &running, &err);
	unsigned made = zygotes_made, stops = zygote_stops;
	pid_t z = zygote_pid;
	ok(r0 == 0 && running.on_zygote && wait_output(&running, "running\n") && kill_zygote(),
	   "the zygote (host pid %d) running a job, killed from outside", (int)z);
	int r = run(pool, echo, &j, &err);
	ok(r == 0 && j.e.status == 0 && strcmp(j.out, "after kill\n") == 0 && j.on_zygote && zygotes_made == made + 1,
	   "a job right after runs on a new zygote and succeeds (%s, %s; status %d: %s)",
	   j.on_zygote ? "on the zygote" : "cold", zygotes_made > made ? "a new zygote made" : "no new zygote",
	   j.e.status, err.message ? err.message : j.message);
	finish(&running, 1);
	ok(running.exited && running.e.kind != SBX_EXIT_EXITED && !strstr(running.out, "after"),
	   "the job running on it ended with it (kind %d: %s)", running.e.kind, running.message);
	r = run(pool, echo, &j, &err);
	ok(r == 0 && j.e.status == 0 && strcmp(j.out, "after kill\n") == 0 && j.on_zygote,
	   "the next job runs on the zygote and succeeds (%s, %s)",
	   j.on_zygote ? "on the zygote" : "cold", zygotes_made > made ? "a new zygote made" : "no new zygote");
	printf("# after the kill: %u zygote(s) made, %u stop(s) logged; has_zygote %d\n", zygotes_made - made,
	       zygote_stops - stops, sbx_pool_has_zygote(pool));
	/* Again, the zygote's end seen by the pool's loop before the next job. */
	made = zygotes_made, stops = zygote_stops;
	unsigned ends = zygote_ends;
	z = zygote_pid;
	bool again = sbx_pool_has_zygote(pool) && kill_zygote();
	for (int k = 0; again && k < 500 && zygote_ends == ends; k++)
		spin(0.01);
	for (int i = 0; i < 2; i++) {
		r = run(pool, echo, &j, &err);
		ok(r == 0 && j.e.status == 0 && strcmp(j.out, "after kill\n") == 0 && again && j.on_zygote &&
			   zygotes_made == made + 1,
		   "%s, job %d after runs on a new zygote and succeeds (%s, %s)",
		   again ? "the zygote killed again, its end seen by the pool" : "no zygote to kill again", i + 1,
		   j.on_zygote ? "on the zygote" : "cold", zygotes_made > made ? "a new zygote made" : "no new zygote");
	}
	printf("# after the second kill (pid %d): %u zygote(s) made, %u stop(s), %u end(s) logged; has_zygote %d\n",
	       (int)z, zygotes_made - made, zygote_stops - stops, zygote_ends - ends, sbx_pool_has_zygote(pool));
	sbx_error_free(&err);
}

/* Killed during its setup, while the caller's loop has not run (so the broker has not read the
 * program's process's EXEC, nor taken its listener): a job whose zygote is killed, and a cold
 * job whose init is. Each is reported as killed from outside, not as breaking the launch
 * protocol (the listener it named is gone with it). */
static void killed_in_setup(struct sbx_pool *pool)
{
	static struct job zj, cj;
	struct sbx_error err = SBX_ERROR_INIT;
	int r = start(pool, "/bin/sh", sh("echo ran", NULL), -1, &zj, &err);
	bool on = r == 0 && zj.on_zygote;
	usleep(300 * 1000); /* its setup done: EXEC waits in the channel, unread */
	bool k = on && kill_zygote();
	finish(&zj, 1);
	ok(k && zj.exited && zj.e.kind == SBX_EXIT_KILLED && !strstr(zj.message, "protocol") && zj.out[0] == '\0',
	   "a job whose zygote is killed during its setup is reported killed (kind %d: %s)", zj.e.kind, zj.message);
	char *echo[] = { "echo", "ran", NULL };
	r = start(pool, "/bin/echo", echo, -1, &cj, &err);
	usleep(300 * 1000);
	k = r == 0 && !cj.on_zygote && kill(sbx_worker_pid(cj.w), SIGKILL) == 0;
	finish(&cj, 1);
	ok(k && cj.exited && cj.e.error != EPROTO && !strstr(cj.message, "protocol") && cj.out[0] == '\0',
	   "a cold job whose init is killed during its setup is not reported as breaking the protocol (kind %d: %s)",
	   cj.e.kind, cj.message);
	sbx_error_free(&err);
}

/* The time limit, set after the zygote was made: the next job runs on a new zygote, with it; it
 * ends the job over it only, not the one running beside it, nor the zygote. */
static void time_limit(struct sbx_config *cfg, struct sbx_pool *pool)
{
	static struct job slow, beside, next;
	struct sbx_error err = SBX_ERROR_INIT;
	unsigned made = zygotes_made;
	sbx_config_set_time_limit_ms(cfg, 2000);
	double t0 = now();
	int r1 = start(pool, "/bin/sh", sh("sleep 10; echo finished", NULL), -1, &slow, &err);
	ok(r1 == 0 && slow.on_zygote && zygotes_made == made + 1,
	   "after sbx_config_set_time_limit_ms the next job runs on a newly made zygote (%u made)", zygotes_made - made);
	pid_t z = zygote_pid;
	spin(1.0);
	int r2 = start(pool, "/bin/sh", sh("sleep 1.4; echo survived", NULL), -1, &beside, &err);
	finish(&slow, 1);
	double t_slow = now() - t0;
	finish(&beside, 1);
	ok(r1 == 0 && slow.e.kind == SBX_EXIT_TIMEOUT && slow.e.status == 124 && t_slow > 1.8 && t_slow < 4,
	   "a job over the 2 s limit is stopped by it (kind %d, status %d, after %.2f s)", slow.e.kind, slow.e.status,
	   t_slow);
	ok(r2 == 0 && beside.on_zygote && beside.e.kind == SBX_EXIT_EXITED && beside.e.status == 0 &&
		   strcmp(beside.out, "survived\n") == 0,
	   "the job started beside it on the same zygote outlives that stop (kind %d, status %d)", beside.e.kind,
	   beside.e.status);
	int r3 = run(pool, sh("echo next", NULL), &next, &err);
	ok(r3 == 0 && next.on_zygote && zygotes_made == made + 1 && zygote_pid == z && !dead(z) &&
		   sbx_pool_has_zygote(pool) && strcmp(next.out, "next\n") == 0,
	   "the next job still runs on the same zygote (%u made)", zygotes_made - made);
	sbx_error_free(&err);
}

/* A path added and the time limit lifted after the zygote was made: the next job runs on a new
 * zygote whose root has the path, and without the limit. */
static void changed(struct sbx_config *cfg, struct sbx_pool *pool, const char *dir)
{
	static struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	char sub[4096], marker[4200], script[4400];
	snprintf(sub, sizeof(sub), "%s/shown", dir);
	snprintf(marker, sizeof(marker), "%s/marker", sub);
	mkdir(sub, 0755);
	FILE *f = fopen(marker, "we");
	if (f) {
		fputs("marked", f);
		fclose(f);
	}
	snprintf(script, sizeof(script), "cat %s 2>/dev/null || printf unseen", marker);
	unsigned made = zygotes_made;
	int r = run(pool, sh(script, NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made && strcmp(j.out, "unseen") == 0,
	   "before the change a job on the zygote does not see a folder not given (%s)", j.out);
	sbx_config_add_path(cfg, sub, false);
	r = run(pool, sh(script, NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made + 1 && strcmp(j.out, "marked") == 0,
	   "after sbx_config_add_path the next job runs on a new zygote and sees it (%u made, %s)", zygotes_made - made,
	   j.out);
	sbx_config_set_time_limit_ms(cfg, 0);
	r = run(pool, sh("sleep 2.5; echo slept", NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made + 2 && j.e.status == 0 && strcmp(j.out, "slept\n") == 0,
	   "after the limit is lifted the next job runs on a new zygote past the old 2 s (%u made, kind %d)",
	   zygotes_made - made, j.e.kind);
	sbx_error_free(&err); /* the folder stays while the configuration names it (main removes it) */
}

/* A configuration change while a job runs on the zygote: the zygote is retired, not killed: the
 * running job finishes as it would have, the next runs on a new zygote, and the retired one
 * ends with its last job. */
static void retired(struct sbx_config *cfg, struct sbx_pool *pool)
{
	static struct job running, next;
	struct sbx_error err = SBX_ERROR_INIT;
	unsigned made = zygotes_made;
	pid_t old = zygote_pid;
	int r0 = start(pool, "/bin/sh", sh("echo running; sleep 1; echo finished", NULL), -1, &running, &err);
	bool up = r0 == 0 && running.on_zygote && wait_output(&running, "running\n");
	sbx_config_set_time_limit_ms(cfg, 0); /* a change: the same value, a new generation */
	int r = run(pool, sh("echo next", NULL), &next, &err);
	ok(up && r == 0 && next.on_zygote && zygotes_made == made + 1 && strcmp(next.out, "next\n") == 0,
	   "a change while a job runs: the next job runs on a new zygote (%u made)", zygotes_made - made);
	ok(!dead(old), "the old zygote still runs while its job does");
	finish(&running, 1);
	ok(running.exited && running.e.kind == SBX_EXIT_EXITED && running.e.status == 0 &&
		   strcmp(running.out, "running\nfinished\n") == 0,
	   "the job running on the old zygote finished as it would have (kind %d, status %d: %s)", running.e.kind,
	   running.e.status, running.message);
	for (int k = 0; k < 500 && !dead(old); k++)
		spin(0.01);
	ok(dead(old), "the old zygote ended with its last job");
	sbx_error_free(&err);
}

/* Copy the file from to the executable to (through a new file renamed over it: a new inode, as
 * a package upgrade installs one). */
static bool install(const char *from, const char *to)
{
	char tmp[4200], buf[65536];
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	int in = open(from, O_RDONLY | O_CLOEXEC), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;
	bool good = in >= 0 && out >= 0;
	while (good && (n = read(in, buf, sizeof(buf))) > 0)
		good = write(out, buf, (size_t)n) == n;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return good && rename(tmp, to) == 0;
}

/* What a cold launch takes from the caller at each start, its environment, working directory
 * and program file, and the zygote fixed when it was made: a change since gets the next job a
 * new zygote, so that it runs as a cold one would; no change keeps the zygote. */
static void host_view(struct sbx_pool *pool, const char *dir, const char *shown)
{
	static struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	char cwd[PATH_MAX], want[PATH_MAX + 8];
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	unsetenv("TZ");
	unsigned made = zygotes_made;
	int r = run(pool, sh("echo \"tz=$TZ\"", NULL), &j, &err);
	made = zygotes_made; /* a new one if TZ was set before */
	r = run(pool, sh("echo \"tz=$TZ\"", NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made && strcmp(j.out, "tz=\n") == 0,
	   "nothing changed: the next job runs on the same zygote (%.*s)", (int)strcspn(j.out, "\n"), j.out);
	setenv("TZ", "UTC0", 1);
	r = run(pool, sh("echo \"tz=$TZ\"", NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made + 1 && strcmp(j.out, "tz=UTC0\n") == 0,
	   "TZ set since: the next job runs on a new zygote, with TZ as the caller has it now (%u made, %.*s)",
	   zygotes_made - made, (int)strcspn(j.out, "\n"), j.out);
	r = run(pool, sh("echo \"tz=$TZ\"", NULL), &j, &err);
	ok(r == 0 && j.on_zygote && zygotes_made == made + 1 && strcmp(j.out, "tz=UTC0\n") == 0,
	   "and the job after it on that same zygote");
	unsetenv("TZ");
	made = zygotes_made;
	if (shown && chdir(shown) == 0) {
		r = run(pool, sh("pwd", NULL), &j, &err);
		snprintf(want, sizeof(want), "%s\n", shown);
		ok(r == 0 && j.on_zygote && zygotes_made == made + 1 && strcmp(j.out, want) == 0,
		   "the caller's working directory changed since: the next job runs on a new zygote, in it (%.*s)",
		   (int)strcspn(j.out, "\n"), j.out);
		(void)!chdir(cwd);
	} else {
		ok(true, "# SKIP no folder shown to the jobs to change into");
	}
	char prog[4200];
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	char *argv[] = { "prog", NULL };
	r = install("/bin/true", prog) ? sbx_pool_use_zygote(pool, prog, &err) : -1;
	made = zygotes_made;
	int r1 = r == 0 ? run_program(pool, prog, argv, &j, &err) : -1;
	bool first = r1 == 0 && j.on_zygote && j.e.kind == SBX_EXIT_EXITED && j.e.status == 0;
	r = install("/bin/false", prog) ? run_program(pool, prog, argv, &j, &err) : -1;
	ok(first && r == 0 && j.on_zygote && zygotes_made == made + 1 && j.e.kind == SBX_EXIT_EXITED && j.e.status == 1,
	   "the program's file replaced since (true, then false): the next job runs the new one on a new zygote "
	   "(%u made, status %d)",
	   zygotes_made - made, j.e.status);
	/* Gone for a moment, as a reinstall may leave it: that job fails as a cold one would, and
	 * the zygote made failing then does not stop the next, once the file is back. */
	unlink(prog);
	made = zygotes_made;
	r = run_program(pool, prog, argv, &j, &err);
	bool gone = r < 0 && !j.on_zygote;
	r = install("/bin/true", prog) ? run_program(pool, prog, argv, &j, &err) : -1;
	ok(gone && r == 0 && j.on_zygote && zygotes_made == made + 1 && j.e.kind == SBX_EXIT_EXITED && j.e.status == 0,
	   "the program's file gone, then back: the job between fails as a cold one would, the next runs on a new "
	   "zygote (%u made, status %d)",
	   zygotes_made - made, j.e.status);
	unlink(prog);
	sbx_error_free(&err);
}

/* Resources are opened as each job starts: a configuration with one has no zygote, and its
 * jobs start cold with the resource. */
static void resources(const char *dir)
{
	static struct job j;
	struct sbx_config *cfg = NULL;
	struct sbx_pool *pool = NULL;
	struct sbx_error err = SBX_ERROR_INIT;
	pid_t kids[64];
	char path[4096];
	snprintf(path, sizeof(path), "%s/out", dir);
	if (sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    sbx_config_add_file(cfg, "out", path, SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC) < 0 ||
	    sbx_pool_new(base, cfg, &pool, &err) < 0) {
		ok(false, "a pool with a file resource: %s", err.message ? err.message : "setup failed");
		sbx_config_free(cfg);
		sbx_error_free(&err);
		return;
	}
	unsigned made = zygotes_made;
	int r = sbx_pool_use_zygote(pool, "/bin/sh", &err);
	ok(r == -ENOTSUP && err.message, "with a file resource sbx_pool_use_zygote returns -ENOTSUP (%d: %s)", r,
	   err.message ? err.message : "(none)");
	spin(0.05);
	ok(!sbx_pool_has_zygote(pool) && zygotes_made == made && children(kids, 64) == 0,
	   "no zygote is made, no process runs");
	for (int i = 0; i < 2; i++) {
		r = run(pool, sh("printf job$0 >&3; echo ran", i ? "2" : "1"), &j, &err);
		char back[64] = "";
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!read(fd, back, sizeof(back) - 1);
			close(fd);
		}
		ok(r == 0 && !j.on_zygote && zygotes_made == made && j.e.status == 0 && strcmp(j.out, "ran\n") == 0 &&
			   strcmp(back, i ? "job2" : "job1") == 0,
		   "job %d starts cold, with the resource (%s)", i + 1, back);
	}
	unlink(path);
	sbx_pool_free(pool);
	sbx_config_free(cfg);
	sbx_error_free(&err);
}

int main(int argc, char **argv)
{
	const char *probe = argc > 1 ? argv[1] : getenv("PROBE");
	char dir[] = "/tmp/sbx-test-zygote.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot make a temporary folder\n");
		return 0;
	}
	chmod(dir, 0755);
	struct sbx_config *cfg;
	struct sbx_pool *pool;
	struct sbx_error err = SBX_ERROR_INIT;
	/* The probe's folder is given to the jobs (meson passes the probe relative to the build). */
	char probe_path[PATH_MAX], probe_dir[PATH_MAX];
	if (probe && realpath(probe, probe_path)) {
		probe = probe_path;
		snprintf(probe_dir, sizeof(probe_dir), "%s", probe_path);
		*strrchr(probe_dir, '/') = '\0';
	} else {
		probe = NULL;
	}
	base = event_base_new();
	if (!base || sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    (probe && sbx_config_add_path(cfg, probe_dir, false) < 0) || sbx_pool_new(base, cfg, &pool, &err) < 0) {
		printf("not ok 1 - pool: %s\n1..1\n", err.message ? err.message : "setup failed");
		rmdir(dir);
		return 1;
	}
	printf("# uid %d\n", (int)getuid());
	make(pool);
	jobs(pool);
	isolation(pool);
	stdout_append_only(pool, dir);
	violation(pool, probe);
	killed(pool);
	killed_in_setup(pool);
	time_limit(cfg, pool);
	changed(cfg, pool, dir);
	retired(cfg, pool);
	host_view(pool, dir, probe ? probe_dir : NULL);
	pid_t last_zygote = zygote_pid;
	sbx_pool_free(pool);
	resources(dir);
	pid_t kids[64];
	int left = 0;
	for (int i = 0; i < 200 && (left = children(kids, 64)) > 0; i++)
		usleep(10000);
	int alive = 0;
	for (int i = 0; i < n_job_pids; i++)
		alive += !dead(job_pids[i]);
	ok(left == 0 && dead(last_zygote) && alive == 0,
	   "freeing the pool leaves no process (%d children, the zygote %s, %d of %d jobs' inits alive)", left,
	   dead(last_zygote) ? "gone" : "alive", alive, n_job_pids);
	sbx_config_free(cfg);
	event_base_free(base);
	char path[4200];
	snprintf(path, sizeof(path), "%s/shown/marker", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/shown", dir);
	rmdir(path);
	rmdir(dir);
	printf("1..%d\n", n_test);
	return failed;
}
