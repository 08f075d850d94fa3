/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the launch-channel decoder, sbx_launch_decode() (broker/chan.c): every
 * message the sandbox sends the broker passes it first, and the sandbox's init is code the
 * program may have taken over by then. The first three bytes choose the transport facts (the
 * state, states that do not exist included; the fds; truncation; seccomp on or off; input.h),
 * the rest is the datagram. A message the decoder accepts must satisfy everything
 * common/protocol.h promises the code after it; a refused one leaves the outputs untouched.
 * Anything else is a bug and aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/chan.h"
#include "fuzz/launch/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* What an accepted message of each type promises, beyond the common part. */
static void check_accepted(const struct launch_input *in, const struct sbx_launch_msg *m,
			   enum sbx_launch_state next)
{
	switch (m->type) {
	case SBX_LAUNCH_ERROR:
		check(in->n_fds == 0 && m->listener == 0);
		check(m->step > SBX_STEP_NONE && m->step < SBX_STEP_MAX_);
		check(m->error > 0 && m->error <= 4095);
		check(in->state == SBX_LAUNCH_STATE_SETUP || in->state == SBX_LAUNCH_STATE_PREPARING ||
		      in->state == SBX_LAUNCH_STATE_READY || in->state == SBX_LAUNCH_STATE_ZSETUP ||
		      in->state == SBX_LAUNCH_STATE_ZIDLE || in->state == SBX_LAUNCH_STATE_ZJOB ||
		      (in->state == SBX_LAUNCH_STATE_RUNNING && m->step == SBX_STEP_EXEC));
		check(next == SBX_LAUNCH_STATE_FAILED);
		break;
	case SBX_LAUNCH_READY:
		/* A ready worker's: names its listener as EXEC does, only once, before its job. */
		check(in->n_fds == 0 && m->step == 0 && m->error == 0 && m->status == 0 && m->detail[0] == '\0');
		check(in->seccomp ? m->listener >= 0 : m->listener == 0);
		check(in->state == SBX_LAUNCH_STATE_PREPARING && next == SBX_LAUNCH_STATE_READY);
		break;
	case SBX_LAUNCH_EXEC:
		/* No fd: it names the listener's number, only with seccomp. */
		check(in->n_fds == 0);
		check(in->seccomp ? m->listener >= 0 : m->listener == 0);
		check(in->state == SBX_LAUNCH_STATE_SETUP && next == SBX_LAUNCH_STATE_RUNNING);
		break;
	case SBX_LAUNCH_STATUS:
		check(in->n_fds == 0 && m->listener == 0);
		check(in->state == SBX_LAUNCH_STATE_RUNNING || in->state == SBX_LAUNCH_STATE_FAILED ||
		      in->state == SBX_LAUNCH_STATE_READY);
		check(next == SBX_LAUNCH_STATE_ENDED);
		break;
	case SBX_LAUNCH_ZYGOTE:
		/* A zygote's, once, before any job: nothing but its type. */
		check(in->n_fds == 0 && m->step == 0 && m->error == 0 && m->status == 0 && m->listener == 0 &&
		      m->detail[0] == '\0');
		check(in->state == SBX_LAUNCH_STATE_ZSETUP && next == SBX_LAUNCH_STATE_ZIDLE);
		break;
	case SBX_LAUNCH_STARTED:
		/* The answer to a JOB, without an fd: a pid (in status) or an errno, never both. */
		check(in->n_fds == 0 && m->step == 0 && m->listener == 0 && m->detail[0] == '\0');
		check((m->status > 0 && m->error == 0) || (m->status == 0 && m->error > 0 && m->error <= 4095));
		check(in->state == SBX_LAUNCH_STATE_ZJOB && next == SBX_LAUNCH_STATE_ZIDLE);
		break;
	default:
		check(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct launch_input in;
	if (!launch_input_read(data, size, &in))
		return 0;
	/* A copy of exactly len bytes on the heap, so that ASan sees any read past the datagram. */
	uint8_t *dgram = malloc(in.len ? in.len : 1);
	if (!dgram)
		return 0;
	memcpy(dgram, in.dgram, in.len);

	struct sbx_launch_msg out, untouched;
	memset(&out, 0xa5, sizeof(out));
	untouched = out;
	enum sbx_launch_state next = (enum sbx_launch_state)-7;
	const char *why = NULL;
	int r = sbx_launch_decode(dgram, in.len, in.n_fds, in.msg_flags, in.state, in.seccomp, &out, &next, &why);
	if (r != 0) {
		check(r == -EPROTO && why != NULL && why[0] != '\0');
		check(memcmp(&out, &untouched, sizeof(out)) == 0 && next == (enum sbx_launch_state)-7);
		free(dgram);
		return 0;
	}
	/* Accepted: every promise of the protocol header holds. */
	check(in.msg_flags == 0 && in.len == sizeof(struct sbx_launch_msg));
	check((unsigned)in.state < SBX_LAUNCH_STATE_MAX_ && (unsigned)next < SBX_LAUNCH_STATE_MAX_);
	check(memcmp(&out, dgram, sizeof(out)) == 0);
	check(memchr(out.detail, '\0', sizeof(out.detail)) != NULL);
	check(out.type < 32 && (sbx_launch_allowed[in.state] & (1u << out.type)));
	check_accepted(&in, &out, next);
	free(dgram);
	return 0;
}
