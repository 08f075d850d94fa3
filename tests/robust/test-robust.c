/* SPDX-License-Identifier: MIT */
/* Broker robustness (issue 8): a worker that floods brokered calls, makes them in many threads
 * at once, or dies in the middle of them costs only itself. One libsbx host (this program)
 * runs a well-behaved worker ("serve": a brokered setsockopt every 5 ms for the whole test)
 * beside each hostile one in turn, and measures its own fd count (/proc/self/fd) and VmRSS
 * after a warm-up run and after the hostile ones: the same fds, RSS within a small margin
 * (malloc keeps freed pages), and the well-behaved worker served throughout. TAP; root only
 * (a capture grant needs CAP_NET_RAW; the capture is on lo).
 *
 * Then a soak: for SOAK_SECONDS, one hostile worker after another makes random acts (random
 * datagrams on the request channel, random brokered calls), each ended however the broker sees
 * fit, while the well-behaved one is served.
 *
 *   test-robust HOSTILE-WORKER */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbx.h"

#define RSS_MARGIN_KB 1024 /* allocator slack, far below a leak per call or per worker */
#define SOAK_SECONDS 6

static int n_test, failed;

static void ok(int cond, const char *fmt, const char *detail)
{
	printf("%sok %d - %s%s%s\n", cond ? "" : "not ", ++n_test, fmt, detail ? ": " : "", detail ? detail : "");
	failed |= !cond;
}

struct run {
	struct event_base *base;
	int done;       /* exits seen */
	int want;       /* exits to wait for */
	struct sbx_exit_copy {
		int kind, status;
	} last, serve;
	struct sbx_worker *serve_w;
};

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	struct run *r = userdata;
	struct sbx_exit_copy c = { e->kind, e->status };
	if (w == r->serve_w)
		r->serve = c;
	else
		r->last = c;
	if (++r->done >= r->want)
		event_base_loopexit(r->base, NULL);
}

static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_exit_cb };

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own */
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Run one worker with argv to its end (and whatever else r waits for). */
static int run_one(struct run *r, struct sbx_config *cfg, const char *prog, char *const argv[])
{
	struct sbx_worker *w = NULL;
	struct sbx_error err = SBX_ERROR_INIT;
	r->done = 0;
	r->want = 1;
	r->last.kind = -1;
	if (sbx_worker_spawn(r->base, cfg, prog, argv, &cb, r, &w, &err) < 0) {
		printf("# spawn %s: %s\n", argv[1], err.message ? err.message : "?");
		sbx_error_free(&err);
		return -1;
	}
	event_base_dispatch(r->base);
	sbx_worker_free(w);
	return 0;
}

