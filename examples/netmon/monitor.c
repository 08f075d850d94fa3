/* SPDX-License-Identifier: MIT */
/* One interface, one decoder at a time. The capture socket is opened by libsbx in this process
 * (which holds CAP_NET_RAW) at every spawn and handed to the worker as fd 3; the worker writes
 * its lines to the write end of a pipe handed to it as fd 4. Nothing else crosses.
 *
 * Why a pipe resource rather than the worker's stdout: the worker's stdio is the broker's own
 * (inherited at the clone), so collecting it would mean pointing this process's fd 1 at a pipe
 * around every sbx_worker_spawn() and back, global state that a log line or a second monitor
 * could trip over. A named resource is explicit, lands at a fixed fd number the policy can pin
 * `write` to, and leaves the worker's stdout and stderr nothing to say. One pipe serves every
 * decoder of an interface: the config holds its write end for the monitor's lifetime, so
 * restarts need no new plumbing, and a decoder's death is learnt from libsbx's exit callback,
 * not from EOF. */
#include "monitor.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "sbx.h"

/* The order of the resources fixes their fd numbers inside (3, 4, ...):
 * policies/netmon-decoder.policy allows recvfrom on fd 3 and write on fd 4 only. */
#define RES_CAPTURE "CAPTURE" /* fd 3 */
#define RES_OUT "OUT"         /* fd 4 */

#define BACKOFF_INITIAL_MS 100u
#define BACKOFF_MAX_MS 5000u
/* A decoder that ran this long was healthy: its end starts a fresh series of failures. */
#define HEALTHY_AFTER_MS 10000u
#define LINE_BUF 8192u
#define MAX_ARGV 32u

struct monitor {
	struct event_base *base;
	char iface[64];
	const struct monitor_opts *opts;
	struct output *out;
	monitor_done_fn done;
	void *userdata;

	struct sbx_config *cfg;      /* owned; outlives every worker spawned from it */
	struct sbx_worker *worker;   /* owned; the current or last decoder */
	enum monitor_state state;
	bool stopping;

	int out_rd;                  /* read end of the decoder's pipe, non-blocking */
	int out_wr;                  /* tcpdump mode: its write end, the worker's stdout and stderr */
	struct event *ev_out;
	bool reading;
	char line[LINE_BUF];
	size_t n_line;

	struct event *ev_restart;
	unsigned failures;           /* in a row */
	unsigned starts;
	uint64_t started_ms;
	uint64_t backoff_from_us;    /* the loop's clock when the restart timer was armed */
	uint64_t waited_us;          /* how long the last backoff took, by the same clock */
};

/* The event loop's own (cached) clock: the one its timers are armed and fired by, so that a
 * wait measured with it is never shorter than the timer asked for. */
static uint64_t loop_us(struct event_base *base)
{
	struct timeval tv;
	if (event_base_gettimeofday_cached(base, &tv) < 0)
		return 0;
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the decoder's lines ---- */

static void flush_lines(struct monitor *m, bool final)
{
	size_t start = 0;
	for (size_t i = 0; i < m->n_line; i++) {
		if (m->line[i] == '\n') {
			output_untrusted_line(m->out, m->iface, m->line + start, i - start);
			start = i + 1;
		}
	}
	if (start == 0 && m->n_line == sizeof(m->line)) {
		/* No newline in a full buffer: pass it on in pieces rather than stall. */
		output_untrusted_line(m->out, m->iface, m->line, m->n_line);
		start = m->n_line;
	}
	if (final && start < m->n_line) {
		/* The decoder died mid-line. */
		char note[LINE_BUF + 16];
		int k = snprintf(note, sizeof(note), "%.*s [cut off]", (int)(m->n_line - start), m->line + start);
		if (k > 0)
			output_untrusted_line(m->out, m->iface, note, (size_t)k < sizeof(note) ? (size_t)k : sizeof(note) - 1);
		start = m->n_line;
	}
	memmove(m->line, m->line + start, m->n_line - start);
	m->n_line -= start;
}

static void set_reading(struct monitor *m, bool on)
{
	if (on && !m->reading)
		m->reading = event_add(m->ev_out, NULL) == 0;
	else if (!on && m->reading) {
		event_del(m->ev_out);
		m->reading = false;
	}
}

/* Read what the pipe holds now, up to a budget so one busy decoder cannot starve the rest. */
static void drain(struct monitor *m, size_t budget)
{
	while (budget > 0) {
		if (output_congested(m->out)) {
			set_reading(m, false); /* monitor_resume() turns it back on */
			return;
		}
		ssize_t n = read(m->out_rd, m->line + m->n_line, sizeof(m->line) - m->n_line);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EAGAIN: empty. EOF cannot happen while the config holds the write end. */
			if (n == 0 || errno != EAGAIN)
				set_reading(m, false);
			return;
		}
		m->n_line += (size_t)n;
		budget = (size_t)n < budget ? budget - (size_t)n : 0;
		flush_lines(m, false);
	}
}

