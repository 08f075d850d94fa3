/* SPDX-License-Identifier: MIT */
/* sbx_launch_decode() (broker/chan.c) against common/protocol.h: the state table (which message
 * each state accepts and where it leads), the fds (none, ever: EXEC names the listener, which
 * the broker takes itself), the listener's number (with seccomp only),
 * the ranges of an ERROR's step and errno, the detail's NUL, the size and the truncation flags.
 * The expectations are written out here from the header's text, not taken from its table, so
 * that a change to either shows. Every refusal is -EPROTO with the exact reason, and leaves the
 * outputs untouched. TAP. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/chan.h"
#include "common/util.h"
#include "tests/tap.h"

#define SETUP SBX_LAUNCH_STATE_SETUP
#define RUNNING SBX_LAUNCH_STATE_RUNNING
#define FAILED SBX_LAUNCH_STATE_FAILED
#define ENDED SBX_LAUNCH_STATE_ENDED
#define PREPARING SBX_LAUNCH_STATE_PREPARING
#define READY SBX_LAUNCH_STATE_READY
#define ZSETUP SBX_LAUNCH_STATE_ZSETUP
#define ZIDLE SBX_LAUNCH_STATE_ZIDLE
#define ZJOB SBX_LAUNCH_STATE_ZJOB
#define ACCEPTED NULL
#define NO_NEXT ((enum sbx_launch_state)-7) /* what *next holds before the call */

static const char *const state_names[] = { "SETUP", "RUNNING", "FAILED", "ENDED", "PREPARING",
					   "READY", "ZSETUP", "ZIDLE", "ZJOB" };

/* What the transport says about one datagram. */
struct call {
	const void *buf;
	size_t len;
	size_t n_fds;
	int flags;
	enum sbx_launch_state state;
	bool seccomp;
};

static struct sbx_launch_msg msg(uint32_t type, uint32_t step, int32_t error, int32_t status, const char *detail)
{
	struct sbx_launch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.step = step;
	m.error = error;
	m.status = status;
	if (detail)
		snprintf(m.detail, sizeof(m.detail), "%s", detail);
	return m;
}

static struct call call(const struct sbx_launch_msg *m, enum sbx_launch_state state, size_t n_fds, bool seccomp)
{
	return (struct call){ m, sizeof(*m), n_fds, 0, state, seccomp };
}

/* Decode c: accepted with *out a copy of the datagram and *next == want_next when want_why is
 * NULL, else -EPROTO with exactly want_why and the outputs untouched. One TAP line. */
