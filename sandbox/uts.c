/* SPDX-License-Identifier: MIT */
#include "uts.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int sbx_uts_setup(const char *hostname)
{
	if (sethostname(hostname, strlen(hostname)) < 0)
		return -errno;
	return 0;
}
