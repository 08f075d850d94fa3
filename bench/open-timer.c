/* SPDX-License-Identifier: MIT */
/* open-timer PATH N ROUNDS: time open(PATH, O_RDONLY|O_CLOEXEC) + close, N per round, and print
 * the median of the rounds' per-open time in nanoseconds (bench/openat.sh runs it inside and
 * outside sbx). libc only, so that it runs in the sandbox as it is. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int n = atoi(argv[2]), rounds = atoi(argv[3]);
	if (n <= 0 || rounds <= 0 || rounds > 1000)
		return 2;
	double ns[1000];
	for (int r = 0; r < rounds; r++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < n; i++) {
			int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				perror(argv[1]);
				return 1;
			}
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
	}
	qsort(ns, (size_t)rounds, sizeof(ns[0]), cmp);
	printf("%.0f\n", ns[rounds / 2]);
	return 0;
}
