/* SPDX-License-Identifier: MIT */
/* How an input of the launch-channel fuzz target is read (fuzz-launch.c, corpus-check.c and
 * make-seeds.py agree on it): three bytes choose what the transport would have told the
 * decoder, the rest is the datagram.
 *   byte 0: the broker's state, as a signed byte: 0 SETUP, 1 RUNNING, 2 FAILED, 3 ENDED,
 *           4 PREPARING, 5 READY, 6 ZSETUP, 7 ZIDLE, 8 ZJOB; 9..127 and the negative values are
 *           states that do not exist
 *   byte 1: the number of fds that came with it: below 0xc0 none, else (byte & 0x3f)
 *   byte 2: bit 0 MSG_TRUNC, bit 1 MSG_CTRUNC, bit 2 the sandbox runs with seccomp */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/protocol.h"

#define LAUNCH_INPUT_PREFIX 3

struct launch_input {
	enum sbx_launch_state state;
	size_t n_fds;
	int msg_flags;
	bool seccomp;
	const uint8_t *dgram;
	size_t len;
};

/* false when the input is too short to hold the prefix. */
static inline bool launch_input_read(const uint8_t *data, size_t size, struct launch_input *in)
{
	if (size < LAUNCH_INPUT_PREFIX)
		return false;
	in->state = (enum sbx_launch_state)(int8_t)data[0];
	in->n_fds = data[1] < 0xc0 ? 0 : data[1] & 0x3f;
	in->msg_flags = (data[2] & 1 ? MSG_TRUNC : 0) | (data[2] & 2 ? MSG_CTRUNC : 0);
	in->seccomp = data[2] & 4;
	in->dgram = data + LAUNCH_INPUT_PREFIX;
	in->len = size - LAUNCH_INPUT_PREFIX;
	return true;
}
