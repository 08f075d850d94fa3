/* SPDX-License-Identifier: MIT */
#include "fds.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

int sbx_fds_close_except(const int *keep, size_t n_keep)
{
	int sorted[8];
	size_t n = 0;

	if (n_keep > 8)
		return -EINVAL;
	/* insertion sort, dropping stdio and negatives */
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i] < 3)
			continue;
		size_t j = n++;
		while (j > 0 && sorted[j - 1] > keep[i]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = keep[i];
	}
	unsigned int from = 3;
	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)sorted[i] : UINT_MAX;
		if (to > from && close_range(from, to - 1, 0) < 0)
			return -errno;
		if (i < n)
			from = (unsigned int)sorted[i] + 1;
	}
	return 0;
}
