/* SPDX-License-Identifier: MIT */
#include "resource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static const char *const kind_names[] = {
	[SBX_RES_FILE] = "file", [SBX_RES_DIR] = "dir", [SBX_RES_CAPTURE] = "capture",
	[SBX_RES_CONNECT] = "connect", [SBX_RES_LISTEN] = "listen", [SBX_RES_FD] = "fd",
};

void sbx_resource_init(struct sbx_resource *res, enum sbx_resource_kind kind)
{
	memset(res, 0, sizeof(*res));
	res->kind = kind;
	res->fd = -1;
	if (kind == SBX_RES_FILE || kind == SBX_RES_DIR)
		res->flags = SBX_ACCESS_READ;
}

void sbx_resource_clear(struct sbx_resource *res)
{
	free(res->target);
	free(res->pattern);
	free(res->filter);
	res->target = res->pattern = res->filter = NULL;
	if (res->kind == SBX_RES_FD)
		sbx_close(&res->fd);
}

const char *sbx_resource_kind_name(enum sbx_resource_kind kind)
{
	if ((size_t)kind >= SBX_ARRAY_SIZE(kind_names))
		return "?";
	return kind_names[kind];
}

int sbx_resource_kind_from_name(const char *word)
{
	for (size_t k = 0; k < SBX_ARRAY_SIZE(kind_names); k++)
		if (strcmp(word, kind_names[k]) == 0)
			return (int)k;
	return -EINVAL;
}
