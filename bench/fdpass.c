/* SPDX-License-Identifier: MIT */
/* fd requests through the broker against a bare socketpair, measured side by side in one run.
 *
 *   bare    two processes, an AF_UNIX SOCK_SEQPACKET pair: the client sends a request the size
 *           of struct sbx_req_open, the server opens the file with the same openat2() the broker
 *           uses (RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS | NO_XDEV) and answers with the
 *           fd (SCM_RIGHTS); the client closes it.
 *   broker  libsbx: a sandboxed worker (sbx_worker_spawn, this same binary with --worker) calls
 *           sbx_client_open() in a loop; the broker in this process's libevent loop decodes,
 *           checks the grant, opens and answers.
 *
 * The protocol caps one worker at SBX_REQ_FD_QUOTA fds in its life and SBX_REQ_BURST requests a
 * second (more is "flooding" and kills it), so the work is done in rounds of BATCH requests,
 * each by a fresh worker (and, for fairness, a fresh bare client). Round trips are timed on the
 * client side; requests/second is requests over the summed loop time of the rounds. Both are
 * run with every process pinned to one CPU and unpinned.
 *
 * Usage: fdpass [ROUNDS]   (default 8 rounds of 250 requests) */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/protocol.h"
#include "sbx-client.h"
#include "sbx.h"

#define BATCH 250 /* below SBX_REQ_FD_QUOTA and SBX_REQ_BURST */
_Static_assert(BATCH < SBX_REQ_FD_QUOTA && BATCH < SBX_REQ_BURST, "a round must stay within one worker's quotas");

struct result {
	uint64_t elapsed_ns;
	uint64_t rtt_ns[BATCH];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the worker side of the broker measurement (inside the sandbox) ---- */

static int worker_main(void)
{
	struct sbx_client c;
	int out = sbx_client_resource("OUT");
	if (sbx_client_init(&c) < 0 || out < 0)
		return 2;
	static struct result res;
	uint64_t t0 = now_ns();
	for (int i = 0; i < BATCH; i++) {
		uint64_t t = now_ns();
		int fd = sbx_client_open(&c, "DATA", "a.txt", SBX_CLIENT_READ, 0);
		res.rtt_ns[i] = now_ns() - t;
		if (fd < 0)
			return 3;
		close(fd);
	}
	res.elapsed_ns = now_ns() - t0;
	return write_all(out, &res, sizeof(res)) < 0 ? 4 : 0;
}

/* ---- bare socketpair ---- */

static int open_like_the_broker(int dirfd)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	return (int)syscall(SYS_openat2, dirfd, "a.txt", &how, sizeof(how));
}

