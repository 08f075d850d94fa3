/* SPDX-License-Identifier: MIT */
/* The broker under attack: libsbx embedded in one libevent loop serves a well-behaved worker
 * (hostile.c "good": an OPEN every 100 ms) beside each hostile worker. For every malformed
 * request the hostile one must be killed (SBX_EXIT_KILLED, the message and the audit callback
 * naming the violation) while the good one keeps getting its fds and finally reads an fd the
 * host pushes with sbx_worker_send_fd. Refused paths are normal answers, not kills, and
 * nothing outside the granted directories is ever opened (inotify watches it). TAP.
 *
 * Usage: test-broker PATH-TO-HOSTILE */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "sbx.h"
#include "tests/tap.h"
#include "tree.h"

enum expect { EXPECT_EXIT0, EXPECT_KILL, EXPECT_TOLD /* refused with EPROTONOSUPPORT, audited, served on */ };

struct test_case {
	const char *args[3];  /* hostile's subcommand (and its argument) */
	enum expect expect;
	const char *why;      /* EXPECT_KILL, EXPECT_TOLD: a part of the refusal's description */
	const char *about;
};

static const struct test_case cases[] = {
	/* Valid requests and refusals: answered, never killed. */
	{ { "open" }, EXPECT_EXIT0, NULL, "valid OPEN of a file, a directory, a created file" },
	{ { "log" }, EXPECT_EXIT0, NULL, "valid LOG" },
	{ { "done" }, EXPECT_EXIT0, NULL, "DONE, then LOG in LOCKED" },
	{ { "capture" }, EXPECT_EXIT0, NULL, "CAPTURE (unknown name refused; CAP granted as root)" },
	{ { "escapes" }, EXPECT_EXIT0, NULL, "path escapes refused with EACCES/EXDEV/ELOOP, worker not killed" },
	{ { "fd-quota" }, EXPECT_EXIT0, NULL, "fd quota: EMFILE past SBX_REQ_FD_QUOTA, not killed" },
	{ { "fifo-read" }, EXPECT_EXIT0, NULL, "a planted FIFO opened for reading does not stall the broker" },
	{ { "fifo-write" }, EXPECT_EXIT0, NULL, "a planted FIFO opened for writing does not stall the broker" },
	{ { "fifo-create" }, EXPECT_EXIT0, NULL, "a planted FIFO opened with CREATE does not stall the broker" },
	{ { "dirfd-escape" }, EXPECT_EXIT0, NULL, "the directory fds the worker holds do not lead outside" },
	{ { "client", "open" }, EXPECT_EXIT0, NULL, "client library: open, create, log, done" },
	{ { "client", "refused" }, EXPECT_EXIT0, NULL, "client library: refusals as -errno" },
	{ { "client", "receive" }, EXPECT_EXIT0, NULL, "client library: receive a pushed fd" },
	{ { "client", "noenv" }, EXPECT_EXIT0, NULL, "client library: no channel" },
	{ { "client", "push-race" }, EXPECT_EXIT0, NULL, "client library: a pushed fd queued before a reply" },
	{ { "client", "version" }, EXPECT_EXIT0, NULL, "client library: SBX_BROKER_PROTOCOL of another version is -EPROTONOSUPPORT" },
	/* Another protocol version: told, not killed. */
	{ { "version-old" }, EXPECT_TOLD, "worker speaks request protocol version 0, broker speaks 1",
	  "a request from a client before versioning: EPROTONOSUPPORT it can read" },
	{ { "version-next" }, EXPECT_TOLD, "worker speaks request protocol version 2, broker speaks 1",
	  "a request of the next version: EPROTONOSUPPORT" },
	/* Protocol violations: killed. */
	{ { "empty" }, EXPECT_KILL, "empty", "an empty datagram" },
	{ { "short" }, EXPECT_KILL, "datagram size out of range", "a datagram shorter than the header" },
	{ { "short-open" }, EXPECT_KILL, "wrong size for the request type", "an OPEN one byte short" },
	{ { "long" }, EXPECT_KILL, "datagram size out of range", "a datagram of SBX_REQ_MAX + 1" },
	{ { "huge" }, EXPECT_KILL, "truncated", "a datagram of 2 * SBX_REQ_MAX" },
	{ { "oversize" }, EXPECT_KILL, "wrong size for the request type", "an OPEN with 8 bytes more" },
	{ { "len-mismatch" }, EXPECT_KILL, "header length does not match", "header len below the datagram" },
	{ { "len-zero" }, EXPECT_KILL, "header length does not match", "header len 0" },
	{ { "type-unknown" }, EXPECT_KILL, "unknown request type", "type 9" },
	{ { "type-zero" }, EXPECT_KILL, "unknown request type", "type 0" },
	{ { "type-reply" }, EXPECT_KILL, "unknown request type", "a reply type (REP_FD) sent to the broker" },
	{ { "type-push" }, EXPECT_KILL, "unknown request type", "PUSH_FD sent to the broker" },
	{ { "type-huge" }, EXPECT_KILL, "unknown request type", "type 0xffff" },
	{ { "type-bit" }, EXPECT_KILL, "unknown request type", "type 33 (1 << 33 must not wrap to OPEN)" },
	{ { "open-as-log" }, EXPECT_KILL, "wrong size for the request type", "a LOG header on an OPEN body" },
	{ { "open-after-done" }, EXPECT_KILL, "not allowed in this state", "OPEN after DONE" },
	{ { "capture-after-done" }, EXPECT_KILL, "not allowed in this state", "CAPTURE after DONE" },
	{ { "done-twice" }, EXPECT_KILL, "not allowed in this state", "DONE twice" },
	{ { "fd-attached" }, EXPECT_KILL, "never sends file descriptors", "an fd attached to a LOG" },
	{ { "fds-many" }, EXPECT_KILL, "truncated", "20 fds attached (control data truncated)" },
	{ { "fd-on-open" }, EXPECT_KILL, "never sends file descriptors", "an fd attached to a valid OPEN" },
	{ { "nonul-dir" }, EXPECT_KILL, "NUL", "OPEN dir without NUL" },
	{ { "nonul-path" }, EXPECT_KILL, "NUL", "OPEN path without NUL" },
	{ { "nonul-capture" }, EXPECT_KILL, "NUL", "CAPTURE name without NUL" },
	{ { "nonul-log" }, EXPECT_KILL, "malformed log", "LOG text without NUL" },
	{ { "bad-flags" }, EXPECT_KILL, "bad open flags", "OPEN with an unknown flag" },
	{ { "flags-high" }, EXPECT_KILL, "bad open flags", "OPEN with flag bit 31" },
	{ { "no-access" }, EXPECT_KILL, "bad open flags", "OPEN with CREATE only" },
	{ { "log-level" }, EXPECT_KILL, "malformed log", "LOG level 3" },
	{ { "log-reserved" }, EXPECT_KILL, "malformed log", "LOG reserved field set" },
	{ { "flood" }, EXPECT_KILL, "flooding", "more than SBX_REQ_BURST requests in a second" },
	{ { "no-read" }, EXPECT_KILL, "does not read its replies", "never reading the replies" },
	{ { "quota" }, EXPECT_KILL, "quota", "more than SBX_REQ_QUOTA requests" },
	{ { "client", "after-done" }, EXPECT_KILL, "not allowed in this state", "client library: open after done" },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

struct run;

struct wstate {
	struct run *run;
	const struct test_case *tc; /* NULL: the good worker */
	struct sbx_worker *w;
	bool exited;
	struct sbx_exit exit;       /* its strings are the worker's: read them before free_run() */
	unsigned grants, refusals, protocol_audits;
	int protocol_error;
	char protocol_why[128];
	uint64_t last_grant_ms, max_gap_ms;
};

struct run {
	struct event_base *base;
	struct wstate good;
	struct wstate bad[N_CASES];
	size_t n_bad, n_bad_live, n_live;
	unsigned grants_at_bad_end;
	bool bad_all_done, pushed;
	int push_result;
	bool timed_out;
};

static const char *hostile;
static struct tree t;
static struct sbx_config *cfg;
static int inotify_fd = -1;
static bool have_capture;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void push_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct run *run = arg;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		run->push_result = -errno;
		return;
	}
	if (write(p[1], "stop\n", 5) != 5)
		run->push_result = -EIO;
	else
		run->push_result = sbx_worker_send_fd(run->good.w, "stop", p[0]);
	close(p[0]);
	close(p[1]);
}

