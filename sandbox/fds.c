/* SPDX-License-Identifier: MIT */
#include "fds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

int sbx_fds_close_except(const int *keep, size_t n_keep)
{
	int sorted[SBX_FDS_MAX];
	size_t n = 0;

	if (n_keep > SBX_FDS_MAX)
		return -EINVAL;
	/* Insertion sort, no allocation: a few hundred comparisons at most. */
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i] < 0)
			return -EINVAL;
		size_t j = n++;
		while (j > 0 && sorted[j - 1] > keep[i]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = keep[i];
	}
	/* Close the gaps between the kept fds, from 3 up; stdio and duplicates fall out of it. */
	unsigned int from = 3;
	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)sorted[i] : UINT_MAX;
		if (to > from && close_range(from, to - 1, 0) < 0)
			return -errno;
		if (i < n && (unsigned int)sorted[i] + 1 > from)
			from = (unsigned int)sorted[i] + 1;
	}
	return 0;
}

int sbx_fds_move(const int *from, const int *to, size_t n, int scratch)
{
	int tmp[SBX_FDS_MAX];
	if (n > SBX_FDS_MAX)
		return -EINVAL;
	/* A target among the temporaries would be overwritten by the next dup: refuse it. */
	for (size_t i = 0; i < n; i++)
		if (to[i] < 0 || to[i] >= scratch)
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		tmp[i] = fcntl(from[i], F_DUPFD_CLOEXEC, scratch);
		if (tmp[i] < 0)
			return -errno;
	}
	for (size_t i = 0; i < n; i++) {
		if (dup3(tmp[i], to[i], O_CLOEXEC) < 0)
			return -errno;
		close(tmp[i]);
	}
	return 0;
}