__attribute__((format(printf, 4, 5))) static bool expect(const struct call *c, const char *want_why,
							 enum sbx_launch_state want_next, const char *fmt, ...)
{
	struct sbx_launch_msg out, untouched;
	memset(&out, 0xa5, sizeof(out));
	untouched = out;
	enum sbx_launch_state next = NO_NEXT;
	const char *why = NULL;
	int r = sbx_launch_decode(c->buf, c->len, c->n_fds, c->flags, c->state, c->seccomp, &out, &next, &why);
	bool ok;
	if (!want_why) {
		ok = r == 0 && next == want_next && memcmp(&out, c->buf, sizeof(out)) == 0;
		if (!ok)
			tap_diag("got %d (%s), next %d; want accepted, next %d%s", r, why ? why : "-", (int)next,
				 (int)want_next, r == 0 && memcmp(&out, c->buf, sizeof(out)) ? ", and *out differs" : "");
	} else {
		ok = r == -EPROTO && why && strcmp(why, want_why) == 0 && next == NO_NEXT &&
		     memcmp(&out, &untouched, sizeof(out)) == 0;
		if (!ok)
			tap_diag("got %d (%s), next %d; want %d (%s), outputs untouched", r, why ? why : "-", (int)next,
				 -EPROTO, want_why);
	}
	char name[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return tap_ok(ok, "%s: %s", name, want_why ? want_why : "accepted");
}

/* The header's own table, as its comment describes it. */
static void header_table(void)
{
	const uint32_t bit_error = 1u << SBX_LAUNCH_ERROR, bit_exec = 1u << SBX_LAUNCH_EXEC,
		       bit_status = 1u << SBX_LAUNCH_STATUS, bit_ready = 1u << SBX_LAUNCH_READY,
		       bit_zygote = 1u << SBX_LAUNCH_ZYGOTE, bit_started = 1u << SBX_LAUNCH_STARTED;
	tap_ok(SBX_LAUNCH_STATE_MAX_ == 9, "nine states");
	tap_ok(sbx_launch_allowed[ZSETUP] == (bit_error | bit_zygote), "ZSETUP accepts ERROR and ZYGOTE");
	tap_ok(sbx_launch_allowed[ZIDLE] == bit_error, "ZIDLE accepts ERROR");
	tap_ok(sbx_launch_allowed[ZJOB] == (bit_error | bit_started), "ZJOB accepts ERROR and STARTED");
	tap_ok(sbx_launch_allowed[PREPARING] == (bit_error | bit_ready), "PREPARING accepts ERROR and READY");
	tap_ok(sbx_launch_allowed[READY] == (bit_error | bit_status), "READY accepts ERROR and STATUS");
	tap_ok(sbx_launch_allowed[SETUP] == (bit_error | bit_exec), "SETUP accepts ERROR and EXEC");
	tap_ok(sbx_launch_allowed[RUNNING] == (bit_error | bit_status), "RUNNING accepts ERROR and STATUS");
	tap_ok(sbx_launch_allowed[FAILED] == bit_status, "FAILED accepts STATUS");
	tap_ok(sbx_launch_allowed[ENDED] == 0, "ENDED accepts nothing");
	tap_ok(sizeof(struct sbx_launch_msg) == 16 + SBX_LAUNCH_DETAIL_MAX + 4 && SBX_LAUNCH_DETAIL_MAX == 192,
	       "a launch message is 212 bytes");
}

/* Every (state, type) pair, with a message that is well-formed for its type. */
static void state_table(void)
{
	static const uint32_t types[] = { 0, SBX_LAUNCH_GO, SBX_LAUNCH_ERROR, SBX_LAUNCH_EXEC, SBX_LAUNCH_STATUS,
					  SBX_LAUNCH_FILTER, SBX_LAUNCH_TAKEN, SBX_LAUNCH_READY, SBX_LAUNCH_ZYGOTE,
					  SBX_LAUNCH_JOB, SBX_LAUNCH_STARTED, 11, 31, 32,
					  32 + SBX_LAUNCH_EXEC, 0x80000002u, UINT32_MAX };
	/* state -> { ERROR, EXEC, STATUS, READY, ZYGOTE, STARTED } accepted? GO, FILTER, TAKEN
	 * and JOB are the broker's: from the sandbox they are unknown. */
	static const bool accepts[9][6] = {
		[SETUP] = { true, true, false, false, false, false },
		[RUNNING] = { true, false, true, false, false, false },
		[FAILED] = { false, false, true, false, false, false },
		[ENDED] = { false, false, false, false, false, false },
		[PREPARING] = { true, false, false, true, false, false },
		[READY] = { true, false, true, false, false, false },
		[ZSETUP] = { true, false, false, false, true, false },
		[ZIDLE] = { true, false, false, false, false, false },
		[ZJOB] = { true, false, false, false, false, true },
	};
	static const enum sbx_launch_state leads_to[6] = { FAILED, RUNNING, ENDED, READY, ZIDLE, ZIDLE };
	static const char *const out_of_state[6] = { "ERROR out of state", "EXEC out of state", "STATUS out of state",
						     "READY out of state", "ZYGOTE out of state",
						     "STARTED out of state" };
	for (int st = SETUP; st < SBX_LAUNCH_STATE_MAX_; st++) {
		for (size_t i = 0; i < SBX_ARRAY_SIZE(types); i++) {
			uint32_t t = types[i];
			/* An ERROR of the exec step is valid in SETUP and RUNNING alike. */
			/* STARTED names the job's init by its pid (in status). */
			struct sbx_launch_msg m = msg(t, t == SBX_LAUNCH_ERROR ? SBX_STEP_EXEC : 0,
						      t == SBX_LAUNCH_ERROR ? ENOENT : 0, t == SBX_LAUNCH_STARTED ? 7 : 0, NULL);
			int k = t == SBX_LAUNCH_ERROR ? 0 : t == SBX_LAUNCH_EXEC ? 1 : t == SBX_LAUNCH_STATUS ? 2
				: t == SBX_LAUNCH_READY ? 3 : t == SBX_LAUNCH_ZYGOTE ? 4 : t == SBX_LAUNCH_STARTED ? 5 : -1;
			for (int sc = 0; sc < 2; sc++) {
				struct call c = call(&m, (enum sbx_launch_state)st, 0, sc);
				if (k < 0)
					expect(&c, "unknown message type", 0, "%s, type %#x, seccomp %s", state_names[st], t,
					       sc ? "on" : "off");
				else
					expect(&c, accepts[st][k] ? ACCEPTED : out_of_state[k], leads_to[k],
					       "%s, type %u, seccomp %s", state_names[st], t, sc ? "on" : "off");
			}
		}
	}
	/* States that do not exist, whatever the message. */
	static const int bogus[] = { SBX_LAUNCH_STATE_MAX_, 10, 127, 1000, INT_MAX, -1, -128, INT_MIN };
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 0, NULL);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(bogus); i++) {
		struct call c = call(&exec, (enum sbx_launch_state)bogus[i], 0, false);
		expect(&c, "message after the end", 0, "state %d, EXEC", bogus[i]);
		c = call(&status, (enum sbx_launch_state)bogus[i], 0, false);
		expect(&c, "message after the end", 0, "state %d, STATUS", bogus[i]);
	}
}

