/* SPDX-License-Identifier: MIT */
/* Run-time requests from a worker (common/protocol.h): decoding, which is where hostile bytes
 * meet the broker and is fuzzed on its own (fuzz/broker/), and answering by the grants. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>

#include "broker/resources.h"
#include "common/protocol.h"

union sbx_req {
	struct sbx_req_hdr h;
	struct sbx_req_open open;
	struct sbx_req_capture capture;
	struct sbx_req_log log;
};

/* Validate one datagram exactly as received (buf/len, the number of fds that came with it and
 * the recvmsg flags) in the given state. Returns 0 and copies it to *out; -EPROTO, a violation,
 * with *why set to a static description; or -EPROTONOSUPPORT for a well-framed request of
 * another protocol version, with only out->h filled in (for the refusal) and *why saying which
 * versions met (valid until this thread's next call). Never trusts anything it has not checked. */
int sbx_req_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_req_state state,
		   union sbx_req *out, const char **why);

/* Answer a request that sbx_req_decode() found to be of another version: SBX_REP_ERROR with
 * EPROTONOSUPPORT, in the worker's version, on the request channel fd, without blocking.
 * Returns 0 or -errno (-EAGAIN: the worker does not read its replies). */
int sbx_req_refuse_version(int fd, const struct sbx_req_hdr *req);

/* The decision on an OPEN request: the rule that decided is described in rule. Returns an fd
 * (O_CLOEXEC) or -errno (EACCES when refused by the grants). Paths are opened with openat2()
 * below the granted directory with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
 * | RESOLVE_NO_XDEV: "..", symlinks, /proc magic links and other mounts cannot lead outside. */
int sbx_req_open(const struct sbx_req_open *req, const struct sbx_resource *res, size_t n_res,
		 const int *res_fds, char *rule, size_t rule_len);

/* O_ flags of a program's own open(2) that a brokered open passes on to openat2() as they are
 * (broker/brokered_open.c); the access mode, O_CREAT and O_TRUNC travel as SBX_OPEN_* bits. */
#define SBX_OPEN_EXTRA_OFLAGS (O_EXCL | O_APPEND | O_NONBLOCK | O_NOATIME | O_SYNC | O_DSYNC | O_DIRECT)

/* sbx_req_open with O_ flags from SBX_OPEN_EXTRA_OFLAGS added to the open. by_grant (may be
 * NULL) tells a refusal by the grant's mode or pattern (true) from a request no grant answers:
 * a directory, "." or ".." components, an unknown grant (false). */
int sbx_req_open_as(const struct sbx_req_open *req, int oflags_extra, const struct sbx_resource *res, size_t n_res,
		    const int *res_fds, char *rule, size_t rule_len, bool *by_grant);

struct sbx_worker;

/* The one decision for every open a worker's grants answer, by request (requests.c) or for the
 * program's own open (brokered_open.c): sbx_req_open_as on the worker's grants, then the grant's
 * `max N` (EDQUOT, counted here) and the per-worker fd quota (EMFILE; the caller counts
 * w->req.n_granted once the fd is handed over). Returns an fd or -errno. */
int sbx_worker_open(struct sbx_worker *w, const struct sbx_req_open *req, int oflags_extra, char *rule,
		    size_t rule_len, bool *by_grant);
