/* SPDX-License-Identifier: MIT */
/* Finding and opening the program on the host, like a shell would. The sandbox executes the
 * opened fd, so the program's own directory need not be visible inside. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sbx.h"

struct sbx_program {
	int fd;            /* O_CLOEXEC; O_RDONLY, or O_PATH for execute-only files */
	bool is_script;    /* starts with "#!" */
	char path[4096];   /* the resolved host path, for messages */
};

/* Resolve name with search_path (a PATH value; NULL for the default) and open it.
 * Returns 0, -ENOENT (not found: exit 127) or -EACCES (not executable: 126), or another -errno.
 * err says which. */
int sbx_program_open(const char *name, const char *search_path, struct sbx_program *ret, struct sbx_error *err);