/* No message carries an fd (an fd in flight counts against the sandbox's uid, shared by every
 * sandbox of that uid): EXEC names the listener's number, >= 0 with seccomp, 0 without. */
static void fds(void)
{
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
	struct sbx_launch_msg exec4 = exec;
	exec4.listener = 4;
	for (size_t n = 0; n <= 3; n++) {
		struct call on = call(&exec4, SETUP, n, true), off = call(&exec, SETUP, n, false);
		expect(&on, n == 0 ? ACCEPTED : "fd passed with EXEC", RUNNING, "EXEC with %zu fds, seccomp on", n);
		expect(&off, n == 0 ? ACCEPTED : "fd passed with EXEC", RUNNING, "EXEC with %zu fds, seccomp off", n);
	}
	struct call many = call(&exec4, SETUP, 253, true);
	expect(&many, "fd passed with EXEC", 0, "EXEC with 253 fds");
	/* The fds are checked before the state: they are refused for that in any state. */
	struct call late = call(&exec4, RUNNING, 2, true);
	expect(&late, "fd passed with EXEC", 0, "EXEC with 2 fds in RUNNING");
	static const int32_t listeners[] = { INT_MIN, -1, 0, 3, 4, 1023, INT_MAX };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(listeners); i++) {
		struct sbx_launch_msg m = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
		m.listener = listeners[i];
		struct call on = call(&m, SETUP, 0, true), off = call(&m, SETUP, 0, false);
		expect(&on, listeners[i] >= 0 ? ACCEPTED : "EXEC names no listener", RUNNING, "EXEC naming listener %d, seccomp on",
		       listeners[i]);
		expect(&off, listeners[i] == 0 ? ACCEPTED : "EXEC names a listener without seccomp", RUNNING,
		       "EXEC naming listener %d, seccomp off", listeners[i]);
	}

	struct sbx_launch_msg err = msg(SBX_LAUNCH_ERROR, SBX_STEP_HOSTNAME, ENOENT, 0, "/srv");
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 0, NULL);
	for (int sc = 0; sc < 2; sc++) {
		struct call c = call(&err, SETUP, 1, sc);
		expect(&c, "fd passed with ERROR", 0, "ERROR with an fd, seccomp %s", sc ? "on" : "off");
		c = call(&status, RUNNING, 1, sc);
		expect(&c, "fd passed with STATUS", 0, "STATUS with an fd, seccomp %s", sc ? "on" : "off");
		c = call(&status, FAILED, 2, sc);
		expect(&c, "fd passed with STATUS", 0, "STATUS with 2 fds in FAILED, seccomp %s", sc ? "on" : "off");
	}
}

/* ERROR: a step of enum sbx_step other than NONE, a positive errno below 4096; after EXEC only
 * the exec step itself may fail. */
