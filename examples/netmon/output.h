/* SPDX-License-Identifier: MIT */
/* netmon's standard output, written from the event loop without ever blocking it: lines are
 * queued and written when the descriptor is writable, at most PIPE_BUF bytes at a time. When
 * the queue passes its high-water mark the owner stops reading the decoders (output_congested),
 * so the backlog ends up in the capture sockets, where the kernel drops and counts it, rather
 * than in our memory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct output;

/* Called once the queue has drained below its low-water mark again. */
typedef void (*output_drained_fn)(void *userdata);

/* fd is borrowed (not closed). base is borrowed and must outlive the output. */
int output_new(struct event_base *base, int fd, output_drained_fn drained, void *userdata, struct output **ret);
/* Writes what is still queued (blocking: the loop is over by then), then frees. NULL is fine. */
void output_free(struct output *o);

/* One line from an untrusted source: "PREFIX: TEXT\n". Control characters and bytes outside
 * printable ASCII become '?', so a compromised decoder cannot drive the terminal with escape
 * sequences. text: len bytes, no newline, borrowed. */
void output_untrusted_line(struct output *o, const char *prefix, const char *text, size_t len);
/* A line of netmon's own (a newline is added). */
__attribute__((format(printf, 2, 3))) void output_printf(struct output *o, const char *fmt, ...);

bool output_congested(const struct output *o);
