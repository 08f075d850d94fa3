/* SPDX-License-Identifier: MIT */
/* Resources the broker opens for a worker, with the broker's own privileges (CAP_NET_RAW for a
 * capture, its file access), and hands over as fds at fixed numbers. The worker never holds a
 * privilege, only the descriptors it was given. The model (struct sbx_resource) is
 * common/resource.h; the syntax users write for one, common/spec.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/resource.h"
#include "sbx.h"

/* Open one resource now. Returns an O_CLOEXEC fd or -errno; err names the resource and cause. */
int sbx_resource_open(const struct sbx_resource *res, struct sbx_error *err);

/* A capture socket for `iface` ("any" or NULL: all interfaces), as SBX_RES_CAPTURE does.
 * filter: pcap expression or NULL. The filter is locked (SO_LOCK_FILTER): the worker cannot
 * replace it. Returns an fd or -errno. */
int sbx_capture_open(const char *iface, bool promisc, const char *filter, struct sbx_error *err);
/* The same with the socket type (SOCK_RAW or SOCK_DGRAM, as the program asked for a brokered
 * one); *ifindex_ret (may be NULL) receives the interface it is bound to, 0 for all. */
int sbx_capture_socket(const char *iface, bool promisc, const char *filter, int type, int *ifindex_ret,
		       struct sbx_error *err);

/* Parse a socket address "tcp:HOST:PORT", "udp:HOST:PORT" or "unix:PATH" and open a socket,
 * connected (listen=false) or bound and listening. Returns an fd or -errno. */
int sbx_socket_open(const char *spec, bool listen, struct sbx_error *err);
