/* SPDX-License-Identifier: MIT */
/* The shipped base policies, embedded at build time (see meson.build), so that `include
 * base/stdio` resolves the same way from the built-in default policy whether or not a policy
 * directory is installed. */
#include "policy-internal.h"

#include <string.h>

#include "common/util.h"

#define BASE(n)                                     \
	extern const char sbx_base_##n##_text[];    \
	extern const size_t sbx_base_##n##_text_len;
BASE(stdio)
BASE(files)
BASE(threads)

const struct sbx_builtin_policy *sbx_builtin_policy_find(const char *name)
{
	static const struct sbx_builtin_policy table[] = {
		{ "base/stdio", sbx_base_stdio_text, &sbx_base_stdio_text_len },
		{ "base/files", sbx_base_files_text, &sbx_base_files_text_len },
		{ "base/threads", sbx_base_threads_text, &sbx_base_threads_text_len },
	};
	size_t nl = strlen(name);
	/* "base/stdio" and "base/stdio.policy" name the same file. */
	if (nl > 7 && strcmp(name + nl - 7, ".policy") == 0)
		nl -= 7;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(table); i++)
		if (strlen(table[i].name) == nl && memcmp(table[i].name, name, nl) == 0)
			return &table[i];
	return NULL;
}
