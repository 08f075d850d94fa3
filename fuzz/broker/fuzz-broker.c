/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the broker's request decoder, sbx_req_decode() (broker/requests.c):
 * the one place where a worker's bytes meet the broker. The first three bytes choose what the
 * transport would have told the decoder, the rest is the datagram:
 *   byte 0: the state (0 RUN, 1 LOCKED, others: states that do not exist)
 *   byte 1: the number of fds that came with it (0 most of the time, else 1-255)
 *   byte 2: recvmsg flags: bit 0 MSG_TRUNC, bit 1 MSG_CTRUNC
 * A request the decoder accepts must satisfy everything common/protocol.h promises the code
 * after it; anything else is a bug and aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	enum sbx_req_state state = (enum sbx_req_state)(data[0] < 4 ? data[0] : (int8_t)data[0]);
	size_t n_fds = data[1] < 0xc0 ? 0 : data[1] & 0x3f;
	int flags = (data[2] & 1 ? MSG_TRUNC : 0) | (data[2] & 2 ? MSG_CTRUNC : 0);
	const uint8_t *buf = data + 3;
	size_t len = size - 3;
	/* A copy of exactly len bytes on the heap, so that ASan sees any read past the datagram. */
	uint8_t *dgram = malloc(len ? len : 1);
	if (!dgram)
		return 0;
	memcpy(dgram, buf, len);

	union sbx_req out;
	memset(&out, 0xa5, sizeof(out));
	const char *why = NULL;
	int r = sbx_req_decode(dgram, len, n_fds, flags, state, &out, &why);
	if (r == -EPROTONOSUPPORT) {
		/* Another version: well framed, and only the header is handed back for the refusal. */
		check(flags == 0 && n_fds == 0 && len >= sizeof(struct sbx_req_hdr) && len <= SBX_REQ_MAX);
		check(out.h.version != SBX_REQ_VERSION && out.h.len == len && memcmp(&out.h, dgram, sizeof(out.h)) == 0);
		check(why != NULL && why[0] != '\0');
		free(dgram);
		return 0;
	}
	if (r != 0) {
		check(r == -EPROTO && why != NULL && why[0] != '\0');
		free(dgram);
		return 0;
	}
	/* Accepted: every promise of the protocol header holds. */
	check(flags == 0 && n_fds == 0);
	check(state == SBX_REQ_STATE_RUN || state == SBX_REQ_STATE_LOCKED);
	check(len >= sizeof(struct sbx_req_hdr) && len <= SBX_REQ_MAX);
	check(out.h.len == len && out.h.version == SBX_REQ_VERSION && memcmp(&out, dgram, len) == 0);
	check(out.h.type < 32 && (sbx_req_allowed[state] & (1u << out.h.type)));
	switch (out.h.type) {
	case SBX_REQ_OPEN:
		check(len == sizeof(struct sbx_req_open));
		check(terminated(out.open.dir, sizeof(out.open.dir)) && terminated(out.open.path, sizeof(out.open.path)));
		check(!(out.open.flags & ~SBX_OPEN_ALL));
		check(out.open.flags & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_DIRECTORY));
		check(state == SBX_REQ_STATE_RUN);
		break;
	case SBX_REQ_CAPTURE:
		check(len == sizeof(struct sbx_req_capture) && terminated(out.capture.name, sizeof(out.capture.name)));
		check(state == SBX_REQ_STATE_RUN);
		break;
	case SBX_REQ_LOG:
		check(len == sizeof(struct sbx_req_log) && terminated(out.log.text, sizeof(out.log.text)));
		check(out.log.level <= 2 && out.log.reserved == 0);
		break;
	case SBX_REQ_DONE:
		check(len == sizeof(struct sbx_req_hdr) && state == SBX_REQ_STATE_RUN);
		break;
	default:
		check(0);
	}
	free(dgram);
	return 0;
}
