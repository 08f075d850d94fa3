/* SPDX-License-Identifier: MIT */
/* What a worker was granted: the policy's resources, then the configuration's, opened with the
 * broker's own privileges. They are handed over as fd slots of the launch plan and, for
 * directories and captures, answer the worker's run-time requests (requests.c). */
#pragma once

#include <stddef.h>

#include "broker/resources.h"

struct sbx_grants {
	struct sbx_resource *res;  /* shallow copies (strings owned by the policy and the config) */
	size_t n;
	unsigned *opens;           /* per res[i]: OPEN requests granted so far */
	int *fds;                  /* per res[i]: the broker's own handle on a directory (requests
	                              are resolved below it), -1 otherwise */
};

/* Close the broker's handles and free the arrays; leaves an empty struct. */
void sbx_grants_free(struct sbx_grants *g);

/* A directory grant with a pattern is served by requests only: a directory fd in the worker's
 * hands would reach every file below it, whatever the pattern says. */
bool sbx_grant_request_only(const struct sbx_resource *res);

const struct sbx_resource *sbx_grants_find(const struct sbx_grants *g, enum sbx_resource_kind kind,
					   const char *name);
