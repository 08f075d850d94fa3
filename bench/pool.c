/* SPDX-License-Identifier: MIT */
/*
 * pool: what a libsbx pool costs an embedder (bench/batch.sh runs it).
 *
 *   pool latency N      N jobs of /bin/true one after another through one pool; prints
 *                       RESULT pool MEDIAN_US P10_US P90_US (spawn until the exit callback)
 *   pool warm N         the same with a ready worker (sbx_pool_keep_ready): each job is timed
 *                       once the pool has one ready, as a service between requests would;
 *                       prints RESULT warm MEDIAN_US P10_US P90_US
 *   pool rss N          N live workers (/bin/sleep 30) at once; prints RESULT rss KIB, the
 *                       broker's VmRSS with all of them running, then kills them
 */
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbx.h"

static int running;
static double now_us(void);
static double exit_us; /* when the last exit callback ran: the caller knows the job's end */

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w, (void)e;
	exit_us = now_us();
	running--;
	event_base_loopbreak(userdata);
}

static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb };

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int latency(struct event_base *base, struct sbx_pool *pool, int n, bool warm)
{
	struct sbx_error kerr = SBX_ERROR_INIT;
	if (warm && sbx_pool_keep_ready(pool, "/bin/true", 1, &kerr) < 0) {
		fprintf(stderr, "keep_ready: %s\n", kerr.message);
		return 1;
	}
	char *argv[] = { "/bin/true", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int stdio[3] = { null, null, null };
	double *us = calloc((size_t)n, sizeof(*us));
	for (int i = -5; i < n; i++) { /* 5 unrecorded warm-up rounds */
		struct sbx_error err = SBX_ERROR_INIT;
		struct sbx_worker *w;
		while (warm && sbx_pool_ready(pool) < 1)
			event_base_loop(base, EVLOOP_ONCE);
		double t0 = now_us();
		if (sbx_pool_spawn(pool, argv[0], argv, stdio, &callbacks, base, &w, &err) < 0) {
			fprintf(stderr, "spawn: %s\n", err.message);
			return 1;
		}
		running++;
		while (running)
			event_base_dispatch(base);
		if (i >= 0)
			us[i] = exit_us - t0; /* spawn until the exit callback */
		sbx_worker_free(w);
	}
	qsort(us, (size_t)n, sizeof(*us), cmp);
	printf("RESULT %s %.0f %.0f %.0f\n", warm ? "warm" : "pool", us[n / 2], us[n / 10], us[n * 9 / 10]);
	free(us);
	close(null);
	return 0;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int rss(struct event_base *base, struct sbx_pool *pool, int n)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct sbx_worker **w = calloc((size_t)n, sizeof(*w));
	for (int i = 0; i < n; i++) {
		struct sbx_error err = SBX_ERROR_INIT;
		if (sbx_pool_spawn(pool, argv[0], argv, NULL, &callbacks, base, &w[i], &err) < 0) {
			fprintf(stderr, "spawn %d: %s\n", i, err.message);
			return 1;
		}
		running++;
	}
	/* Let every sandbox finish its setup (the filter, the listener) before measuring. */
	struct timeval tv = { 2, 0 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	printf("RESULT rss %ld (%d live workers)\n", rss_kib(), running);
	for (int i = 0; i < n; i++)
		sbx_worker_free(w[i]);
	free(w);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: pool latency|warm|rss N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	struct event_base *base = event_base_new();
	struct sbx_config *cfg;
	struct sbx_pool *pool;
	struct sbx_error err = SBX_ERROR_INIT;
	if (n <= 0 || !base || sbx_config_new(&cfg) < 0 || sbx_pool_new(base, cfg, &pool, &err) < 0) {
		fprintf(stderr, "pool: %s\n", err.message ? err.message : "setup failed");
		return 1;
	}
	fprintf(stderr, "pool: %s\n", sbx_pool_shares_netns(pool) ? "shared network namespace" : "a network namespace per job");
	int r = strcmp(argv[1], "rss") == 0 ? rss(base, pool, n) : latency(base, pool, n, strcmp(argv[1], "warm") == 0);
	sbx_pool_free(pool);
	sbx_config_free(cfg);
	event_base_free(base);
	return r;
}
