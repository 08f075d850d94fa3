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

/* What a #! script needs to run, from its text (the first n bytes of the file): the #! line's
 * interpreter, or for `#!/usr/bin/env NAME` NAME found in env_path (the sandbox's PATH), into
 * interp; and, when the script ends with `exec /ABSOLUTE/PATH ...` (a version manager's shim:
 * pyenv, rbenv, asdf), that path into execs. Each is "" when absent; interp is "env NAME" when
 * env would not find NAME. Pure: no file is opened but the stat of candidates. */
void sbx_program_script_needs(const char *text, size_t n, const char *env_path, char *interp, size_t ilen,
			      char *execs, size_t elen);

/* Resolve name with search_path (a PATH value; NULL for the default) and open it.
 * Returns 0, -ENOENT (not found: exit 127) or -EACCES (not executable: 126), or another -errno.
 * err says which. */
int sbx_program_open(const char *name, const char *search_path, struct sbx_program *ret, struct sbx_error *err);
