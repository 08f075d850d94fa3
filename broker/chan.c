/* SPDX-License-Identifier: MIT */
/* The launch channel (common/protocol.h), broker side: a pure decoder that validates every
 * message like hostile input, and the worker's handler that records what a valid one says.
 * A sandbox that sends anything malformed or out of state is killed; the broker goes on. */
#include "chan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/worker.h"
#include "common/fdpass.h"
#include "common/util.h"

static int refuse(const char **why, const char *what)
{
	*why = what;
	return -EPROTO;
}

/* The state a valid message leads to (the table in common/protocol.h says which are valid). */
static enum sbx_launch_state next_state(const struct sbx_launch_msg *m)
{
	return m->type == SBX_LAUNCH_EXEC ? SBX_LAUNCH_STATE_RUNNING
	       : m->type == SBX_LAUNCH_ERROR ? SBX_LAUNCH_STATE_FAILED
					      : SBX_LAUNCH_STATE_ENDED;
}

int sbx_launch_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_launch_state state,
		      bool seccomp, struct sbx_launch_msg *out, enum sbx_launch_state *next, const char **why)
{
	struct sbx_launch_msg m;
	if ((msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || len != sizeof(m))
		return refuse(why, "malformed launch message");
	if ((unsigned)state >= SBX_LAUNCH_STATE_MAX_)
		return refuse(why, "message after the end");
	memcpy(&m, buf, sizeof(m)); /* one copy: what is checked is what is used */
	if (memchr(m.detail, '\0', sizeof(m.detail)) == NULL)
		return refuse(why, "detail not NUL-terminated");
	/* The fields another type carries are zero (protocol.h): no message smuggles anything. */
	static const char zero[SBX_LAUNCH_DETAIL_MAX];
	bool error_fields = m.step || m.error || memcmp(m.detail, zero, sizeof(zero)) != 0;
	if ((m.type != SBX_LAUNCH_ERROR && error_fields) || (m.type != SBX_LAUNCH_STATUS && m.status))
		if (m.type == SBX_LAUNCH_ERROR || m.type == SBX_LAUNCH_EXEC || m.type == SBX_LAUNCH_STATUS)
			return refuse(why, "field set that the message type does not carry");
	switch (m.type) {
	case SBX_LAUNCH_ERROR:
		if (n_fds)
			return refuse(why, "fd passed with ERROR");
		if (m.step == SBX_STEP_NONE || m.step >= SBX_STEP_MAX_ || m.error <= 0 || m.error > 4095)
			return refuse(why, "malformed ERROR");
		if (state == SBX_LAUNCH_STATE_RUNNING && m.step != SBX_STEP_EXEC)
			return refuse(why, "setup ERROR after EXEC");
		break;
	case SBX_LAUNCH_EXEC:
		if (n_fds != (seccomp ? 1u : 0u))
			return refuse(why, "EXEC with the wrong number of fds");
		break;
	case SBX_LAUNCH_STATUS:
		if (n_fds)
			return refuse(why, "fd passed with STATUS");
		break;
	default:
		return refuse(why, "unknown message type");
	}
	if (!(sbx_launch_allowed[state] & (1u << m.type)))
		return refuse(why, m.type == SBX_LAUNCH_ERROR  ? "ERROR out of state"
				   : m.type == SBX_LAUNCH_EXEC ? "EXEC out of state"
							       : "STATUS out of state");
	*out = m;
	*next = next_state(&m);
	return 0;
}

/* ---- the worker's side ---- */

static void protocol_violation(struct sbx_worker *w, const char *why)
{
	if (!w->facts.protocol_error) {
		w->facts.protocol_error = true;
		snprintf(w->facts.protocol_why, sizeof(w->facts.protocol_why), "%s", why);
	}
	sbx_worker_kill(w);
}

/* Record what a decoded message says; takes the listener fd out of fds. */
static void apply(struct sbx_worker *w, const struct sbx_launch_msg *m, int *fds)
{
	struct sbx_exit_facts *f = &w->facts;
	switch (m->type) {
	case SBX_LAUNCH_ERROR:
		f->setup_error = true;
		f->err_step = m->step;
		f->err_errno = m->error;
		memcpy(f->err_detail, m->detail, sizeof(f->err_detail));
		break;
	case SBX_LAUNCH_EXEC:
		if (w->seccomp)
			w->listener.fd = sbx_steal_fd(&fds[0]);
		sbx_nsrecord_start(w); /* every namespace exists now */
		break;
	case SBX_LAUNCH_STATUS:
		f->have_status = true;
		f->status = m->status;
		break;
	}
}

bool sbx_chan_drain(struct sbx_worker *w)
{
	while (w->chan.fd >= 0) {
		struct sbx_launch_msg buf;
		struct sbx_recv rv;
		int r = sbx_recv_fds(w->chan.fd, &buf, sizeof(buf), MSG_DONTWAIT, &rv);
		if (r < 0)
			return r == -EAGAIN;
		if (rv.len == 0)
			return false;
		struct sbx_launch_msg m;
		enum sbx_launch_state next;
		const char *why = NULL;
		int flags = (rv.truncated ? MSG_TRUNC : 0) | (rv.bad_control ? MSG_CTRUNC : 0);
		if (sbx_launch_decode(&buf, (size_t)rv.len, rv.n_fds, flags, w->chan.state, w->seccomp, &m, &next, &why) < 0) {
			protocol_violation(w, why);
		} else {
			apply(w, &m, rv.fds);
			w->chan.state = next;
		}
		sbx_recv_close(&rv); /* what apply() took is -1 already */
		if (w->listener.fd >= 0 && !w->listener.ev && sbx_listener_watch(w) < 0)
			protocol_violation(w, "cannot watch the seccomp listener");
	}
	return false;
}

static void on_chan(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sbx_worker *w = arg;
	if (!sbx_chan_drain(w))
		sbx_event_freep(&w->chan.ev); /* EOF: the end comes through the pidfd */
}

int sbx_chan_watch(struct sbx_worker *w)
{
	w->chan.ev = event_new(w->base, w->chan.fd, EV_READ | EV_PERSIST, on_chan, w);
	if (!w->chan.ev || event_add(w->chan.ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}