static void on_out(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg, 256u * 1024u);
}

void monitor_resume(struct monitor *m)
{
	if (m->ev_out && m->out_rd >= 0)
		set_reading(m, true);
}

/* ---- libsbx callbacks ---- */

static const char *exit_kind(enum sbx_exit_kind k)
{
	switch (k) {
	case SBX_EXIT_EXITED: return "exited";
	case SBX_EXIT_SIGNALED: return "signaled";
	case SBX_EXIT_VIOLATION: return "policy violation";
	case SBX_EXIT_TIMEOUT: return "time limit";
	case SBX_EXIT_SETUP_FAILED: return "setup failed";
	case SBX_EXIT_EXEC_FAILED: return "exec failed";
	case SBX_EXIT_KILLED: return "killed";
	case SBX_EXIT_MEMORY: return "memory limit";
	}
	return "?";
}

static void finish(struct monitor *m, enum monitor_state st)
{
	m->state = st;
	if (m->done)
		m->done(m, m->userdata);
}

static void spawn(struct monitor *m);

static void failed(struct monitor *m, uint64_t ran_ms)
{
	if (ran_ms >= HEALTHY_AFTER_MS)
		m->failures = 0;
	m->failures++;
	if (m->failures > m->opts->max_restarts) {
		output_printf(m->out, "netmon: %s: giving up after %u failure%s in a row", m->iface, m->failures,
			      m->failures == 1 ? "" : "s");
		finish(m, MONITOR_GAVE_UP);
		return;
	}
	unsigned shift = m->failures - 1 < 16 ? m->failures - 1 : 16;
	uint64_t delay = (uint64_t)BACKOFF_INITIAL_MS << shift;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	output_printf(m->out, "netmon: %s: restarting the decoder in %llu ms (restart %u of at most %u in a row)",
		      m->iface, (unsigned long long)delay, m->failures, m->opts->max_restarts);
	struct timeval tv = { .tv_sec = (time_t)(delay / 1000), .tv_usec = (suseconds_t)(delay % 1000) * 1000 };
	m->state = MONITOR_BACKOFF;
	m->backoff_from_us = loop_us(m->base);
	if (evtimer_add(m->ev_restart, &tv) < 0) {
		output_printf(m->out, "netmon: %s: cannot arm the restart timer; giving up", m->iface);
		finish(m, MONITOR_GAVE_UP);
	}
}

static void on_worker_exit(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct monitor *m = userdata;
	uint64_t ran = now_ms() - m->started_ms;
	/* The sandbox's init is gone, so is every process of its pid namespace: all the
	 * decoder ever wrote is in the pipe now. Read it before saying it ended. */
	drain(m, SIZE_MAX);
	if (!output_congested(m->out))
		flush_lines(m, true);
	if (e->message[0])
		output_printf(m->out, "netmon: %s: decoder ended after %llu ms: %s, status %d: %s", m->iface,
			      (unsigned long long)ran, exit_kind(e->kind), e->status, e->message);
	else
		output_printf(m->out, "netmon: %s: decoder ended after %llu ms: %s, status %d", m->iface,
			      (unsigned long long)ran, exit_kind(e->kind), e->status);
	/* The handle stays until the next spawn or monitor_free(): libsbx documents it valid
	 * until freed, not that it may be freed from inside its own callback. */
	if (m->stopping) {
		finish(m, MONITOR_STOPPED);
		return;
	}
	if (e->kind == SBX_EXIT_EXITED && e->code == 0) {
		output_printf(m->out, "netmon: %s: decoder finished", m->iface);
		finish(m, MONITOR_FINISHED);
		return;
	}
	failed(m, ran);
}

static void on_log(enum sbx_log_level level, const char *message, void *userdata)
{
	struct monitor *m = userdata;
	static const char *const names[] = { "error", "warning", "notice", "debug" };
	if (level == SBX_LOG_DEBUG && !m->opts->verbose)
		return;
	output_printf(m->out, "netmon: %s: sbx %s: %s", m->iface, names[level <= SBX_LOG_DEBUG ? level : SBX_LOG_DEBUG],
		      message);
}

