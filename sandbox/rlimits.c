/* SPDX-License-Identifier: MIT */
#include "rlimits.h"

#include <errno.h>
#include <stddef.h>

int sbx_rlimits_apply(const struct sbx_rlimits *l, const char **which)
{
	const struct {
		int resource;
		rlim_t value;
		const char *name;
	} limits[] = {
		{ RLIMIT_CORE, l->core, "RLIMIT_CORE" },
		{ RLIMIT_AS, l->as, "RLIMIT_AS" },
		{ RLIMIT_NPROC, l->nproc, "RLIMIT_NPROC" },
		{ RLIMIT_NOFILE, l->nofile, "RLIMIT_NOFILE" },
		{ RLIMIT_FSIZE, l->fsize, "RLIMIT_FSIZE" },
	};
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].value, limits[i].value };
		if (setrlimit(limits[i].resource, &rl) < 0) {
			*which = limits[i].name;
			return -errno;
		}
	}
	return 0;
}