static int send_fd(int sock, const void *msg, size_t len, int fd)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int recv_fd(int sock, void *msg, size_t len)
{
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int bare_round(int dirfd, struct result *res)
{
	int sp[2], pipefd[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* The client, like the worker. */
		static struct result r;
		struct sbx_req_open req;
		struct sbx_rep rep;
		memset(&req, 0, sizeof(req));
		req.h.type = SBX_REQ_OPEN;
		req.h.len = sizeof(req);
		uint64_t t0 = now_ns();
		for (int i = 0; i < BATCH; i++) {
			uint64_t t = now_ns();
			req.h.id = (uint64_t)i;
			if (send(sp[1], &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
				_exit(2);
			int fd = recv_fd(sp[1], &rep, sizeof(rep));
			r.rtt_ns[i] = now_ns() - t;
			if (fd < 0)
				_exit(3);
			close(fd);
		}
		r.elapsed_ns = now_ns() - t0;
		_exit(write_all(pipefd[1], &r, sizeof(r)) < 0 ? 4 : 0);
	}
	close(sp[1]);
	close(pipefd[1]);
	struct sbx_req_open req;
	struct sbx_rep rep;
	memset(&rep, 0, sizeof(rep));
	rep.h.type = SBX_REP_FD;
	rep.h.len = sizeof(rep);
	int ok = 0;
	for (int i = 0; i < BATCH; i++) {
		if (recv(sp[0], &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
			ok = -1;
			break;
		}
		int fd = open_like_the_broker(dirfd);
		rep.h.id = req.h.id;
		if (fd < 0 || send_fd(sp[0], &rep, sizeof(rep), fd) < 0) {
			ok = -1;
			break;
		}
		close(fd);
	}
	if (ok == 0 && read_all(pipefd[0], res, sizeof(*res)) < 0)
		ok = -1;
	close(sp[0]);
	close(pipefd[0]);
	int st;
	waitpid(pid, &st, 0);
	return ok == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ---- through the broker ---- */

struct broker_run {
	struct event_base *base;
	struct sbx_exit exit;
	bool done;
};

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct broker_run *b = userdata;
	b->exit = *e;
	b->done = true;
	event_base_loopexit(b->base, NULL);
}

static int broker_round(const char *self, const char *dir, struct result *res)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	struct sbx_config *cfg = NULL;
	struct sbx_error err = SBX_ERROR_INIT;
	int r = sbx_config_new(&cfg);
	if (r == 0)
		r = sbx_config_add_dir(cfg, "DATA", dir, SBX_ACCESS_READ, "*");
	if (r == 0)
		r = sbx_config_add_fd(cfg, "OUT", pipefd[1]);
	close(pipefd[1]);
	struct broker_run b = { .base = event_base_new() };
	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_exit_cb };
	struct sbx_worker *w = NULL;
	char *argv[] = { (char *)"fdpass", (char *)"--worker", NULL };
	if (r == 0)
		r = sbx_worker_spawn(b.base, cfg, self, argv, &cb, &b, &w, &err);
	if (r < 0) {
		fprintf(stderr, "fdpass: starting the worker: %s\n", err.message ? err.message : strerror(-r));
	} else {
		event_base_dispatch(b.base);
		if (!b.done || b.exit.kind != SBX_EXIT_EXITED || b.exit.code != 0) {
			/* The exit's strings are the worker's: read before sbx_worker_free() below. */
			fprintf(stderr, "fdpass: the worker failed (kind %d, code %d): %s\n", (int)b.exit.kind, b.exit.code,
				b.done ? b.exit.message : "no exit seen");
			r = -1;
		} else if (read_all(pipefd[0], res, sizeof(*res)) < 0) {
			fprintf(stderr, "fdpass: no result from the worker\n");
			r = -1;
		}
	}
	sbx_error_free(&err);
	sbx_worker_free(w);
	sbx_config_free(cfg);
	event_base_free(b.base);
	close(pipefd[0]);
	return r;
}

/* ---- statistics ---- */

struct stats {
	double per_s, median_us, p10_us, p90_us;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct stats summarize(const struct result *res, int rounds)
{
	size_t n = (size_t)rounds * BATCH;
	uint64_t *all = malloc(n * sizeof(*all));
	uint64_t elapsed = 0;
	struct stats s = { 0, 0, 0, 0 };
	if (!all)
		return s;
	for (int r = 0; r < rounds; r++) {
		memcpy(all + (size_t)r * BATCH, res[r].rtt_ns, sizeof(res[r].rtt_ns));
		elapsed += res[r].elapsed_ns;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	s.per_s = elapsed ? (double)n * 1e9 / (double)elapsed : 0;
	s.median_us = (double)all[n / 2] / 1000.0;
	s.p10_us = (double)all[n / 10] / 1000.0;
	s.p90_us = (double)all[n * 9 / 10] / 1000.0;
	free(all);
	return s;
}

static int pin(bool one_cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (one_cpu) {
		CPU_SET(0, &set);
	} else {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < n && i < CPU_SETSIZE; i++)
			CPU_SET((int)i, &set);
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return worker_main();
	int rounds = argc >= 2 ? atoi(argv[1]) : 8;
	if (rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	char dir[] = "/tmp/sbx-fdpass-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char file[64];
	snprintf(file, sizeof(file), "%s/a.txt", dir);
	int f = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (f < 0 || write(f, "hello\n", 6) != 6)
		return 1;
	close(f);
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	struct result *bare = calloc((size_t)rounds, sizeof(*bare)), *brk = calloc((size_t)rounds, sizeof(*brk));
	if (!bare || !brk || dirfd < 0)
		return 1;
	printf("fdpass: %d rounds x %d requests, one fd (SCM_RIGHTS) per answer; a fresh worker per round\n", rounds,
	       BATCH);
	printf("%-9s %-7s %10s %11s %9s %9s\n", "cpus", "path", "req/s", "median_us", "p10_us", "p90_us");
	int status = 0;
	double ratio[2] = { 0, 0 };
	for (int mode = 0; mode < 2; mode++) {
		bool one = mode == 0;
		if (pin(one) < 0) {
			fprintf(stderr, "fdpass: sched_setaffinity: %s\n", strerror(errno));
			continue;
		}
		/* Interleaved, so that a change of load on the host hits both alike. Round 0 of each
		 * is a warm-up and not counted. */
		int ok = 1;
		for (int r = -1; r < rounds && ok; r++) {
			struct result tmp;
			if (bare_round(dirfd, r < 0 ? &tmp : &bare[r]) < 0 || broker_round(self, dir, r < 0 ? &tmp : &brk[r]) < 0)
				ok = 0;
		}
		if (!ok) {
			fprintf(stderr, "fdpass: a round failed\n");
			status = 1;
			continue;
		}
		struct stats a = summarize(bare, rounds), b = summarize(brk, rounds);
		const char *label = one ? "same-cpu" : "all-cpus";
		printf("%-9s %-7s %10.0f %11.1f %9.1f %9.1f\n", label, "bare", a.per_s, a.median_us, a.p10_us, a.p90_us);
		printf("%-9s %-7s %10.0f %11.1f %9.1f %9.1f\n", label, "broker", b.per_s, b.median_us, b.p10_us, b.p90_us);
		ratio[mode] = a.median_us > 0 ? b.median_us / a.median_us : 0;
		printf("%-9s ratio broker/bare: round trip %.2f, throughput %.2f\n", label, ratio[mode],
		       a.per_s > 0 ? b.per_s / a.per_s : 0);
	}
	printf("note: the protocol allows one worker at most %d requests a second (SBX_REQ_BURST) and %d fds "
	       "in its life (SBX_REQ_FD_QUOTA)\n",
	       SBX_REQ_BURST, SBX_REQ_FD_QUOTA);
	unlink(file);
	rmdir(dir);
	close(dirfd);
	free(bare);
	free(brk);
	return status;
}
