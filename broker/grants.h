/* SPDX-License-Identifier: MIT */
/* What a worker was granted: the policy's resources, then the configuration's, opened with the
 * broker's own privileges. They are handed over as fd slots of the launch plan and, for
 * directories and captures, answer the worker's run-time requests (requests.c). */
#pragma once

#include <stddef.h>

#include "broker/resources.h"

/* A packet socket the broker answered the program's own socket(AF_PACKET) with (brokered.c), or
 * one handed over at start for a capture grant. */
struct sbx_brokered_socket {
	int fd;          /* the broker's reference to the socket the worker holds: bind and
	                    setsockopt the broker allows are made on it */
	int target;      /* its number in the worker (SBX_CAPTURE_FD_FIRST + k, or its slot) */
	size_t grant;    /* index in res */
	int ifindex;     /* the interface it is bound to, in the broker's namespace (0: all) */
};

struct sbx_grants {
	struct sbx_resource *res;  /* shallow copies (strings owned by the policy and the config) */
	size_t n;
	unsigned *opens;           /* per res[i]: OPEN requests granted so far */
	int *fds;                  /* per res[i]: the broker's own handle on a directory (requests
	                              are resolved below it), -1 otherwise */
	unsigned *sockets;         /* per res[i]: packet sockets answered so far (captures) */
	struct sbx_brokered_socket socks[SBX_CAPTURE_FD_COUNT];
	unsigned n_socks;
	/* The capture grants' sockets handed over at start, at their slot numbers (target). */
	struct sbx_brokered_socket start[SBX_CAPTURE_START_MAX];
	unsigned n_start;
};

/* The grant kinds a policy rule can be guarded by (`if dir`, `if capture`) that g holds, as
 * bits 1 << SBX_RES_*: what the filter is compiled with and the broker decides by alike. */
unsigned sbx_grants_kinds(const struct sbx_grants *g);

/* Close the broker's handles and free the arrays; leaves an empty struct. */
void sbx_grants_free(struct sbx_grants *g);

/* A directory grant with a pattern is served by requests only: a directory fd in the worker's
 * hands would reach every file below it, whatever the pattern says. */
bool sbx_grant_request_only(const struct sbx_resource *res);

/* How many packet sockets capture grant res answers in the worker's life. */
unsigned sbx_grant_capture_max(const struct sbx_resource *res);

const struct sbx_resource *sbx_grants_find(const struct sbx_grants *g, enum sbx_resource_kind kind,
					   const char *name);