int main(int argc, char **argv)
{
	printf("1..9\n");
	if (geteuid() != 0 || argc != 2) {
		for (int i = 0; i < 9; i++)
			printf("ok %d # SKIP needs root (a capture grant on lo needs CAP_NET_RAW)\n", i + 1);
		return 0;
	}
	const char *prog = argv[1];
	struct run r = { .base = event_base_new() };
	struct sbx_config *cfg = NULL;
	if (!r.base || sbx_config_new(&cfg) < 0 || sbx_config_add_capture(cfg, "CAP", "lo", 0, NULL) < 0 ||
	    sbx_config_set_requests(cfg, true) < 0) {
		printf("Bail out! config\n");
		return 1;
	}
	char *warm[] = { "hostile-worker", "threads", "4", "200", NULL };
	run_one(&r, cfg, prog, warm);
	run_one(&r, cfg, prog, warm);
	ok(r.last.kind == SBX_EXIT_EXITED && r.last.status == 0, "warm-up: brokered calls in 4 threads answered", NULL);
	int fds0 = count_fds();
	long rss0 = rss_kb();

	/* The well-behaved worker, served beside every hostile one. */
	char *serve[] = { "hostile-worker", "serve", "20", NULL };
	struct sbx_error err = SBX_ERROR_INIT;
	if (sbx_worker_spawn(r.base, cfg, prog, serve, &cb, &r, &r.serve_w, &err) < 0) {
		printf("Bail out! serve: %s\n", err.message ? err.message : "?");
		return 1;
	}
	r.serve.kind = -1;
	struct {
		char *argv[6];
		int kind, status;
		const char *what;
	} hostile[] = {
		{ { "hostile-worker", "flood", "20000", NULL }, SBX_EXIT_EXITED, 0, "20000 brokered setsockopt in a row: answered" },
		{ { "hostile-worker", "threads", "32", "300", NULL }, SBX_EXIT_EXITED, 0,
		  "32 threads x 300 brokered setsockopt at once: answered" },
		{ { "hostile-worker", "die", "16", NULL }, SBX_EXIT_SIGNALED, 137,
		  "16 threads in brokered calls, killed mid-notification: ends as signaled (137)" },
		{ { "hostile-worker", "sockets", "16", NULL }, SBX_EXIT_VIOLATION, 159,
		  "16 threads flooding socket(AF_PACKET) beyond the grant: the worker is killed (159)" },
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char d[64];
		run_one(&r, cfg, prog, hostile[i].argv);
		snprintf(d, sizeof(d), "kind %d status %d", r.last.kind, r.last.status);
		ok(r.last.kind == hostile[i].kind && r.last.status == hostile[i].status, hostile[i].what, d);
	}
	/* The soak: random hostile workers, one after another, for a bounded time. */
	time_t soak_end = time(NULL) + SOAK_SECONDS;
	int soaked = 0, odd = 0;
	char seed_s[16], odd_d[96] = "";
	for (unsigned seed = 1; time(NULL) < soak_end; seed++, soaked++) {
		snprintf(seed_s, sizeof(seed_s), "%u", seed);
		char *rnd[] = { "hostile-worker", "random", seed_s, "3000", NULL };
		run_one(&r, cfg, prog, rnd);
		bool fine = r.last.kind == SBX_EXIT_EXITED || r.last.kind == SBX_EXIT_VIOLATION ||
			    r.last.kind == SBX_EXIT_KILLED;
		if (!fine && !odd++)
			snprintf(odd_d, sizeof(odd_d), "seed %u: kind %d status %d", seed, r.last.kind, r.last.status);
	}
	char sd[160];
	snprintf(sd, sizeof(sd), "%d random workers in %d s%s%s", soaked, SOAK_SECONDS, odd ? "; " : "", odd_d);
	ok(soaked > 0 && !odd, "soak: random requests and brokered calls end each worker as exited, violation or killed", sd);

	/* The well-behaved one: still running, then its end. */
	int serve_alive = r.serve.kind == -1;
	r.done = 0;
	r.want = 1;
	if (serve_alive)
		event_base_dispatch(r.base);
	char d[96];
	snprintf(d, sizeof(d), "alive through the hostile runs: %s, exit kind %d status %d", serve_alive ? "yes" : "no",
		 r.serve.kind, r.serve.status);
	ok(serve_alive && r.serve.kind == SBX_EXIT_EXITED && r.serve.status == 0,
	   "the well-behaved worker's brokered calls were all answered meanwhile", d);
	sbx_worker_free(r.serve_w);

	int fds1 = count_fds();
	long rss1 = rss_kb();
	snprintf(d, sizeof(d), "%d before, %d after", fds0, fds1);
	ok(fds1 == fds0, "the host's fd count is the same after", d);
	snprintf(d, sizeof(d), "%ld kB before, %ld kB after (margin %d kB)", rss0, rss1, RSS_MARGIN_KB);
	ok(rss0 > 0 && rss1 - rss0 <= RSS_MARGIN_KB, "the host's RSS is the same after", d);
	sbx_config_free(cfg);
	event_base_free(r.base);
	return failed;
}