static void error_ranges(void)
{
	/* Every step, the first value past them, and two far beyond. */
	uint32_t steps[SBX_STEP_MAX_ + 3];
	for (uint32_t s = 0; s <= SBX_STEP_MAX_; s++)
		steps[s] = s;
	steps[SBX_STEP_MAX_ + 1] = 1000;
	steps[SBX_STEP_MAX_ + 2] = UINT32_MAX;
	tap_ok(SBX_STEP_EXEC == SBX_STEP_MAX_ - 1, "EXEC is the last step");
	for (size_t i = 0; i < SBX_ARRAY_SIZE(steps); i++) {
		uint32_t s = steps[i];
		bool valid = s >= 1 && s < SBX_STEP_MAX_;
		struct sbx_launch_msg m = msg(SBX_LAUNCH_ERROR, s, EPERM, 0, "detail");
		struct call c = call(&m, SETUP, 0, true);
		expect(&c, valid ? ACCEPTED : "malformed ERROR", FAILED, "SETUP, ERROR at step %u", s);
		c = call(&m, RUNNING, 0, true);
		expect(&c, !valid ? "malformed ERROR" : s == SBX_STEP_EXEC ? ACCEPTED : "setup ERROR after EXEC", FAILED,
		       "RUNNING, ERROR at step %u", s);
		c = call(&m, FAILED, 0, true);
		expect(&c, valid ? "ERROR out of state" : "malformed ERROR", 0, "FAILED, ERROR at step %u", s);
	}
	static const int32_t errnos[] = { INT_MIN, -ENOENT, -1, 0, 1, ENOENT, 4095, 4096, INT_MAX };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(errnos); i++) {
		int32_t e = errnos[i];
		bool valid = e >= 1 && e <= 4095;
		struct sbx_launch_msg m = msg(SBX_LAUNCH_ERROR, SBX_STEP_EXEC, e, 0, NULL);
		struct call c = call(&m, SETUP, 0, false);
		expect(&c, valid ? ACCEPTED : "malformed ERROR", FAILED, "SETUP, ERROR with errno %d", e);
		c = call(&m, RUNNING, 0, false);
		expect(&c, valid ? ACCEPTED : "malformed ERROR", FAILED, "RUNNING, ERROR with errno %d", e);
	}
	/* The wait status is the program's business: any value goes through. */
	static const int32_t statuses[] = { 0, 9, 3 << 8, 255 << 8, 0x137f, -1, INT_MIN, INT_MAX };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(statuses); i++) {
		struct sbx_launch_msg m = msg(SBX_LAUNCH_STATUS, 0, 0, statuses[i], NULL);
		struct call c = call(&m, RUNNING, 0, false);
		expect(&c, ACCEPTED, ENDED, "STATUS %#x", (unsigned)statuses[i]);
	}
}

