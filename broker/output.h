/* SPDX-License-Identifier: MIT */
/* One stream of a batch job's output (stdout or stderr), read from a pipe on the event loop and
 * kept until the job's turn to be written: in memory up to SBX_OUTPUT_MEM bytes, beyond that
 * in an unlinked temporary file (O_TMPFILE), so that a job that writes gigabytes costs disk,
 * not the broker's memory, and a killed broker leaves no file behind. Part of the sbx command
 * (broker/batch.c), not of libsbx. */
#pragma once

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#define SBX_OUTPUT_MEM (256 * 1024)

struct sbx_output {
	int fd;              /* the read end, -1 once at EOF */
	struct event *ev;
	char *buf;           /* the first bytes, at most SBX_OUTPUT_MEM; owned */
	size_t len;
	int spill;           /* the rest, -1 until needed */
	int error;           /* positive errno: output was lost (a failed spill) */
};

/* A pipe whose write end (*write_fd, O_CLOEXEC) goes to the job; its read end is watched on
 * base, and on_eof(arg) is called once at its end. Returns 0 or -errno. */
int sbx_output_open(struct sbx_output *c, struct event_base *base, int *write_fd,
		     void (*on_eof)(void *arg), void *arg);
/* Append text of our own (a message about the job), kept in order with what it wrote. */
void sbx_output_add(struct sbx_output *c, const char *text, size_t len);
bool sbx_output_done(const struct sbx_output *c);
/* Write everything kept to out and release it. Returns 0 or -errno of the write. */
int sbx_output_flush(struct sbx_output *c, int out);
void sbx_output_free(struct sbx_output *c);
