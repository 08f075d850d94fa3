/* SPDX-License-Identifier: MIT */
/* The resource model: one kind, one access flag set, one struct for a resource the broker opens
 * and hands to a worker as an fd, whether the command line (--file ...), a policy file
 * (`resource NAME file ...`) or a host program (sbx_config_add_*) asked for it. The syntax users
 * write is parsed in common/spec.c; opening is broker/resources.c. */
#pragma once

#include <stdbool.h>

#include "common/protocol.h"
#include "sbx.h"

enum sbx_resource_kind {
	SBX_RES_FILE,     /* a file, read and/or write */
	SBX_RES_DIR,      /* a directory opened O_PATH; OPEN requests below it */
	SBX_RES_CAPTURE,  /* AF_PACKET socket on an interface, optional promisc and BPF filter */
	SBX_RES_CONNECT,  /* a connected tcp/udp/unix socket */
	SBX_RES_LISTEN,   /* a listening tcp/unix socket (or bound udp) */
	SBX_RES_FD,       /* an fd the caller already holds (dup'd) */
};

/* Access is the public SBX_ACCESS_* set (include/sbx.h). */
#define SBX_RES_ACCESS_ALL (SBX_ACCESS_READ | SBX_ACCESS_WRITE | SBX_ACCESS_CREATE | SBX_ACCESS_TRUNC)

/* The one place the model meets the wire: broker/requests.c checks a worker's OPEN request
 * (SBX_OPEN_* bits, common/protocol.h) against a directory grant's access bit for bit. */
_Static_assert(SBX_ACCESS_READ == SBX_OPEN_READ && SBX_ACCESS_WRITE == SBX_OPEN_WRITE &&
		       SBX_ACCESS_CREATE == SBX_OPEN_CREATE && SBX_ACCESS_TRUNC == SBX_OPEN_TRUNC &&
		       !(SBX_RES_ACCESS_ALL & SBX_OPEN_DIRECTORY),
	       "a grant's access bits are the wire's open bits");

#define SBX_RES_NAME_MAX 64 /* with the NUL */

/* Brokered packet sockets (docs/policy.md, "Brokered calls"): a capture grant answers the
 * program's own socket(AF_PACKET, ...) this many times by default, at most _MAX times (`max
 * N`). They are installed at fixed numbers, SBX_CAPTURE_FD_FIRST + k for the worker's k-th one
 * (after the launcher's 200 and 201), so that the filter can guard them by number; a worker
 * holds at most SBX_CAPTURE_FD_COUNT in its life. */
#define SBX_CAPTURE_SOCKETS_DEFAULT 1
#define SBX_CAPTURE_SOCKETS_MAX 8
#define SBX_CAPTURE_FD_FIRST 202
#define SBX_CAPTURE_FD_COUNT 8
/* The capture grants' own sockets, handed over at start in slots 3, 4, ..., are guarded the
 * same way at their slot numbers; a worker may hold this many such grants. */
#define SBX_CAPTURE_START_MAX 16

struct sbx_resource {
	enum sbx_resource_kind kind;
	char name[SBX_RES_NAME_MAX]; /* [A-Za-z0-9_], the suffix of SBX_FD_<NAME> */
	char *target;         /* path, interface ("any" = all) or socket address */
	unsigned flags;       /* SBX_ACCESS_*: FILE how it is opened, DIR what requests may do */
	char *pattern;        /* DIR: fnmatch pattern requests must match ("*" when NULL) */
	unsigned max_opens;   /* DIR: how many OPEN requests it grants in the worker's life (0: no
	                         limit but the per-worker quota). CAPTURE: how many packet sockets
	                         the broker answers the program's socket(AF_PACKET) with (0: the
	                         default, SBX_CAPTURE_SOCKETS_DEFAULT) */
	bool promisc;         /* CAPTURE */
	bool tx;              /* CAPTURE: the program may transmit through its packet sockets */
	char *filter;         /* CAPTURE: a pcap filter expression, compiled by the broker */
	int fd;               /* FD: the caller's fd; -1 for the other kinds */
};

/* A resource of `kind` with the defaults: read access for FILE and DIR, no fd. */
void sbx_resource_init(struct sbx_resource *res, enum sbx_resource_kind kind);

/* Free target, pattern and filter and close fd (FD), for a resource that owns them (the
 * config's and the policy's do; the command line's point into argv). */
void sbx_resource_clear(struct sbx_resource *res);

#define _cleanup_resource_ __attribute__((cleanup(sbx_resource_clear)))

/* "file", "dir", "capture", "connect", "listen", "fd": the word for a kind in a policy and in
 * the command line's options. */
const char *sbx_resource_kind_name(enum sbx_resource_kind kind);
/* The kind named `word`, or -EINVAL. */
int sbx_resource_kind_from_name(const char *word);