/* The detail is a C string to the code after the decoder: its NUL must be inside the field. */
static void detail(void)
{
	static const uint32_t types[] = { SBX_LAUNCH_ERROR, SBX_LAUNCH_EXEC, SBX_LAUNCH_STATUS, 0, 99 };
	static const enum sbx_launch_state states[] = { SETUP, SETUP, RUNNING, SETUP, SETUP };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(types); i++) {
		struct sbx_launch_msg m = msg(types[i], SBX_STEP_HOSTNAME, ENOENT, 0, NULL);
		memset(m.detail, 'x', sizeof(m.detail));
		/* Checked before the type: even an unknown type is refused for it. */
		struct call c = call(&m, states[i], 0, false);
		expect(&c, "detail not NUL-terminated", 0, "type %u, detail without a NUL", types[i]);
	}
	struct sbx_launch_msg full = msg(SBX_LAUNCH_ERROR, SBX_STEP_HOSTNAME, ENOENT, 0, NULL);
	memset(full.detail, 'x', sizeof(full.detail) - 1);
	struct call c = call(&full, SETUP, 0, false);
	expect(&c, ACCEPTED, FAILED, "ERROR with 191 bytes of detail and the NUL last");
	struct sbx_launch_msg first = msg(SBX_LAUNCH_ERROR, SBX_STEP_HOSTNAME, ENOENT, 0, NULL);
	memset(first.detail + 1, 0xff, sizeof(first.detail) - 1);
	c = call(&first, SETUP, 0, false);
	expect(&c, ACCEPTED, FAILED, "ERROR with the NUL first and bytes after it");

	/* protocol.h: "detail: NUL-terminated; ERROR only, else all zero", and step and errno are
	 * ERROR's, the status STATUS's: a field another type carries is refused. */
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, "leftover");
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, SBX_STEP_HOSTNAME, EPERM, 0, "leftover");
	struct sbx_launch_msg exec_fields = msg(SBX_LAUNCH_EXEC, SBX_STEP_HOSTNAME, EPERM, 7, NULL);
	struct sbx_launch_msg error_status = msg(SBX_LAUNCH_ERROR, SBX_STEP_HOSTNAME, EPERM, 7, NULL);
	c = call(&exec, SETUP, 0, false);
	expect(&c, "field set that the message type does not carry", 0, "EXEC with a detail");
	c = call(&status, RUNNING, 0, false);
	expect(&c, "field set that the message type does not carry", 0, "STATUS with a detail, step and errno");
	c = call(&exec_fields, SETUP, 0, false);
	expect(&c, "field set that the message type does not carry", 0, "EXEC with step, errno and status");
	c = call(&error_status, SETUP, 0, false);
	expect(&c, "field set that the message type does not carry", 0, "ERROR with a status");
	struct sbx_launch_msg status_listener = msg(SBX_LAUNCH_STATUS, 0, 0, 0, NULL);
	struct sbx_launch_msg error_listener = msg(SBX_LAUNCH_ERROR, SBX_STEP_HOSTNAME, EPERM, 0, NULL);
	status_listener.listener = error_listener.listener = 5;
	c = call(&status_listener, RUNNING, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "STATUS naming a listener");
	c = call(&error_listener, SETUP, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "ERROR naming a listener");
}

/* Exactly one whole message per datagram; truncation of data or control is malformed. */
static void sizes_and_flags(void)
{
	struct sbx_launch_msg two[2] = { msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL), msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL) };
	static const size_t lens[] = { 0, 1, 4, 16, sizeof(two[0]) - 1, sizeof(two[0]) + 1, sizeof(two) };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(lens); i++) {
		struct call c = { two, lens[i], 0, 0, SETUP, true };
		expect(&c, "malformed launch message", 0, "EXEC in %zu bytes", lens[i]);
	}
	struct call exact = { two, sizeof(two[0]), 0, 0, SETUP, true };
	expect(&exact, ACCEPTED, RUNNING, "EXEC in 212 bytes");

	static const int flags[] = { MSG_TRUNC, MSG_CTRUNC, MSG_TRUNC | MSG_CTRUNC, MSG_CTRUNC | MSG_EOR };
	static const char *const flag_names[] = { "MSG_TRUNC", "MSG_CTRUNC", "MSG_TRUNC|MSG_CTRUNC", "MSG_CTRUNC|MSG_EOR" };
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 0, NULL);
	for (size_t i = 0; i < SBX_ARRAY_SIZE(flags); i++) {
		struct call c = { two, sizeof(two[0]), 0, flags[i], SETUP, true };
		expect(&c, "malformed launch message", 0, "EXEC naming the listener, with %s", flag_names[i]);
		c = (struct call){ &status, sizeof(status), 0, flags[i], RUNNING, false };
		expect(&c, "malformed launch message", 0, "STATUS with %s", flag_names[i]);
	}
	/* A seqpacket record ends with MSG_EOR: not a reason to refuse. */
	struct call eor = { &status, sizeof(status), 0, MSG_EOR, RUNNING, false };
	expect(&eor, ACCEPTED, ENDED, "STATUS with MSG_EOR");
	/* Size is checked before the state: a short message in a bogus state is malformed. */
	struct call both = { &status, 10, 0, 0, (enum sbx_launch_state)9, false };
	expect(&both, "malformed launch message", 0, "10 bytes in state 9");
}

