/* SPDX-License-Identifier: MIT */
/* libsbx embedded in a host's own libevent loop: several workers at once, per-worker host ids
 * from a range, exit callbacks, the caller's fds and loop left alone. TAP. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sbx.h"

static int n_test;
static int failed;

static void ok(int cond, const char *what, const char *arg)
{
	printf("%sok %d - %s%s\n", cond ? "" : "not ", ++n_test, what, arg);
	if (!cond)
		failed = 1;
}

struct ctx {
	struct event_base *base;
	int exits;
	int status[4];
	int calls[4];
};

struct wctx {
	struct ctx *c;
	int idx;
};

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct wctx *wc = userdata;
	wc->c->status[wc->idx] = e->status;
	wc->c->calls[wc->idx]++;
	if (++wc->c->exits == 2)
		event_base_loopexit(wc->c->base, NULL);
}

static long read_number(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(void)
{
	printf("1..8\n");
	if (geteuid() != 0) {
		for (int i = 0; i < 8; i++)
			printf("ok %d # SKIP needs root (an id range without newuidmap)\n", i + 1);
		return 0;
	}
	char dir[] = "/tmp/sbx-embed-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char out[2][256];
	struct ctx c = { .base = event_base_new() };
	struct sbx_config *cfg[2];
	struct sbx_worker *w[2] = { NULL, NULL };
	struct wctx wc[2] = { { &c, 0 }, { &c, 1 } };
	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_exit_cb };
	int fds_before = 0;
	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fds_before++;

	for (int i = 0; i < 2; i++) {
		snprintf(out[i], sizeof(out[i]), "%s/out%d", dir, i);
		sbx_config_new(&cfg[i]);
		sbx_config_set_id_range(cfg[i], 231072, 231072, 64);
		sbx_config_add_file(cfg[i], "OUT", out[i], SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC);
		/* Both run at once: the second starts while the first still holds its id. */
		char *argv[] = { "sh", "-c", "id -u >&3; sleep 0.5", NULL };
		struct sbx_error err = SBX_ERROR_INIT;
		int r = sbx_worker_spawn(c.base, cfg[i], "/bin/sh", argv, &cb, &wc[i], &w[i], &err);
		ok(r == 0, "spawn worker ", i ? "2" : "1");
		if (r < 0)
			fprintf(stderr, "# %s\n", err.message);
		sbx_error_free(&err);
	}
	struct timeval limit = { 20, 0 };
	event_base_loopexit(c.base, &limit);
	event_base_dispatch(c.base);
	ok(c.exits == 2 && c.calls[0] == 1 && c.calls[1] == 1 && c.status[0] == 0 && c.status[1] == 0,
	   "both exit callbacks called once, status 0", "");
	long u0 = read_number(out[0]), u1 = read_number(out[1]);
	printf("# host uids: %ld %ld\n", u0, u1);
	ok(u0 >= 231072 && u0 < 231072 + 64 && u1 >= 231072 && u1 < 231072 + 64, "uids from the range", "");
	ok(u0 != u1, "two concurrent workers never share a host uid", "");

	for (int i = 0; i < 2; i++) {
		sbx_worker_free(w[i]);
		sbx_config_free(cfg[i]);
	}
	/* Once freed, an id is free again: a new worker takes the lowest. */
	struct sbx_config *again;
	sbx_config_new(&again);
	sbx_config_set_id_range(again, 231072, 231072, 64);
	sbx_config_add_file(again, "OUT", out[0], SBX_ACCESS_WRITE | SBX_ACCESS_TRUNC);
	char *argv[] = { "sh", "-c", "id -u >&3", NULL };
	struct sbx_worker *w3 = NULL;
	c.exits = 1;
	int r = sbx_worker_spawn(c.base, again, "/bin/sh", argv, &cb, &wc[0], &w3, NULL);
	event_base_loopexit(c.base, &limit);
	event_base_dispatch(c.base);
	ok(r == 0 && read_number(out[0]) == 231072, "a released id is taken again", "");
	sbx_worker_free(w3);
	sbx_config_free(again);

	int fds_after = 0;
	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fds_after++;
	ok(fds_after == fds_before, "no fd of the host leaked", "");
	ok(sbx_config_set_host_id(NULL, 0, 0) == -EINVAL, "host id 0 refused", "");
	event_base_free(c.base);
	unlink(out[0]);
	unlink(out[1]);
	rmdir(dir);
	return failed;
}