/* Once every hostile worker has ended and the good one has had three more fds since, tell it
 * to stop with an fd pushed through the broker. */
static void maybe_push(struct run *run)
{
	if (run->pushed || !run->bad_all_done || run->good.exited || run->good.grants < run->grants_at_bad_end + 3)
		return;
	run->pushed = true;
	struct timeval zero = { 0, 0 };
	event_base_once(run->base, -1, EV_TIMEOUT, push_stop, run, &zero);
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct wstate *ws = userdata;
	struct run *run = ws->run;
	ws->exited = true;
	ws->exit = *e;
	if (ws->tc && --run->n_bad_live == 0) {
		run->bad_all_done = true;
		run->grants_at_bad_end = run->good.grants;
		maybe_push(run);
	}
	if (--run->n_live == 0)
		event_base_loopexit(run->base, NULL);
}

static void on_audit_cb(struct sbx_worker *w, const struct sbx_audit *a, void *userdata)
{
	(void)w;
	struct wstate *ws = userdata;
	if (strcmp(a->request, "protocol") == 0) {
		ws->protocol_audits++;
		ws->protocol_error = a->error;
		snprintf(ws->protocol_why, sizeof(ws->protocol_why), "%s", a->target ? a->target : "");
		return;
	}
	if (strcmp(a->request, "open") == 0 || strcmp(a->request, "capture") == 0) {
		if (!a->granted) {
			ws->refusals++;
			return;
		}
		uint64_t t_ms = now_ms();
		if (ws->grants && t_ms - ws->last_grant_ms > ws->max_gap_ms)
			ws->max_gap_ms = t_ms - ws->last_grant_ms;
		ws->last_grant_ms = t_ms;
		ws->grants++;
		if (!ws->tc)
			maybe_push(ws->run);
	}
}