/* A whole launch as the broker sees it, state by state. */
static void sequences(void)
{
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
	struct sbx_launch_msg fail = msg(SBX_LAUNCH_ERROR, SBX_STEP_EXEC, ENOENT, 0, NULL);
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 127 << 8, NULL);
	const struct sbx_launch_msg *seq[] = { &exec, &fail, &status };
	static const enum sbx_launch_state want[] = { RUNNING, FAILED, ENDED };
	enum sbx_launch_state st = SETUP;
	bool ok = true;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(seq) && ok; i++) {
		struct sbx_launch_msg out;
		enum sbx_launch_state next;
		const char *why = NULL;
		ok = sbx_launch_decode(seq[i], sizeof(*seq[i]), 0, 0, st, true, &out, &next, &why) == 0 &&
		     next == want[i];
		st = next;
	}
	tap_ok(ok && st == ENDED, "EXEC, exec ERROR, STATUS: SETUP -> RUNNING -> FAILED -> ENDED");
	struct call after = call(&status, st, 0, true);
	expect(&after, "STATUS out of state", 0, "a second STATUS after the end");
}

/* A ready worker (a pool's): READY names the listener as EXEC does; the broker itself moves it
 * to RUNNING when it lets the held exec go on with a job. */
static void ready_worker(void)
{
	struct sbx_launch_msg ready = msg(SBX_LAUNCH_READY, 0, 0, 0, NULL);
	ready.listener = 5;
	struct call c = call(&ready, PREPARING, 0, true);
	expect(&c, ACCEPTED, READY, "PREPARING, READY naming listener 5");
	c = call(&ready, PREPARING, 0, false);
	expect(&c, "READY names a listener without seccomp", 0, "PREPARING, READY naming a listener, no seccomp");
	ready.listener = -1;
	c = call(&ready, PREPARING, 0, true);
	expect(&c, "READY names no listener", 0, "PREPARING, READY naming listener -1");
	ready.listener = 0;
	c = call(&ready, PREPARING, 1, true);
	expect(&c, "fd passed with READY", 0, "PREPARING, READY with an fd");
	c = call(&ready, SETUP, 0, true);
	expect(&c, "READY out of state", 0, "a cold launch's READY");
	c = call(&ready, READY, 0, true);
	expect(&c, "READY out of state", 0, "a second READY");
	c = call(&ready, RUNNING, 0, true);
	expect(&c, "READY out of state", 0, "READY after the job");
	struct sbx_launch_msg smuggle = ready;
	smuggle.status = 1;
	c = call(&smuggle, PREPARING, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "READY carrying a status");
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
	c = call(&exec, READY, 0, true);
	expect(&c, "EXEC out of state", 0, "EXEC from a ready worker before its job");
	c = call(&exec, PREPARING, 0, true);
	expect(&c, "EXEC out of state", 0, "EXEC from a worker still preparing");
	struct sbx_launch_msg job_err = msg(SBX_LAUNCH_ERROR, SBX_STEP_JOB, EPROTO, 0, "the job");
	c = call(&job_err, READY, 0, true);
	expect(&c, ACCEPTED, FAILED, "READY, the job's step failed");
	c = call(&job_err, RUNNING, 0, true);
	expect(&c, "setup ERROR after EXEC", 0, "RUNNING, the job's step failed");
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 9, NULL);
	c = call(&status, READY, 0, true);
	expect(&c, ACCEPTED, ENDED, "READY, killed before its job: STATUS");
	c = call(&status, PREPARING, 0, true);
	expect(&c, "STATUS out of state", 0, "PREPARING, STATUS");
}

/* A zygote: ZYGOTE once its root is built, then per job the broker's JOB (its state ZJOB) and
 * STARTED naming the job's init by its pid in the zygote's namespace, or the errno that kept
 * it from starting; no fd, ever. */
