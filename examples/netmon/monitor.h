/* SPDX-License-Identifier: MIT */
/* One monitored interface: its libsbx configuration (a capture resource and the pipe the
 * decoder writes to), its current decoder worker, the restart policy with backoff, and the
 * relay of the decoder's lines to netmon's output. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct output;
struct monitor;

struct monitor_opts {
	const char *policy;          /* path or shipped policy name */
	const char *filter;          /* pcap filter expression or NULL */
	const char *decoder;         /* path of the decoder program */
	bool promisc;
	bool tcpdump;                /* the decoder is an unmodified tcpdump (README, "tcpdump mode") */
	bool verbose;                /* relay libsbx's debug log */
	unsigned max_restarts;       /* restarts in a row before giving up */
	uint64_t count;              /* 0, or: each decoder exits after this many frames */
	char *const *decoder_args;   /* extra arguments for the decoder */
	size_t n_decoder_args;
};

enum monitor_state {
	MONITOR_IDLE,        /* created, not started */
	MONITOR_RUNNING,     /* a decoder is running */
	MONITOR_BACKOFF,     /* waiting to restart the decoder */
	MONITOR_FINISHED,    /* the decoder exited 0 (--count reached): not restarted */
	MONITOR_GAVE_UP,     /* more than max_restarts failures in a row */
	MONITOR_STOPPED,     /* monitor_stop() and the decoder is gone */
};

/* Called when the monitor reaches FINISHED, GAVE_UP or STOPPED. */
typedef void (*monitor_done_fn)(struct monitor *m, void *userdata);

/* iface, opts: borrowed (opts and the strings it points to must outlive the monitor). out, base:
 * borrowed, must outlive the monitor. err receives a message on failure. */
int monitor_new(struct event_base *base, const char *iface, const struct monitor_opts *opts, struct output *out,
		monitor_done_fn done, void *userdata, struct monitor **ret, char *err, size_t errlen);
/* Start the first decoder. A failure to spawn counts as a failure and is retried. */
void monitor_start(struct monitor *m);
/* Kill the decoder and do not restart it. The done callback follows once it has ended (at
 * once when none is running). */
void monitor_stop(struct monitor *m);
/* The output drained: read the decoder's pipe again. */
void monitor_resume(struct monitor *m);
enum monitor_state monitor_state(const struct monitor *m);
/* Kills a running decoder (waiting for it), frees everything. NULL is fine. */
void monitor_free(struct monitor *m);
