/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A few seconds of heavy traffic; beyond this the decoders wait (and the kernel drops). */
#define OUTPUT_HIGH_WATER (4u * 1024u * 1024u)
#define OUTPUT_LOW_WATER (1u * 1024u * 1024u)

struct output {
	int fd;
	struct evbuffer *queue;
	struct event *ev;          /* EV_WRITE on fd; NULL when fd cannot be polled */
	bool armed;
	bool congested;
	bool broken;               /* the reader went away: drop everything */
	output_drained_fn drained;
	void *userdata;
};

static void output_write_some(struct output *o)
{
	while (evbuffer_get_length(o->queue) > 0 && !o->broken) {
		/* At most PIPE_BUF per write: a pipe that polled writable takes that much without
		 * blocking, even on a blocking descriptor we share with our parent. */
		int n = evbuffer_write_atmost(o->queue, o->fd, PIPE_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			o->broken = true; /* EPIPE and the like: nobody reads us any more */
			evbuffer_drain(o->queue, evbuffer_get_length(o->queue));
			break;
		}
		if (o->ev)
			break; /* wait for the next readiness rather than risk blocking */
	}
}

static void output_update(struct output *o)
{
	size_t len = evbuffer_get_length(o->queue);
	if (o->ev) {
		if (len > 0 && !o->armed)
			o->armed = event_add(o->ev, NULL) == 0;
		else if (len == 0 && o->armed) {
			event_del(o->ev);
			o->armed = false;
		}
	}
	if (!o->congested && len > OUTPUT_HIGH_WATER) {
		o->congested = true;
	} else if (o->congested && len < OUTPUT_LOW_WATER) {
		o->congested = false;
		if (o->drained)
			o->drained(o->userdata);
	}
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct output *o = arg;
	output_write_some(o);
	output_update(o);
}

int output_new(struct event_base *base, int fd, output_drained_fn drained, void *userdata, struct output **ret)
{
	struct output *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = fd;
	o->drained = drained;
	o->userdata = userdata;
	o->queue = evbuffer_new();
	o->ev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_writable, o);
	if (!o->queue || !o->ev) {
		output_free(o);
		return -ENOMEM;
	}
	/* Only pipes, sockets and terminals can keep us waiting, and only they can be polled:
	 * epoll refuses regular files and /dev/null, which never block anyway. Those are written
	 * directly. */
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd))) {
		event_free(o->ev);
		o->ev = NULL;
	}
	*ret = o;
	return 0;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	if (o->ev)
		event_free(o->ev);
	if (o->queue) {
		while (evbuffer_get_length(o->queue) > 0 && !o->broken) {
			if (evbuffer_write(o->queue, o->fd) < 0 && errno != EINTR)
				break;
		}
		evbuffer_free(o->queue);
	}
	free(o);
}

static void output_queued(struct output *o)
{
	if (!o->ev)
		output_write_some(o);
	output_update(o);
}

void output_untrusted_line(struct output *o, const char *prefix, const char *text, size_t len)
{
	if (o->broken)
		return;
	char clean[4096];
	size_t n = 0;
	for (size_t i = 0; i < len && n < sizeof(clean); i++) {
		unsigned char c = (unsigned char)text[i];
		clean[n++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	}
	evbuffer_add_printf(o->queue, "%s: ", prefix);
	evbuffer_add(o->queue, clean, n);
	evbuffer_add(o->queue, "\n", 1);
	output_queued(o);
}

void output_printf(struct output *o, const char *fmt, ...)
{
	if (o->broken)
		return;
	va_list ap;
	va_start(ap, fmt);
	evbuffer_add_vprintf(o->queue, fmt, ap);
	va_end(ap);
	evbuffer_add(o->queue, "\n", 1);
	output_queued(o);
}

bool output_congested(const struct output *o)
{
	return o->congested;
}