static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb, .audit = on_audit_cb };

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct run *run = arg;
	run->timed_out = true;
	if (!run->good.exited && run->good.w)
		sbx_worker_signal(run->good.w, SIGKILL);
	for (size_t i = 0; i < run->n_bad; i++)
		if (!run->bad[i].exited && run->bad[i].w)
			sbx_worker_signal(run->bad[i].w, SIGKILL);
}

static int spawn(struct run *run, struct wstate *ws, const char *const *args)
{
	char *argv[4] = { (char *)"hostile", NULL, NULL, NULL };
	for (int i = 0; i < 2 && args[i]; i++)
		argv[1 + i] = (char *)args[i];
	struct sbx_error err = SBX_ERROR_INIT;
	ws->run = run;
	int r = sbx_worker_spawn(run->base, cfg, hostile, argv, &callbacks, ws, &ws->w, &err);
	if (r < 0) {
		tap_diag("spawning hostile %s: %s", argv[1], err.message);
		sbx_error_free(&err);
		ws->exited = true;
		return r;
	}
	run->n_live++;
	return 0;
}

/* Hold the read end of the planted FIFO open after a while: if the broker blocked opening its
 * write end, this releases it so that the test can report the stall instead of hanging. */
static void *release_fifo(void *arg)
{
	(void)arg;
	sleep(3);
	int fd = open(t.fifo_out, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	usleep(500 * 1000);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Report and forget what inotify saw in out/: any access there came through an escape. */
static void check_outside(const char *label)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char names[256] = "";
	ssize_t n;
	bool seen = false;
	while ((n = read(inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && ev->name[0]) {
				seen = true;
				if (strlen(names) + strlen(ev->name) + 2 < sizeof(names)) {
					strcat(names, " ");
					strcat(names, ev->name);
				}
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	tap_ok(!seen, "%s: nothing outside the granted directories was opened%s%s", label, seen ? ": opened" : "",
	       names);
}

static void run_workers(struct run *run, const struct test_case *const *tcs, size_t n)
{
	run->base = event_base_new();
	run->n_bad = n;
	for (size_t i = 0; i < n; i++)
		run->bad[i].tc = tcs[i];
	if (spawn(run, &run->good, (const char *const[]){ "good", NULL }) < 0)
		return;
	struct event *timer = evtimer_new(run->base, on_timeout, run);
	struct timeval limit = { 60, 0 };
	evtimer_add(timer, &limit);
	pthread_t releaser;
	bool fifo = false;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(tcs[i]->args[0], "fifo-", 5) == 0)
			fifo = true;
		if (spawn(run, &run->bad[i], tcs[i]->args) == 0)
			run->n_bad_live++;
		if (tcs[i]->args[1] && (strcmp(tcs[i]->args[1], "receive") == 0 || strcmp(tcs[i]->args[1], "push-race") == 0)) {
			int p[2];
			if (pipe2(p, O_CLOEXEC) == 0) {
				if (write(p[1], "pushed\n", 7) != 7 || sbx_worker_send_fd(run->bad[i].w, "gift", p[0]) < 0)
					tap_diag("pushing the gift fd failed");
				close(p[0]);
				close(p[1]);
			}
		}
	}
	if (run->n_bad_live == 0) {
		run->bad_all_done = true;
		run->grants_at_bad_end = run->good.grants;
	}
	if (fifo)
		pthread_create(&releaser, NULL, release_fifo, NULL);
	event_base_dispatch(run->base);
	if (fifo)
		pthread_join(releaser, NULL);
	event_free(timer);
}

static void free_run(struct run *run)
{
	sbx_worker_free(run->good.w);
	for (size_t i = 0; i < run->n_bad; i++)
		sbx_worker_free(run->bad[i].w);
	event_base_free(run->base);
}

/* A worker whose spawn failed has no exit: its struct is zeroed, message NULL. */
static const char *exit_message(const struct sbx_exit *e)
{
	return e->message ? e->message : "";
}

static const char *kind_name(enum sbx_exit_kind k)
{
	static const char *const names[] = { "exited", "signaled", "violation", "timeout", "setup failed",
					     "exec failed", "killed" };
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void check_bad(const struct wstate *ws)
{
	const struct test_case *tc = ws->tc;
	const struct sbx_exit *e = &ws->exit;
	char label[96];
	snprintf(label, sizeof(label), "%s%s%s", tc->args[0], tc->args[1] ? " " : "", tc->args[1] ? tc->args[1] : "");
	if (!ws->exited || !ws->w) {
		tap_ok(false, "%s (%s): the worker ran", label, tc->about);
		return;
	}
	if (tc->expect == EXPECT_TOLD) {
		tap_ok(e->kind == SBX_EXIT_EXITED && e->code == 0, "%s: %s, then served (%s %d%s%s)", label, tc->about,
		       kind_name(e->kind), e->kind == SBX_EXIT_EXITED ? e->code : e->signal, exit_message(e)[0] ? ": " : "",
		       exit_message(e));
		tap_ok(ws->protocol_audits == 1 && ws->protocol_error == EPROTONOSUPPORT && strstr(ws->protocol_why, tc->why),
		       "%s: the audit says which versions met (%u, '%s')", label, ws->protocol_audits, ws->protocol_why);
		return;
	}
	if (tc->expect == EXPECT_EXIT0) {
		tap_ok(e->kind == SBX_EXIT_EXITED && e->code == 0 && ws->protocol_audits == 0,
		       "%s: %s (%s %d%s%s)", label, tc->about, kind_name(e->kind), e->kind == SBX_EXIT_EXITED ? e->code : e->signal,
		       exit_message(e)[0] ? ": " : "", exit_message(e));
		return;
	}
	bool killed = e->kind == SBX_EXIT_KILLED && strstr(exit_message(e), "killed for breaking the broker protocol") &&
		      strstr(exit_message(e), tc->why);
	tap_ok(killed, "%s: %s kills the worker (%s%s%s%s)", label, tc->about, kind_name(e->kind),
	       e->kind == SBX_EXIT_EXITED ? (e->code == 2 ? ", exit 2: survived the violation"
					   : e->code == 1 ? ", exit 1: the broker answered it"
							  : ", other exit")
					  : "",
	       exit_message(e)[0] ? ": " : "", exit_message(e));
	tap_ok(ws->protocol_audits == 1 && ws->protocol_error == EPROTO && strstr(ws->protocol_why, tc->why),
	       "%s: the audit callback saw the refusal once (%u, '%s')", label, ws->protocol_audits, ws->protocol_why);
}

static void check_good(const struct run *run, const char *label)
{
	const struct wstate *g = &run->good;
	tap_ok(!run->timed_out, "%s: finished within the time limit", label);
	tap_ok(g->exited && g->exit.kind == SBX_EXIT_EXITED && g->exit.code == 0 && run->push_result == 0,
	       "%s: the good worker kept being served and read the fd pushed by sbx_worker_send_fd (%s %d, push %d)%s%s",
	       label, kind_name(g->exit.kind), g->exit.code, run->push_result, exit_message(&g->exit)[0] ? ": " : "",
	       exit_message(&g->exit));
	tap_ok(g->grants >= run->grants_at_bad_end + 3 && g->max_gap_ms < 1500,
	       "%s: the good worker got %u fds after the other ended (%u in all), never waiting more than 1.5 s "
	       "(longest %llu ms)",
	       label, g->grants - run->grants_at_bad_end, g->grants, (unsigned long long)g->max_gap_ms);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int make_config(void)
{
	int r = sbx_config_new(&cfg);
	static const struct grant grants[] = TREE_GRANTS;
	for (size_t i = 0; r == 0 && i < sizeof(grants) / sizeof(grants[0]); i++) {
		if (strcmp(grants[i].name, "MNT") == 0 && !t.mounted)
			continue;
		char dir[128];
		snprintf(dir, sizeof(dir), "%s/%s", t.root, grants[i].sub);
		r = sbx_config_add_dir(cfg, grants[i].name, dir, grants[i].access, grants[i].pattern);
	}
	if (r == 0 && have_capture)
		r = sbx_config_add_capture(cfg, "CAP", "lo", 0, "udp port 9");
	if (r == 0)
		r = sbx_config_set_time_limit_ms(cfg, 90000);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-HOSTILE\n", argv[0]);
		return 2;
	}
	hostile = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (tree_make(&t) < 0) {
		tap_ok(false, "building the test tree");
		return tap_done();
	}
	have_capture = geteuid() == 0;
	int r = make_config();
	if (r < 0) {
		tap_ok(false, "config: %s", strerror(-r));
		tree_remove(&t);
		return tap_done();
	}
	if (!t.mounted)
		tap_diag("no bind mount inside the tree (not root?): the RESOLVE_NO_XDEV case is left out");
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd < 0 || inotify_add_watch(inotify_fd, t.out, IN_OPEN | IN_ACCESS | IN_MODIFY) < 0) {
		tap_ok(false, "inotify on %s: %s", t.out, strerror(errno));
		return tap_done();
	}
	int fds_before = count_fds();

	/* Each case on its own, beside a fresh good worker. */
	for (size_t i = 0; i < N_CASES; i++) {
		static struct run run;
		memset(&run, 0, sizeof(run));
		const struct test_case *tc = &cases[i];
		run_workers(&run, &tc, 1);
		check_bad(&run.bad[0]);
		char label[96];
		snprintf(label, sizeof(label), "%s%s%s", tc->args[0], tc->args[1] ? " " : "", tc->args[1] ? tc->args[1] : "");
		check_good(&run, label);
		check_outside(label);
		free_run(&run);
	}

	/* Every violation at once, one broker loop, one good worker beside them. */
	{
		static struct run run;
		memset(&run, 0, sizeof(run));
		const struct test_case *tcs[N_CASES];
		size_t n = 0;
		for (size_t i = 0; i < N_CASES; i++)
			if (cases[i].expect == EXPECT_KILL)
				tcs[n++] = &cases[i];
		run_workers(&run, tcs, n);
		size_t n_killed = 0;
		for (size_t i = 0; i < n; i++) {
			const struct wstate *ws = &run.bad[i];
			if (ws->exited && ws->exit.kind == SBX_EXIT_KILLED && strstr(exit_message(&ws->exit), tcs[i]->why) &&
			    ws->protocol_audits == 1)
				n_killed++;
			else
				tap_diag("at once: %s: %s (%s)", tcs[i]->args[0], kind_name(ws->exit.kind), exit_message(&ws->exit));
		}
		tap_ok(n_killed == n, "at once: %zu hostile workers in one loop, %zu killed for their own violation", n,
		       n_killed);
		check_good(&run, "at once");
		check_outside("at once");
		free_run(&run);
	}

	/* A read-only grant whose tree holds a mount: the worker must still start (the grant's
	 * read-only reopen inside must carry the mounts below it, or refuse them, not fail). */
	if (t.mounted) {
		struct sbx_config *cfg_main = cfg;
		cfg = NULL;
		int e = sbx_config_new(&cfg);
		if (e == 0)
			e = sbx_config_add_dir(cfg, "MNTRO", t.mtree, SBX_ACCESS_READ, "mnt/*");
		if (e == 0) /* for the good worker beside it */
			e = sbx_config_add_dir(cfg, "DATA", t.data, SBX_ACCESS_READ, "*");
		static struct run run;
		memset(&run, 0, sizeof(run));
		static const struct test_case tc = { { "log" }, EXPECT_EXIT0, NULL, "a read-only grant over a mount" };
		const struct test_case *tcp = &tc;
		if (e == 0)
			run_workers(&run, &tcp, 1);
		tap_ok(e == 0 && run.good.w && run.bad[0].exited && run.bad[0].exit.kind == SBX_EXIT_EXITED &&
			       run.bad[0].exit.code == 0,
		       "a read-only --dir grant over a tree with a mount inside launches (%s)",
		       e < 0 ? strerror(-e) : exit_message(&run.good.exit)[0] ? exit_message(&run.good.exit) : "ok");
		if (e == 0)
			free_run(&run);
		sbx_config_free(cfg);
		cfg = cfg_main;
	} else {
		tap_skip("a read-only grant over a tree with a mount inside: cannot mount here (needs root)");
	}

	sbx_config_free(cfg);
	int fds_after = count_fds();
	tap_ok(fds_before == fds_after, "no fd leaked by the broker (%d before, %d after)", fds_before, fds_after);
	close(inotify_fd);
	tree_remove(&t);
	return tap_done();
}
