/* SPDX-License-Identifier: MIT */
/* A pool's ready workers (sbx_pool_keep_ready, docs/sandbox.md "Ready workers"), through the
 * public API, as the caller runs it (meson runs it as root and as uid 65534): jobs take ready
 * workers and get their arguments and stdio; each job has its own namespaces, pid 2 and an
 * empty /tmp; the time limit starts with the job; a changed configuration, another program, a
 * read-only file on stdin, long arguments and resources start cold and still work; a job given
 * to a worker still preparing runs on it; the namespaces callback is the job's; ready workers
 * killed before their job are replaced; a program that cannot start stops the pool making them,
 * for good, and the job's error reaches the caller; freeing the pool leaves no process. Whether
 * a job ran on a ready worker is what the pool logs for it. TAP. */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
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
static unsigned warm_jobs; /* "the job runs on a ready worker" lines the pool logged */
static unsigned stops;     /* "no more ready workers" lines */

static void on_log(enum sbx_log_level level, const char *message, void *userdata)
{
	(void)level, (void)userdata;
	if (strstr(message, "the job runs on a ready worker"))
		warm_jobs++;
	if (strstr(message, "no more ready workers"))
		stops++;
}

/* The first child of pid: a ready worker's program's process, under its init. */
static pid_t first_child(pid_t pid)
{
	char path[64];
	int child = -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &child) != 1)
			child = -1;
		fclose(f);
	}
	return child;
}

/* Run the loop until the pool has n ready workers, at most seconds. */
static bool wait_ready(struct sbx_pool *pool, unsigned n, double seconds)
{
	double end = now() + seconds;
	while (sbx_pool_ready(pool) < n && now() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	return sbx_pool_ready(pool) >= n;
}

struct job {
	bool exited;
	struct sbx_exit e;
	char message[512];
	int ns_calls;
	pid_t ns_pid;
};

static void on_ns(struct sbx_worker *w, const struct sbx_namespaces *ns, void *userdata)
{
	(void)w;
	struct job *j = userdata;
	j->ns_calls++;
	j->ns_pid = ns->pid;
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct job *j = userdata;
	j->exited = true;
	j->e = *e;
	snprintf(j->message, sizeof(j->message), "%s", e->message);
	j->e.message = j->message;
}

static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb, .namespaces = on_ns };

/* One job of program with argv, stdin from in (-1: /dev/null); its stdout into out. Returns
 * the spawn's result; *j the exit. *took: whether a ready worker served it (the pool logged
 * so). *pid: the worker's init. */
static pid_t last_pid;
static int run(struct sbx_pool *pool, const char *program, char *const argv[], int in, struct job *j, char *out,
	       size_t out_len, bool *took, struct sbx_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int stdio[3] = { in >= 0 ? in : null, p[1], null };
	unsigned before = warm_jobs;
	struct sbx_worker *w = NULL;
	memset(j, 0, sizeof(*j));
	int r = sbx_pool_spawn(pool, program, argv, stdio, &callbacks, j, &w, err);
	if (took)
		*took = r == 0 && warm_jobs == before + 1;
	last_pid = r == 0 ? sbx_worker_pid(w) : -1;
	close(p[1]);
	close(null);
	size_t n = 0;
	if (r == 0) {
		double end = now() + 30;
		while (!j->exited && now() < end)
			event_base_loop(base, EVLOOP_ONCE);
		ssize_t k;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		while (n + 1 < out_len && (k = read(p[0], out + n, out_len - 1 - n)) > 0)
			n += (size_t)k;
		sbx_worker_free(w);
	}
	out[n] = '\0';
	close(p[0]);
	return r;
}

#define NS_SCRIPT                                                                                                  \
	"echo \"arg=$0\"; echo self=$$; l=$(ls -A /tmp) && echo tmp-listed; echo \"$l\" | grep -v '^sbx-test-ready' | "  \
	"sed '/^$/d; s/^/tmp: /'; for n in user mnt pid ipc uts cgroup; do echo \"$n=$(readlink /proc/self/ns/$n)\"; done; " \
	"echo left >/tmp/left-by-job && echo left-written"