static void on_audit(struct sbx_worker *w, const struct sbx_audit *a, void *userdata)
{
	(void)w;
	struct monitor *m = userdata;
	if (a->granted && !m->opts->verbose)
		return;
	output_printf(m->out, "netmon: %s: audit: %s %s: %s%s%s (%s)", m->iface, a->request, a->target,
		      a->granted ? "granted" : "refused", a->error ? ": " : "", a->error ? strerror(a->error) : "",
		      a->rule ? a->rule : "");
}

static const struct sbx_callbacks callbacks = {
	.size = sizeof(struct sbx_callbacks),
	.exit = on_worker_exit,
	.audit = on_audit,
};

/* ---- starting decoders ---- */

/* netmon-decoder's arguments. */
static size_t decoder_argv(struct monitor *m, char **argv, char *count, char *ifindex)
{
	size_t n = 0;
	argv[n++] = (char *)"netmon-decoder";
	/* Labels the process: ps shows which interface a decoder serves. */
	argv[n++] = (char *)"--iface";
	argv[n++] = m->iface;
	/* Resolved at every start: an interface that was recreated has a new index. */
	unsigned idx = if_nametoindex(m->iface);
	if (idx) {
		snprintf(ifindex, 32, "%u", idx);
		argv[n++] = (char *)"--ifindex";
		argv[n++] = ifindex;
	}
	if (m->opts->count) {
		snprintf(count, 32, "%llu", (unsigned long long)m->opts->count);
		argv[n++] = (char *)"--count";
		argv[n++] = count;
	}
	return n;
}

/* tcpdump's: line-buffered text of the interface, numbers not names (no DNS to ask: the
 * policy lets no socket reach anything), the decoder arguments last (a filter expression,
 * which with --filter should be the same: the grant's filter is locked and tcpdump's own is
 * answered without effect, broker/brokered.c). */
static size_t tcpdump_argv(struct monitor *m, char **argv, char *count)
{
	size_t n = 0;
	argv[n++] = (char *)"tcpdump";
	argv[n++] = (char *)"-i";
	argv[n++] = m->iface;
	argv[n++] = (char *)"-nn";
	argv[n++] = (char *)"-l";
	if (m->opts->count) {
		snprintf(count, 32, "%llu", (unsigned long long)m->opts->count);
		argv[n++] = (char *)"-c";
		argv[n++] = count;
	}
	return n;
}

/* tcpdump writes only to stdout and stderr, which the worker inherits from us at the clone:
 * point ours at the pipe for the spawn and back. netmon's own output goes through another
 * descriptor (netmon.c), so nothing of ours lands in the pipe meanwhile. */
static int spawn_with_stdio(struct monitor *m, char **argv, struct sbx_error *err)
{
	int saved[2] = { fcntl(1, F_DUPFD_CLOEXEC, 3), fcntl(2, F_DUPFD_CLOEXEC, 3) };
	int r = -EBADF;
	if (saved[0] >= 0 && saved[1] >= 0 && dup2(m->out_wr, 1) >= 0 && dup2(m->out_wr, 2) >= 0)
		r = sbx_worker_spawn(m->base, m->cfg, m->opts->decoder, argv, &callbacks, m, &m->worker, err);
	for (int fd = 0; fd < 2; fd++)
		if (saved[fd] >= 0) {
			(void)dup2(saved[fd], fd + 1);
			close(saved[fd]);
		}
	return r;
}

static void spawn(struct monitor *m)
{
	char count[32], ifindex[32];
	char *argv[MAX_ARGV + 8];
	size_t n = m->opts->tcpdump ? tcpdump_argv(m, argv, count) : decoder_argv(m, argv, count, ifindex);
	for (size_t i = 0; i < m->opts->n_decoder_args && i < MAX_ARGV; i++)
		argv[n++] = m->opts->decoder_args[i];
	argv[n] = NULL;

	sbx_worker_free(m->worker); /* the previous decoder, long gone */
	m->worker = NULL;
	m->starts++;
	m->started_ms = now_ms();
	struct sbx_error err = SBX_ERROR_INIT;
	int r = m->opts->tcpdump ? spawn_with_stdio(m, argv, &err)
				 : sbx_worker_spawn(m->base, m->cfg, m->opts->decoder, argv, &callbacks, m, &m->worker, &err);
	if (r < 0) {
		m->worker = NULL;
		output_printf(m->out, "netmon: %s: cannot start the decoder: %s", m->iface,
			      err.message ? err.message : strerror(-r));
		sbx_error_free(&err);
		/* A first start that fails is a configuration error (no such interface, a bad
		 * filter, no CAP_NET_RAW): retrying will not help. Later it may be transient. */
		if (m->starts == 1) {
			output_printf(m->out, "netmon: %s: giving up", m->iface);
			finish(m, MONITOR_GAVE_UP);
		} else {
			failed(m, 0);
		}
		return;
	}
	m->state = MONITOR_RUNNING;
	if (m->starts > 1)
		output_printf(m->out, "netmon: %s: decoder started (sandbox pid %d, start %u, after waiting %llu ms)",
			      m->iface, (int)sbx_worker_pid(m->worker), m->starts,
			      (unsigned long long)(m->waited_us / 1000));
	else
		output_printf(m->out, "netmon: %s: decoder started (sandbox pid %d, start %u)", m->iface,
			      (int)sbx_worker_pid(m->worker), m->starts);
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct monitor *m = arg;
	m->waited_us = loop_us(m->base) - m->backoff_from_us;
	if (m->state == MONITOR_BACKOFF && !m->stopping)
		spawn(m);
}

