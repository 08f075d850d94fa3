/* SPDX-License-Identifier: MIT */
/* open-probe: an unmodified program's own opens, and what a hostile one tries with a path below
 * a directory grant (tests/test-brokered-open.py). libc only.
 *
 *   open-probe read PATH             open(PATH, O_RDONLY), print the first line
 *   open-probe readat DIR REL        chdir(DIR), openat(AT_FDCWD, REL, O_RDONLY), print it
 *   open-probe ownat DIR REL TEXT    mkdir -p DIR, write DIR/REL with TEXT, chdir(DIR), then
 *                                    openat(AT_FDCWD, REL, O_RDONLY), print it
 *   open-probe write PATH TEXT       open(PATH, O_WRONLY|O_CREAT|O_TRUNC, 0644), write TEXT
 *   open-probe count PATH N          open PATH N times, keeping every fd
 *   open-probe cloexec PATH          open with and without O_CLOEXEC, print FD_CLOEXEC of each
 *   open-probe race GOOD BAD SECONDS another thread rewrites the path buffer between GOOD and
 *                                    BAD while this one opens it over and over
 * Prints "NAME: ok ..." or "NAME: failed: ERROR"; exit 0 when it worked, 1 when not. For race:
 * "race: ok good G bad B" where B counts the opens that read BAD's content (exit 0 when B > 0,
 * the trick worked). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failed(const char *what)
{
	printf("%s: failed: %s\n", what, strerror(errno));
	return 1;
}

static int first_line(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int print_file(const char *what, int fd)
{
	char buf[256];
	if (fd < 0 || first_line(fd, buf, sizeof(buf)) < 0)
		return failed(what);
	printf("%s: ok fd %d: %s\n", what, fd, buf);
	return 0;
}

static int count(const char *path, int n)
{
	int i = 0;
	for (; i < n; i++)
		if (open(path, O_RDONLY) < 0)
			break;
	printf("count: %s %d of %d%s%s\n", i == n ? "ok" : "failed:", i, n, i == n ? "" : " ", i == n ? "" : strerror(errno));
	return i == n ? 0 : 1;
}

static int cloexec(const char *path)
{
	int a = open(path, O_RDONLY | O_CLOEXEC), b = open(path, O_RDONLY);
	if (a < 0 || b < 0)
		return failed("cloexec");
	printf("cloexec: ok with %d without %d\n", (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(b, F_GETFD) & FD_CLOEXEC) != 0);
	return 0;
}

/* ---- the racing thread ---- */

static char path_buf[4096];
static const char *good, *bad;
static atomic_bool stop;

static void *flipper(void *arg)
{
	(void)arg;
	size_t lg = strlen(good) + 1, lb = strlen(bad) + 1;
	while (!atomic_load(&stop)) {
		memcpy(path_buf, bad, lb);
		memcpy(path_buf, good, lg);
	}
	return NULL;
}

static int race(int seconds)
{
	/* BAD's content, to tell which file an open reached. */
	char want[256], got[256];
	int fd = open(bad, O_RDONLY);
	bool bad_readable = fd >= 0 && first_line(fd, want, sizeof(want)) == 0;
	if (fd >= 0)
		close(fd);
	memcpy(path_buf, good, strlen(good) + 1);
	pthread_t t;
	if (pthread_create(&t, NULL, flipper, NULL) != 0)
		return failed("pthread_create");
	unsigned n_good = 0, n_bad = 0;
	time_t end = time(NULL) + seconds;
	while (time(NULL) < end) {
		fd = open(path_buf, O_RDONLY);
		if (fd < 0)
			continue;
		if (first_line(fd, got, sizeof(got)) == 0) {
			if (bad_readable && strcmp(got, want) == 0)
				n_bad++;
			else
				n_good++;
		}
		close(fd);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	printf("race: ok good %u bad %u\n", n_good, n_bad);
	return n_bad ? 0 : 1;
}

static int ownat(char *dir, const char *rel, const char *text)
{
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				return failed("mkdir");
			*p = c;
			if (!c)
				break;
		}
	}
	if (chdir(dir) < 0)
		return failed("chdir");
	int fd = open(rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		return failed("ownat write");
	return print_file("ownat", openat(AT_FDCWD, rel, O_RDONLY));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return print_file("read", open(argv[2], O_RDONLY));
	if (argc == 4 && !strcmp(argv[1], "readat")) {
		if (chdir(argv[2]) < 0)
			return failed("chdir");
		return print_file("readat", openat(AT_FDCWD, argv[3], O_RDONLY));
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) != (ssize_t)strlen(argv[3]))
			return failed("write");
		printf("write: ok fd %d\n", fd);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "ownat"))
		return ownat(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "count"))
		return count(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "cloexec"))
		return cloexec(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "race")) {
		good = argv[2];
		bad = argv[3];
		if (strlen(good) >= sizeof(path_buf) || strlen(bad) >= sizeof(path_buf))
			return 2;
		return race(atoi(argv[4]));
	}
	fprintf(stderr, "usage: open-probe read|readat|write|count|cloexec|race ...\n");
	return 2;
}