static void zygote(void)
{
	struct sbx_launch_msg zyg = msg(SBX_LAUNCH_ZYGOTE, 0, 0, 0, NULL);
	struct call c = call(&zyg, ZSETUP, 0, true);
	expect(&c, ACCEPTED, ZIDLE, "ZSETUP, ZYGOTE");
	c = call(&zyg, ZSETUP, 1, true);
	expect(&c, "fd passed with ZYGOTE", 0, "ZSETUP, ZYGOTE with an fd");
	c = call(&zyg, SETUP, 0, true);
	expect(&c, "ZYGOTE out of state", 0, "a cold launch's ZYGOTE");
	c = call(&zyg, ZIDLE, 0, true);
	expect(&c, "ZYGOTE out of state", 0, "a second ZYGOTE");
	struct sbx_launch_msg smuggle = zyg;
	smuggle.listener = 3;
	c = call(&smuggle, ZSETUP, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "ZYGOTE naming a listener");
	smuggle = zyg;
	smuggle.status = 5;
	c = call(&smuggle, ZSETUP, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "ZYGOTE carrying a status");
	struct sbx_launch_msg started = msg(SBX_LAUNCH_STARTED, 0, 0, 42, NULL);
	c = call(&started, ZJOB, 0, true);
	expect(&c, ACCEPTED, ZIDLE, "ZJOB, STARTED naming pid 42");
	c = call(&started, ZJOB, 1, true);
	expect(&c, "fd passed with STARTED", 0, "ZJOB, STARTED with an fd");
	c = call(&started, ZIDLE, 0, true);
	expect(&c, "STARTED out of state", 0, "STARTED no job was asked for");
	c = call(&started, SETUP, 0, true);
	expect(&c, "STARTED out of state", 0, "a cold launch's STARTED");
	struct sbx_launch_msg refused = msg(SBX_LAUNCH_STARTED, 0, ENOSPC, 0, NULL);
	c = call(&refused, ZJOB, 0, true);
	expect(&c, ACCEPTED, ZIDLE, "ZJOB, STARTED naming the errno that kept the job from starting");
	static const struct { int32_t status, error; const char *what; } bad[] = {
		{ 0, 0, "neither a pid nor an errno" }, { 42, ENOSPC, "both a pid and an errno" },
		{ -1, 0, "pid -1" }, { INT32_MIN, 0, "pid INT32_MIN" }, { 0, -1, "errno -1" },
		{ 0, 4096, "errno 4096" }, { 0, INT32_MAX, "errno INT32_MAX" },
	};
	for (size_t i = 0; i < SBX_ARRAY_SIZE(bad); i++) {
		struct sbx_launch_msg m = msg(SBX_LAUNCH_STARTED, 0, bad[i].error, bad[i].status, NULL);
		c = call(&m, ZJOB, 0, true);
		expect(&c, "malformed STARTED", 0, "ZJOB, STARTED with %s", bad[i].what);
	}
	smuggle = started;
	smuggle.step = SBX_STEP_ZYGOTE;
	c = call(&smuggle, ZJOB, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "STARTED carrying a step");
	smuggle = started;
	snprintf(smuggle.detail, sizeof(smuggle.detail), "x");
	c = call(&smuggle, ZJOB, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "STARTED carrying a detail");
	smuggle = started;
	smuggle.listener = 4;
	c = call(&smuggle, ZJOB, 0, true);
	expect(&c, "field set that the message type does not carry", 0, "STARTED naming a listener");
	struct sbx_launch_msg err = msg(SBX_LAUNCH_ERROR, SBX_STEP_ZYGOTE, EPROTO, 0, NULL);
	c = call(&err, ZJOB, 0, true);
	expect(&c, ACCEPTED, FAILED, "ZJOB, the zygote failed");
	c = call(&err, ZIDLE, 0, true);
	expect(&c, ACCEPTED, FAILED, "ZIDLE, the zygote failed");
	struct sbx_launch_msg exec = msg(SBX_LAUNCH_EXEC, 0, 0, 0, NULL);
	c = call(&exec, ZIDLE, 0, true);
	expect(&c, "EXEC out of state", 0, "EXEC from a zygote");
	struct sbx_launch_msg status = msg(SBX_LAUNCH_STATUS, 0, 0, 0, NULL);
	c = call(&status, ZSETUP, 0, true);
	expect(&c, "STATUS out of state", 0, "STATUS from a zygote");
	struct sbx_launch_msg job = msg(SBX_LAUNCH_JOB, 0, 0, 0, NULL);
	c = call(&job, ZIDLE, 4, true);
	expect(&c, "unknown message type", 0, "a JOB from the sandbox side");
}

int main(void)
{
	header_table();
	state_table();
	fds();
	error_ranges();
	detail();
	sizes_and_flags();
	sequences();
	ready_worker();
	zygote();
	return tap_done();
}