void monitor_start(struct monitor *m)
{
	if (m->state == MONITOR_IDLE)
		spawn(m);
}

void monitor_stop(struct monitor *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	switch (m->state) {
	case MONITOR_RUNNING:
		/* SIGKILL to the sandbox's init ends its whole pid namespace; on_worker_exit follows. */
		if (sbx_worker_signal(m->worker, SIGKILL) < 0)
			finish(m, MONITOR_STOPPED);
		break;
	case MONITOR_BACKOFF:
		evtimer_del(m->ev_restart);
		/* fall through */
	case MONITOR_IDLE:
		finish(m, MONITOR_STOPPED);
		break;
	case MONITOR_FINISHED:
	case MONITOR_GAVE_UP:
	case MONITOR_STOPPED:
		break;
	}
}

enum monitor_state monitor_state(const struct monitor *m)
{
	return m->state;
}

/* ---- life cycle ---- */

int monitor_new(struct event_base *base, const char *iface, const struct monitor_opts *opts, struct output *out,
		monitor_done_fn done, void *userdata, struct monitor **ret, char *err, size_t errlen)
{
	struct monitor *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->base = base;
	m->opts = opts;
	m->out = out;
	m->done = done;
	m->userdata = userdata;
	m->out_rd = -1;
	m->out_wr = -1;
	m->state = MONITOR_IDLE;
	snprintf(m->iface, sizeof(m->iface), "%s", iface);

	int r;
	int p[2] = { -1, -1 };
	struct sbx_policy *policy = NULL;
	struct sbx_error e = SBX_ERROR_INIT;

	if ((r = sbx_config_new(&m->cfg)) < 0) {
		snprintf(err, errlen, "sbx_config_new: %s", strerror(-r));
		goto fail;
	}
	if ((r = sbx_policy_new(opts->policy, NULL, &policy, &e)) < 0) {
		snprintf(err, errlen, "policy %s: %s", opts->policy, e.message ? e.message : strerror(-r));
		sbx_error_free(&e);
		goto fail;
	}
	sbx_config_set_policy(m->cfg, policy); /* taken */
	sbx_config_set_log(m->cfg, on_log, m);
	if ((r = sbx_config_add_capture(m->cfg, RES_CAPTURE, iface, opts->promisc ? SBX_CAPTURE_PROMISC : 0, opts->filter)) < 0) {
		snprintf(err, errlen, "capture resource on %s: %s", iface, strerror(-r));
		goto fail;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* Room for bursts; the decoder blocks (and the kernel queues, then drops, frames on the
	 * capture socket) when we fall behind. Best effort. */
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	if (opts->tcpdump) {
		m->out_wr = p[1]; /* its stdout and stderr at every spawn */
	} else if ((r = sbx_config_add_fd(m->cfg, RES_OUT, p[1])) < 0) { /* duplicated: the config's own */
		snprintf(err, errlen, "output resource: %s", strerror(-r));
		goto fail;
	} else {
		close(p[1]);
	}
	p[1] = -1;
	m->out_rd = p[0];
	p[0] = -1;
	m->ev_out = event_new(base, m->out_rd, EV_READ | EV_PERSIST, on_out, m);
	m->ev_restart = evtimer_new(base, on_restart, m);
	if (!m->ev_out || !m->ev_restart) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	set_reading(m, true);
	if (!m->reading) {
		r = -EIO;
		snprintf(err, errlen, "cannot watch the decoder's pipe");
		goto fail;
	}
	*ret = m;
	return 0;

fail:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	monitor_free(m);
	return r;
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	/* A running worker is killed and reaped here; it must go before its config. */
	sbx_worker_free(m->worker);
	if (m->ev_out)
		event_free(m->ev_out);
	if (m->ev_restart)
		event_free(m->ev_restart);
	if (m->out_rd >= 0)
		close(m->out_rd);
	if (m->out_wr >= 0)
		close(m->out_wr);
	sbx_config_free(m->cfg);
	free(m);
}
