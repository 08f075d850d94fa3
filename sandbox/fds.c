/* SPDX-License-Identifier: MIT */
#include "fds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

int sbx_fds_close_except(size_t n_low, const int *keep_high, size_t n_high)
{
	int sorted[4];
	size_t n = 0;

	if (n_high > 4)
		return -EINVAL;
	for (size_t i = 0; i < n_high; i++) {
		if (keep_high[i] < 3 + (int)n_low)
			return -EINVAL;
		size_t j = n++;
		while (j > 0 && sorted[j - 1] > keep_high[i]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = keep_high[i];
	}
	unsigned int from = 3 + (unsigned int)n_low;
	for (size_t i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)sorted[i] : UINT_MAX;
		if (to > from && close_range(from, to - 1, 0) < 0)
			return -errno;
		if (i < n)
			from = (unsigned int)sorted[i] + 1;
	}
	return 0;
}

int sbx_fds_move(const int *from, const int *to, size_t n, int scratch)
{
	int tmp[160];
	if (n > 160)
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
