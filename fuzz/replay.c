/* SPDX-License-Identifier: MIT */
/* Standalone replay for a fuzz target, built with any compiler (shared by every target under
 * fuzz/): feeds every file of each argument (directories are read one level deep) to
 * LLVMFuzzerTestOneInput and prints TAP. A crash kills the run; the "# replaying" line before it
 * names the input. An empty corpus fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (2u << 20)

static unsigned n_test, n_failed;

static void replay_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > REPLAY_MAX_INPUT) {
		printf("not ok %u - %s: cannot read\n", ++n_test, path);
		n_failed++;
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	size_t got = 0;
	while (buf && got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != size) {
		printf("not ok %u - %s: short read\n", ++n_test, path);
		n_failed++;
		free(buf);
		return;
	}
	printf("# replaying %s\n", path);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	printf("ok %u - %s\n", ++n_test, path);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			printf("not ok %u - %s: %s\n", ++n_test, argv[i], strerror(errno));
			n_failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i]);
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d)
			continue;
		char **names = NULL;
		size_t n = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			char **nn = realloc(names, (n + 1) * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
			names[n] = strdup(path);
			if (names[n])
				n++;
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp);
		for (size_t k = 0; k < n; k++) {
			replay_file(names[k]);
			free(names[k]);
		}
		free(names);
	}
	if (n_test == 0) {
		/* An empty or missing corpus must not pass silently. */
		printf("not ok 1 - no input to replay\n");
		n_test = 1;
		n_failed++;
	}
	printf("1..%u\n", n_test);
	return n_failed ? 1 : 0;
}
