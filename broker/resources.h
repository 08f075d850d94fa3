/* SPDX-License-Identifier: MIT */
/* Resources the broker opens for a worker, with the broker's own privileges (CAP_NET_RAW for a
 * capture, its file access), and hands over as fds at fixed numbers. The worker never holds a
 * privilege, only the descriptors it was given. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbx.h"

enum sbx_resource_kind {
	SBX_RES_FILE,     /* a file, read and/or write (SBX_OPEN_*) */
	SBX_RES_DIR,      /* a directory opened O_PATH; OPEN requests below it */
	SBX_RES_CAPTURE,  /* AF_PACKET socket on an interface, optional promisc and BPF filter */
	SBX_RES_CONNECT,  /* a connected tcp/udp/unix socket */
	SBX_RES_LISTEN,   /* a listening tcp/unix socket (or bound udp) */
	SBX_RES_FD,       /* an fd the caller already holds (dup'd) */
};

struct sbx_resource {
	enum sbx_resource_kind kind;
	char name[64];        /* [A-Za-z0-9_], the suffix of SBX_FD_<NAME> */
	char *target;         /* path, interface ("any" = all) or socket address */
	unsigned flags;       /* SBX_OPEN_* for FILE, and for DIR what requests may do */
	char *pattern;        /* DIR: fnmatch pattern requests must match ("*" when NULL) */
	unsigned max_opens;   /* DIR: how many OPEN requests it grants in the worker's life (0: no
	                         limit but the per-worker quota) */
	bool promisc;         /* CAPTURE */
	char *filter;         /* CAPTURE: a pcap filter expression, compiled here */
	int fd;               /* FD: the caller's fd (dup'd at add time, owned) */
};

/* Validate a resource name: 1-63 characters of [A-Za-z0-9_], not starting with a digit.
 * "BROKER" is reserved. */
bool sbx_resource_name_valid(const char *name);

/* Open one resource now. Returns an O_CLOEXEC fd or -errno; err names the resource and cause. */
int sbx_resource_open(const struct sbx_resource *res, struct sbx_error *err);

/* A capture socket for `iface` ("any" or NULL: all interfaces), as SBX_RES_CAPTURE does.
 * filter: pcap expression or NULL. The filter is locked (SO_LOCK_FILTER): the worker cannot
 * replace it. Returns an fd or -errno. */
int sbx_capture_open(const char *iface, bool promisc, const char *filter, struct sbx_error *err);

/* Parse a socket address "tcp:HOST:PORT", "udp:HOST:PORT" or "unix:PATH" and open a socket,
 * connected (listen=false) or bound and listening. Returns an fd or -errno. */
int sbx_socket_open(const char *spec, bool listen, struct sbx_error *err);