static void jobs_and_isolation(struct sbx_pool *pool)
{
	static char out1[8192], out2[8192];
	struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	bool took = false;
	ok(sbx_pool_keep_ready(pool, "/bin/sh", 2, &err) == 0, "sbx_pool_keep_ready(/bin/sh, 2)");
	bool ready = wait_ready(pool, 2, 20);
	ok(ready, "two workers become ready (%u)", sbx_pool_ready(pool));
	int r = run(pool, "/bin/sh", sh(NS_SCRIPT, "job-one"), -1, &j, out1, sizeof(out1), &took, &err);
	ok(r == 0 && j.exited && j.e.status == 0, "a job on a ready worker exits 0 (%d, status %d: %s)", r, j.e.status,
	   err.message ? err.message : j.message);
	ok(took, "it took a ready worker");
	ok(strstr(out1, "arg=job-one\n") != NULL, "its arguments came with the job");
	ok(strstr(out1, "self=2\n") != NULL, "the program is pid 2 of its own pid namespace");
	ok(strstr(out1, "tmp-listed\n") && strstr(out1, "left-written\n") && !strstr(out1, "tmp: "),
	   "its /tmp starts empty, and it leaves a file there");
	ok(j.ns_calls == 1 && j.ns_pid == last_pid, "the namespaces callback is the job's, once (%d calls, pid %d of %d)",
	   j.ns_calls, (int)j.ns_pid, (int)last_pid);
	if (!strstr(out1, "arg=job-one"))
		diag("output", out1);
	ok(wait_ready(pool, 2, 20), "the pool made another ready worker");
	r = run(pool, "/bin/sh", sh(NS_SCRIPT, "job-two"), -1, &j, out2, sizeof(out2), &took, &err);
	ok(r == 0 && j.e.status == 0 && took, "a second job on a ready worker");
	ok(strstr(out2, "tmp-listed\n") && !strstr(out2, "tmp: "), "the second job does not see the first one's /tmp file");
	static const char *const ns[] = { "user", "mnt", "pid", "ipc", "uts", "cgroup" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char a[128], b[128], mine[160], target[128], link[64];
		snprintf(link, sizeof(link), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		snprintf(mine, sizeof(mine), "%s=%s", ns[i], target);
		field(out1, ns[i], a, sizeof(a));
		field(out2, ns[i], b, sizeof(b));
		ok(a[0] && b[0] && target[0] && strcmp(a, b) != 0 && strcmp(a, mine) != 0 && strcmp(b, mine) != 0,
		   "each job has its own %s namespace (%s / %s, the caller's %s)", ns[i], a, b, mine);
	}
	/* The held exec's flags (SBX_READY_EXEC_FLAGS) from a program: under a policy that allows
	 * exec the broker lets it through, as the policy would. */
#ifdef __x86_64__
	if (access("/usr/bin/python3", X_OK) == 0) {
		char *py[] = { "sh", "-c",
			       "exec python3 -c 'import ctypes, os\n"
			       "libc = ctypes.CDLL(None, use_errno=True)\n"
			       "fd = os.open(\"/bin/echo\", os.O_PATH)\n"
			       "argv = (ctypes.c_char_p * 3)(b\"echo\", b\"exec-ok\", None)\n"
			       "envp = (ctypes.c_char_p * 1)(None)\n"
			       "libc.syscall(322, fd, b\"\", argv, envp, 0x1100)\n"
			       "print(\"exec failed\", ctypes.get_errno())'",
			       NULL };
		r = run(pool, "/bin/sh", py, -1, &j, out1, sizeof(out1), &took, &err);
		ok(r == 0 && took && j.e.status == 0 && strcmp(out1, "exec-ok\n") == 0,
		   "a program's own execveat with the held exec's flags runs, as its policy allows exec (status %d)",
		   j.e.status);
	} else {
		printf("ok %d # SKIP no python3 for the held exec's flags\n", ++n_test);
	}
#else
	printf("ok %d # SKIP execveat's number is x86_64's here\n", ++n_test);
#endif
	/* stdin comes with the job too. */
	int p[2];
	if (pipe2(p, O_CLOEXEC) == 0) {
		(void)!write(p[1], "from the caller\n", 16);
		close(p[1]);
		char *argv[] = { "sh", "-c", "cat; echo end", NULL };
		r = run(pool, "/bin/sh", argv, p[0], &j, out1, sizeof(out1), &took, &err);
		close(p[0]);
		ok(r == 0 && took && strcmp(out1, "from the caller\nend\n") == 0, "the job's stdin came with it");
	}
	sbx_error_free(&err);
}

static void time_limit(struct sbx_config *cfg, struct sbx_pool *pool)
{
	static char out[4096];
	struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	bool took;
	/* The ready workers were made without a time limit. After the change they are not used
	 * (nor counted ready): a job that outlives the new limit is stopped by it. */
	ok(wait_ready(pool, 2, 20), "ready");
	sbx_config_set_time_limit_ms(cfg, 1000);
	ok(sbx_pool_ready(pool) == 0, "after a configuration change no worker counts as ready");
	char *slow2[] = { "sh", "-c", "sleep 2; echo finished", NULL };
	int r = run(pool, "/bin/sh", slow2, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && j.e.kind == SBX_EXIT_TIMEOUT,
	   "the next job gets the new 1 s limit, not a stale worker's none (took %d, kind %d)", took, j.e.kind);
	/* Made ready with the 1 s limit, then left waiting longer than that. */
	ok(wait_ready(pool, 2, 20), "ready again with the new configuration");
	usleep(1500 * 1000);
	char *fast[] = { "sh", "-c", "sleep 0.3; echo done", NULL };
	r = run(pool, "/bin/sh", fast, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && j.e.status == 0 && strcmp(out, "done\n") == 0,
	   "the time limit starts with the job, not when the worker was made (took %d, status %d)", took, j.e.status);
	char *slow[] = { "sh", "-c", "sleep 10", NULL };
	ok(wait_ready(pool, 2, 20), "ready");
	r = run(pool, "/bin/sh", slow, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && j.e.kind == SBX_EXIT_TIMEOUT && j.e.status == 124,
	   "a job on a ready worker over its limit is stopped (kind %d, status %d)", j.e.kind, j.e.status);
	/* Workers made with 1 s, the limit now 0.3 s: the job is stopped well before 1 s. */
	ok(wait_ready(pool, 2, 20), "ready again");
	sbx_config_set_time_limit_ms(cfg, 300);
	double t0 = now();
	r = run(pool, "/bin/sh", slow2, -1, &j, out, sizeof(out), &took, &err);
	double took_s = now() - t0;
	ok(r == 0 && !took && j.e.kind == SBX_EXIT_TIMEOUT && took_s < 0.8,
	   "after another change the job gets the new 0.3 s limit (kind %d, %.2f s)", j.e.kind, took_s);
	sbx_config_set_time_limit_ms(cfg, 0);
	r = run(pool, "/bin/sh", slow2, -1, &j, out, sizeof(out), &took, &err); /* cold: the pool makes new ones */
	sbx_error_free(&err);
}

static void cold_cases(struct sbx_pool *pool, const char *dir)
{
	static char out[200000];
	struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	bool took;
	ok(wait_ready(pool, 2, 20), "ready");
	/* Another program. */
	char *echo[] = { "echo", "cold", NULL };
	int r = run(pool, "/bin/echo", echo, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && strcmp(out, "cold\n") == 0, "another program starts cold and works");
	/* A read-only file on stdin: reopened read-only inside, which only a cold launch does. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/input", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	(void)!write(fd, "original\n", 9);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	char *cat[] = { "sh", "-c", "cat; echo changed >/proc/self/fd/0 2>/dev/null && echo WROTE", NULL };
	r = run(pool, "/bin/sh", cat, fd, &j, out, sizeof(out), &took, &err);
	close(fd);
	char back[64] = "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	(void)!read(fd, back, sizeof(back) - 1);
	close(fd);
	ok(r == 0 && !took && strcmp(out, "original\n") == 0 && strcmp(back, "original\n") == 0,
	   "a read-only file on stdin starts cold: read, and not writable through /proc/self/fd/0");
	/* Arguments longer than a job carries. */
	size_t n = 70 * 1024;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	char *wc[] = { "sh", "-c", "printf %s \"$0\" | wc -c", big, NULL };
	r = run(pool, "/bin/sh", wc, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && atol(out) == (long)n, "70 KiB of arguments start cold and arrive whole (%ld)", atol(out));
	free(big);
	sbx_error_free(&err);
}

/* What a cold launch takes from the caller at each start and a ready worker fixed when it was
 * made, here the environment: TZ set since drops the ready workers; the job starts cold with TZ
 * as the caller has it now, and the ones made since have it too. */
static void host_view(struct sbx_pool *pool)
{
	static char out[256];
	struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	bool took;
	char *tz[] = { "sh", "-c", "echo \"tz=$TZ\"", NULL };
	unsetenv("TZ");
	ok(wait_ready(pool, 2, 20), "ready");
	int r = run(pool, "/bin/sh", tz, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && strcmp(out, "tz=\n") == 0, "nothing changed: the job runs on a ready worker");
	setenv("TZ", "UTC0", 1);
	r = run(pool, "/bin/sh", tz, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && strcmp(out, "tz=UTC0\n") == 0,
	   "TZ set since the ready workers were made: the job starts cold, with TZ as the caller has it now (%.*s)",
	   (int)strcspn(out, "\n"), out);
	ok(wait_ready(pool, 2, 20), "ready again");
	r = run(pool, "/bin/sh", tz, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && strcmp(out, "tz=UTC0\n") == 0, "the next job runs on a ready worker made since, with it (%.*s)",
	   (int)strcspn(out, "\n"), out);
	unsetenv("TZ"); /* a change again: the next job drops the ones with TZ, new ones follow */
	r = run(pool, "/bin/sh", tz, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && strcmp(out, "tz=\n") == 0 && wait_ready(pool, 2, 20),
	   "TZ unset again: the job starts cold without it, and workers are made ready again");
	sbx_error_free(&err);
}

static void replaced_and_failing(struct sbx_pool *pool)
{
	static char out[4096];
	struct job j;
	struct sbx_error err = SBX_ERROR_INIT;
	bool took;
	pid_t kids[64];
	ok(wait_ready(pool, 2, 20), "ready");
	/* A signal interrupts a ready worker's held exec (SIGSTOP and SIGCONT, as any process of
	 * the worker's uid may send): the kernel makes the call again, which the broker holds
	 * again. Let through instead, /bin/sh would run with no job and end at once. */
	int nk = children(kids, 64);
	for (int i = 0; i < nk; i++) {
		pid_t p2 = first_child(kids[i]);
		if (p2 > 0) {
			kill(p2, SIGSTOP);
			usleep(20000);
			kill(p2, SIGCONT);
		}
	}
	for (int i = 0; i < 50; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	pid_t again[64];
	int na = children(again, 64);
	bool same = na == nk;
	for (int i = 0; same && i < na; i++)
		same = again[i] == kids[i];
	ok(nk == 2 && same && sbx_pool_ready(pool) == 2, "stopped and continued, the ready workers still wait (%d, %u ready)",
	   na, sbx_pool_ready(pool));
	for (int round = 0; round < 2; round++) {
		char *echo0[] = { "sh", "-c", "echo held-again", NULL };
		int r0 = run(pool, "/bin/sh", echo0, -1, &j, out, sizeof(out), &took, &err);
		ok(r0 == 0 && took && j.e.status == 0 && strcmp(out, "held-again\n") == 0,
		   "and each then runs its job (took %d, status %d)", took, j.e.status);
		ok(wait_ready(pool, 2, 20), "ready");
	}
	/* Only their programs' processes killed (inits alive, so the inits' pidfds say nothing):
	 * once those are gone, a job at once, before the loop has seen anything, does not take
	 * such a worker (the pool checks) and runs cold. */
	int n = children(kids, 64);
	pid_t progs[64];
	int m = 0;
	for (int i = 0; i < n; i++)
		if ((progs[m] = first_child(kids[i])) > 0)
			kill(progs[m++], SIGKILL);
	ok(n == 2 && m == 2, "two ready workers (inits %d, their processes %d), the processes killed", n, m);
	for (int i = 0; i < m; i++)
		for (int k = 0; k < 500 && !dead(progs[i]); k++)
			usleep(2000);
	char *echo[] = { "sh", "-c", "echo after", NULL };
	int r = run(pool, "/bin/sh", echo, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && j.e.status == 0 && strcmp(out, "after\n") == 0,
	   "a job right after starts cold and works (took %d, status %d)", took, j.e.status);
	/* The inits too, now. */
	ok(wait_ready(pool, 2, 20), "ready again");
	n = children(kids, 64);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	ok(n == 2, "two ready workers' inits are our children (%d), killed", n);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 500 && !dead(kids[i]); k++)
			usleep(2000);
	ok(wait_ready(pool, 2, 20), "killed ready workers are replaced");
	r = run(pool, "/bin/sh", echo, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && strcmp(out, "after\n") == 0, "a job after that runs on a ready worker (status %d)", j.e.status);
	/* A program that cannot start: the pool stops making workers for it, the job's error is
	 * the caller's as without a pool. */
	ok(sbx_pool_keep_ready(pool, "/nonexistent/prog", 2, &err) == 0, "keep_ready of a missing program is accepted");
	for (int i = 0; i < 50; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	ok(sbx_pool_ready(pool) == 0 && children(kids, 64) == 0, "no worker is ready, none runs");
	unsigned stops_before = stops;
	ok(stops >= 1, "the pool said why it stopped (%u)", stops);
	ok(sbx_pool_keep_ready(pool, "/nonexistent/prog", 2, &err) == 0, "asking again for the same program");
	for (int i = 0; i < 50; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	ok(stops == stops_before && children(kids, 64) == 0, "does not try again: the stop holds (%u stops)", stops);
	char *missing[] = { "prog", NULL };
	r = run(pool, "/nonexistent/prog", missing, -1, &j, out, sizeof(out), &took, &err);
	ok(r < 0 && err.message && strstr(err.message, "/nonexistent/prog"), "its job fails with the error: %s",
	   err.message ? err.message : "(none)");
	sbx_error_free(&err);
	r = sbx_pool_keep_ready(pool, "/bin/sh", 65, &err);
	ok(r == -EINVAL && err.message && strstr(err.message, "64"), "more than 64 ready workers is refused: %s",
	   err.message ? err.message : "(none)");
	sbx_error_free(&err);
	ok(sbx_pool_keep_ready(pool, "/bin/sh", 3, &err) == 0 && wait_ready(pool, 3, 20), "three ready again");
	/* A job right after keep_ready for a new program: the worker made at once, still
	 * preparing, takes it. */
	ok(sbx_pool_keep_ready(pool, "/bin/echo", 1, &err) == 0, "keep_ready(/bin/echo, 1)");
	char *echo2[] = { "echo", "held", NULL };
	r = run(pool, "/bin/echo", echo2, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && took && strcmp(out, "held\n") == 0 && j.e.status == 0,
	   "a job given to a worker still preparing runs on it once it is ready (took %d)", took);
	sbx_error_free(&err);
}

/* Under `exec none`, a program's execveat with the held exec's flags is a violation, on a ready
 * worker and on a cold one: the routing to the broker never lets an exec through that the
 * policy forbids. */
static void exec_none(const char *dir)
{
#ifdef __x86_64__
	static char out[4096];
	struct sbx_error err = SBX_ERROR_INIT;
	struct job j;
	bool took;
	char pol[4096];
	snprintf(pol, sizeof(pol), "%s/noexec.policy", dir);
	/* The default policy with `exec none` for its `exec allow`. */
	const char *path = getenv("SBX_POLICY_PATH");
	char def[4096], line[4096];
	snprintf(def, sizeof(def), "%s/default.policy", path ? path : "/nonexistent");
	FILE *in = fopen(def, "re"), *f = in ? fopen(pol, "we") : NULL;
	while (in && f && fgets(line, sizeof(line), in))
		fputs(strncmp(line, "exec allow", 10) == 0 ? "exec none\n" : line, f);
	if (in)
		fclose(in);
	if (f)
		fclose(f);
	struct sbx_config *cfg = NULL;
	struct sbx_pool *pool = NULL;
	struct sbx_policy *p = NULL;
	if (access("/usr/bin/python3", X_OK) != 0 || !f) {
		printf("ok %d # SKIP needs python3 and SBX_POLICY_PATH (meson sets it)\n", ++n_test);
		unlink(pol);
		return;
	}
	if (sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    sbx_policy_new(pol, NULL, &p, &err) < 0 || sbx_config_set_policy(cfg, p) < 0 ||
	    sbx_pool_new(base, cfg, &pool, &err) < 0) {
		ok(false, "an exec-none pool: %s", err.message ? err.message : "setup failed");
		unlink(pol);
		sbx_config_free(cfg);
		sbx_error_free(&err);
		return;
	}
	static const unsigned long flags[] = { 0x1100, 0x1000, 0xffffffff00001100ul };
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		char code[1024];
		snprintf(code, sizeof(code),
			 "import ctypes, os\n"
			 "libc = ctypes.CDLL(None, use_errno=True)\n"
			 "fd = os.open('/bin/echo', os.O_PATH)\n"
			 "argv = (ctypes.c_char_p * 3)(b'echo', b'EXECUTED', None)\n"
			 "envp = (ctypes.c_char_p * 1)(None)\n"
			 "libc.syscall(ctypes.c_long(322), ctypes.c_long(fd), b'', argv, envp, ctypes.c_ulong(%#lx))\n"
			 "print('returned', ctypes.get_errno())\n",
			 flags[k]);
		char *argv[] = { "python3", "-c", code, NULL };
		for (int warm = 1; warm >= 0; warm--) {
			int r;
			if (warm) {
				ok(sbx_pool_keep_ready(pool, "/usr/bin/python3", 1, &err) == 0 && wait_ready(pool, 1, 20),
				   "a ready python3 under exec none");
				r = run(pool, "/usr/bin/python3", argv, -1, &j, out, sizeof(out), &took, &err);
			} else {
				sbx_pool_keep_ready(pool, "/usr/bin/python3", 0, &err);
				r = run(pool, "/usr/bin/python3", argv, -1, &j, out, sizeof(out), &took, &err);
			}
			ok(r == 0 && took == warm && j.e.kind == SBX_EXIT_VIOLATION && j.e.status == 159 && !strstr(out, "EXECUTED"),
			   "exec none: execveat with flags %#lx is a violation, %s (took %d, status %d)", flags[k],
			   warm ? "warm" : "cold", took, j.e.status);
		}
	}
	sbx_pool_free(pool);
	sbx_config_free(cfg);
	unlink(pol);
	sbx_error_free(&err);
#else
	(void)dir;
	printf("ok %d # SKIP execveat's number is x86_64's here\n", ++n_test);
#endif
}

/* Resources are opened when a job starts: a pool whose configuration has one makes no ready
 * worker (one would truncate the file, connect, capture before its job). */
static void resources(const char *dir)
{
	static char out[4096];
	struct sbx_config *cfg;
	struct sbx_pool *pool;
	struct sbx_error err = SBX_ERROR_INIT;
	struct job j;
	bool took;
	pid_t kids[64];
	char path[4096];
	snprintf(path, sizeof(path), "%s/out", dir);
	if (sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    sbx_config_add_file(cfg, "out", path, SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC) < 0 ||
	    sbx_pool_new(base, cfg, &pool, &err) < 0) {
		ok(false, "a pool with a file resource: %s", err.message ? err.message : "setup failed");
		return;
	}
	ok(sbx_pool_keep_ready(pool, "/bin/sh", 2, &err) == 0, "keep_ready on a pool with a resource is accepted");
	for (int i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	ok(children(kids, 64) == 0 && sbx_pool_ready(pool) == 0, "but no worker is made ahead of its job");
	char *w[] = { "sh", "-c", "echo job >&3; echo ran", NULL };
	int r = run(pool, "/bin/sh", w, -1, &j, out, sizeof(out), &took, &err);
	char back[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!read(fd, back, sizeof(back) - 1);
		close(fd);
	}
	ok(r == 0 && !took && j.e.status == 0 && strcmp(back, "job\n") == 0, "its job starts cold with the resource");
	unlink(path);
	sbx_pool_free(pool);
	sbx_config_free(cfg);
	/* The same through the policy's own resource: nothing opened ahead (the file not made). */
	char pol[4096];
	snprintf(pol, sizeof(pol), "%s/res.policy", dir);
	FILE *f = fopen(pol, "we");
	if (f) {
		fprintf(f, "resource OUT file %s wct\n", path);
		fclose(f);
	}
	struct sbx_policy *p = NULL;
	cfg = NULL;
	pool = NULL;
	if (sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    sbx_policy_new(pol, NULL, &p, &err) < 0 || sbx_config_set_policy(cfg, p) < 0 ||
	    sbx_pool_new(base, cfg, &pool, &err) < 0) {
		ok(false, "a pool whose policy has a resource: %s", err.message ? err.message : "setup failed");
		unlink(pol);
		sbx_config_free(cfg);
		sbx_error_free(&err);
		return;
	}
	ok(sbx_pool_keep_ready(pool, "/bin/sh", 1, &err) == 0, "keep_ready on a pool whose policy has a resource");
	for (int i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(2000);
	}
	ok(children(kids, 64) == 0 && access(path, F_OK) < 0, "no worker made ahead, the policy's file not touched");
	/* The configuration changes (the built-in policy, no resource): the stop is lifted at the
	 * next job, which starts cold, and workers are made again. */
	sbx_config_set_policy(cfg, NULL);
	char *t[] = { "sh", "-c", "echo x", NULL };
	r = run(pool, "/bin/sh", t, -1, &j, out, sizeof(out), &took, &err);
	ok(r == 0 && !took && j.e.status == 0, "after the configuration changed, a job starts cold");
	ok(wait_ready(pool, 1, 20), "and workers are made ready again");
	unlink(pol);
	sbx_pool_free(pool);
	sbx_config_free(cfg);
	sbx_error_free(&err);
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	char dir[] = "/tmp/sbx-test-ready.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot make a temporary folder\n");
		return 0;
	}
	chmod(dir, 0755);
	struct sbx_config *cfg;
	struct sbx_pool *pool;
	struct sbx_error err = SBX_ERROR_INIT;
	base = event_base_new();
	if (!base || sbx_config_new(&cfg) < 0 || sbx_config_set_log(cfg, on_log, NULL) < 0 ||
	    sbx_config_add_path(cfg, dir, false) < 0 ||
	    sbx_pool_new(base, cfg, &pool, &err) < 0) {
		printf("not ok 1 - pool: %s\n1..1\n", err.message ? err.message : "setup failed");
		return 1;
	}
	printf("# uid %d\n", (int)getuid());
	jobs_and_isolation(pool);
	time_limit(cfg, pool);
	cold_cases(pool, dir);
	host_view(pool);
	replaced_and_failing(pool);
	sbx_pool_free(pool);
	resources(dir);
	exec_none(dir);
	pid_t kids[64];
	int left = 0;
	for (int i = 0; i < 200 && (left = children(kids, 64)) > 0; i++)
		usleep(10000);
	ok(left == 0, "freeing the pool leaves no ready worker running (%d)", left);
	sbx_config_free(cfg);
	event_base_free(base);
	char path[4096];
	snprintf(path, sizeof(path), "%s/input", dir);
	unlink(path);
	rmdir(dir);
	printf("1..%d\n", n_test);
	return failed;
}
