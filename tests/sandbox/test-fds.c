/* SPDX-License-Identifier: MIT */
/* sbx_fds_move() and sbx_fds_close_except() (sandbox/fds.c), the last word on which host fds
 * reach the program and under which numbers. Each case runs in a forked child that starts from
 * an fd table holding only stdio: the cases renumber and close fds. Every fd a case sets up is a
 * memfd of its own, so an inode number says which file sits behind an fd. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/fds.h"
#include "tests/tap.h"

/* Every fd a case may have touched lies below this (and below RLIMIT_NOFILE's usual 1024). */
#define FD_SCAN_END 1024

/* Set when a check inside the child fails; the child's exit status carries it to the parent. */
static bool child_failed;

/* A failed check is a diagnostic line now and a failed test point when the child exits. */
#define check(ok, ...)                          \
	do {                                    \
		if (!(ok)) {                    \
			tap_diag(__VA_ARGS__);  \
			child_failed = true;    \
		}                               \
	} while (0)

/* A fresh file at fd number `at`, with or without close-on-exec; returns its inode. */
static ino_t place(int at, bool cloexec)
{
	int fd = memfd_create("sbx-test-fds", MFD_CLOEXEC);
	if (fd < 0 || (fd != at && dup3(fd, at, cloexec ? O_CLOEXEC : 0) < 0) ||
	    (fd == at && fcntl(at, F_SETFD, cloexec ? FD_CLOEXEC : 0) < 0)) {
		printf("# cannot set up fd %d: %m\n", at);
		fflush(stdout);
		_exit(2);
	}
	if (fd != at)
		close(fd);
	struct stat st;
	if (fstat(at, &st) < 0)
		_exit(2);
	return st.st_ino;
}

static ino_t ino_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) < 0 ? 0 : st.st_ino;
}

/* fd holds the file with inode ino; cloexec: 1 set, 0 clear, -1 either. */
static void holds(int fd, ino_t ino, int cloexec)
{
	int flags = fcntl(fd, F_GETFD);
	check(flags >= 0, "fd %d: closed, expected open", fd);
	if (flags < 0)
		return;
	check(ino_of(fd) == ino, "fd %d: inode %llu, expected %llu", fd, (unsigned long long)ino_of(fd),
	      (unsigned long long)ino);
	if (cloexec >= 0)
		check(!!(flags & FD_CLOEXEC) == cloexec, "fd %d: close-on-exec %s, expected %s", fd,
		      flags & FD_CLOEXEC ? "set" : "clear", cloexec ? "set" : "clear");
}

/* Exactly the fds in want[] are open among [0, FD_SCAN_END). */
static void open_set_is(const int *want, size_t n)
{
	for (int fd = 0; fd < FD_SCAN_END; fd++) {
		bool wanted = false;
		for (size_t i = 0; i < n; i++)
			wanted |= want[i] == fd;
		bool open = fcntl(fd, F_GETFD) >= 0;
		check(open == wanted, "fd %d: %s, expected %s", fd, open ? "open" : "closed", wanted ? "open" : "closed");
	}
}

static void returns(int r, int want, const char *what)
{
	check(r == want, "%s returned %d, expected %d", what, r, want);
}

/* Run one case in a child that starts with only stdio open. */
static bool child_passes(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close_range(3, ~0U, 0);
		fn();
		fflush(stdout);
		_exit(child_failed ? 1 : 0);
	}
	int status = 0;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void run(const char *name, void (*fn)(void))
{
	tap_ok(child_passes(fn), "%s", name);
}

/* ---- sbx_fds_move ---- */

/* One move with scratch 20. Files are numbered by their place in before[]; after[] lists every
 * fd above stdio that must be open afterwards (and no other is): which file, and close-on-exec. */
struct fd_state {
	int fd; /* 0 ends a list */
	int file;
	bool cloexec;
};

static const struct move_case {
	const char *name;
	struct fd_state before[4]; /* .file unused */
	int from[4], to[4];
	size_t n;
	struct fd_state after[8];
} move_cases[] = {
	{ "one fd down, the original left open, the target close-on-exec",
	  { { 10, 0, false } }, { 10 }, { 3 }, 1,
	  { { 3, 0, true }, { 10, 0, false } } },
	{ "a swap (3->4, 4->3)",
	  { { 3, 0, false }, { 4, 0, false } }, { 3, 4 }, { 4, 3 }, 2,
	  { { 3, 1, true }, { 4, 0, true } } },
	{ "a three-cycle (3->4->5->3)",
	  { { 3, 0, true }, { 4, 0, false }, { 5, 0, true } }, { 3, 4, 5 }, { 4, 5, 3 }, 3,
	  { { 3, 2, true }, { 4, 0, true }, { 5, 1, true } } },
	/* Moved one by one in order, every file would end up as the first one. */
	{ "a run shifted up (3->4, 4->5, 5->6)",
	  { { 3, 0, false }, { 4, 0, false }, { 5, 0, false } }, { 3, 4, 5 }, { 4, 5, 6 }, 3,
	  { { 3, 0, false }, { 4, 0, true }, { 5, 1, true }, { 6, 2, true } } },
	{ "a run shifted down (4->3, 5->4, 6->5)",
	  { { 4, 0, false }, { 5, 0, false }, { 6, 0, false } }, { 4, 5, 6 }, { 3, 4, 5 }, 3,
	  { { 3, 0, true }, { 4, 1, true }, { 5, 2, true }, { 6, 2, false } } },
	{ "a source equal to its target stays and gets close-on-exec",
	  { { 5, 0, false }, { 7, 0, false } }, { 5, 7 }, { 5, 3 }, 2,
	  { { 3, 1, true }, { 5, 0, true }, { 7, 1, false } } },
	{ "one source to two targets",
	  { { 9, 0, false } }, { 9, 9 }, { 3, 4 }, 2,
	  { { 3, 0, true }, { 4, 0, true }, { 9, 0, false } } },
	/* As launch.c does with the launch channel and the program; no temporary survives. */
	{ "sources at and above the floor (20), targets below it",
	  { { 20, 0, false }, { 25, 0, true }, { 300, 0, false } }, { 20, 25, 300 }, { 19, 3, 18 }, 3,
	  { { 3, 1, true }, { 18, 2, true }, { 19, 0, true }, { 20, 0, false }, { 25, 1, true }, { 300, 2, false } } },
};

static const struct move_case *current;

static void move_case(void)
{
	ino_t ino[4];
	for (size_t i = 0; i < 4 && current->before[i].fd; i++)
		ino[i] = place(current->before[i].fd, current->before[i].cloexec);
	returns(sbx_fds_move(current->from, current->to, current->n, 20), 0, "move");
	int open[11] = { 0, 1, 2 };
	size_t n_open = 3;
	for (const struct fd_state *a = current->after; a->fd; a++) {
		holds(a->fd, ino[a->file], a->cloexec);
		open[n_open++] = a->fd;
	}
	open_set_is(open, n_open);
}

/* The shape of launch.c's fix_fds(): 128 resources to 3..130, the channel and the program to
 * 200 and 201, temporaries from 202, from sources that overlap all of those. */
static void move_launch_shape(void)
{
	int from[130], to[130];
	ino_t ino[130];
	for (int i = 0; i < 130; i++) {
		/* Sources reversed over 3..132: most of them are another entry's target. */
		from[i] = 132 - i;
		ino[i] = place(from[i], false);
	}
	to[0] = 200;
	to[1] = 201;
	for (int i = 2; i < 130; i++)
		to[i] = 3 + (i - 2);
	returns(sbx_fds_move(from, to, 130, 202), 0, "move");
	for (int i = 0; i < 130; i++)
		holds(to[i], ino[i], 1);
	for (int fd = 202; fd < FD_SCAN_END; fd++)
		check(fcntl(fd, F_GETFD) < 0, "temporary fd %d left open", fd);
}

static void move_bad_source(void)
{
	ino_t a = place(5, false);
	place(8, false);
	int from[] = { 8, 11 }, to[] = { 5, 6 };
	returns(sbx_fds_move(from, to, 2, 20), -EBADF, "move from a closed fd");
	/* Every source is duplicated before any target is replaced. */
	holds(5, a, 0);
	check(fcntl(6, F_GETFD) < 0, "fd 6 opened by a failed move");
}

static void move_counts(void)
{
	int from[161] = { 0 }, to[161] = { 0 };
	returns(sbx_fds_move(from, to, 0, 20), 0, "move of nothing");
	returns(sbx_fds_move(from, to, 161, 20), -EINVAL, "move of 161 fds");
	open_set_is((int[]){ 0, 1, 2 }, 3);
}

/* Targets at or above the floor would collide with the temporaries (21 gets A, then its
 * temporary holding B is overwritten): refused before anything moves. */
static void move_target_above_floor(void)
{
	ino_t a = place(10, false), b = place(11, false);
	int from[] = { 10, 11 }, to[] = { 21, 20 };
	returns(sbx_fds_move(from, to, 2, 20), -EINVAL, "move to targets at and above the floor");
	returns(sbx_fds_move(from, (int[]){ 5, -1 }, 2, 20), -EINVAL, "move to a negative target");
	open_set_is((int[]){ 0, 1, 2, 10, 11 }, 5);
	holds(10, a, 0);
	holds(11, b, 0);
}

/* ---- sbx_fds_close_except ---- */

/* fds 3..12, 500 and 1000 open; keep 3, 4, 10 and 7 (given unsorted), 1000. */
static void close_keeps_listed(void)
{
	ino_t ino[13];
	for (int fd = 3; fd <= 12; fd++)
		ino[fd] = place(fd, fd % 2 == 0);
	place(500, false);
	ino_t top = place(1000, false);
	returns(sbx_fds_close_except((int[]){ 4, 10, 3, 7, 1000 }, 5), 0, "close_except");
	open_set_is((int[]){ 0, 1, 2, 3, 4, 7, 10, 1000 }, 8);
	holds(1000, top, 0);
	check(fcntl(500, F_GETFD) < 0, "fd 500 left open");
	/* Close-on-exec is not close_except's business: kept fds keep their flag. */
	holds(3, ino[3], 0);
	holds(4, ino[4], 1);
	holds(7, ino[7], 0);
	holds(10, ino[10], 1);
}

static void close_everything(void)
{
	for (int fd = 3; fd <= 40; fd++)
		place(fd, false);
	place(999, true);
	returns(sbx_fds_close_except(NULL, 0), 0, "close_except");
	open_set_is((int[]){ 0, 1, 2 }, 3);
}

/* Kept fds adjacent to each other and to stdio, one listed twice: no gap to close. */
static void close_adjacent_and_duplicates(void)
{
	for (int fd = 3; fd <= 9; fd++)
		place(fd, false);
	returns(sbx_fds_close_except((int[]){ 5, 3, 4, 5, 6 }, 5), 0, "close_except");
	open_set_is((int[]){ 0, 1, 2, 3, 4, 5, 6 }, 7);
}

/* A negative fd, or more fds than it can sort: refused before closing anything. */
static void close_refuses(void)
{
	for (int fd = 3; fd <= 8; fd++)
		place(fd, false);
	returns(sbx_fds_close_except((int[]){ 7, -1 }, 2), -EINVAL, "close_except keeping fd -1");
	static int many[SBX_FDS_MAX + 1];
	returns(sbx_fds_close_except(many, SBX_FDS_MAX + 1), -EINVAL, "close_except keeping SBX_FDS_MAX + 1 fds");
	open_set_is((int[]){ 0, 1, 2, 3, 4, 5, 6, 7, 8 }, 9);
}

/* How launch.c uses the pair: move, then drop the originals. */
static void move_then_close(void)
{
	ino_t chan = place(3, false), prog = place(4, false), res0 = place(6, false), res1 = place(5, false);
	int from[] = { 3, 4, 6, 5 }, to[] = { 200, 201, 3, 4 };
	returns(sbx_fds_move(from, to, 4, 202), 0, "move");
	returns(sbx_fds_close_except((int[]){ 3, 4, 200, 201 }, 4), 0, "close_except");
	open_set_is((int[]){ 0, 1, 2, 3, 4, 200, 201 }, 7);
	holds(3, res0, 1);
	holds(4, res1, 1);
	holds(200, chan, 1);
	holds(201, prog, 1);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(move_cases) / sizeof(move_cases[0]); i++) {
		current = &move_cases[i];
		tap_ok(child_passes(move_case), "move: %s", current->name);
	}
	run("move: 130 fds the way launch.c moves them, no temporary left", move_launch_shape);
	run("move: a closed source fails with -EBADF before any target changes", move_bad_source);
	run("move: 0 fds is a no-op, 161 are refused", move_counts);
	run("move: targets at or above the floor, or negative, are refused", move_target_above_floor);
	run("close_except: keeps exactly stdio, the low range and the listed fds", close_keeps_listed);
	run("close_except: nothing listed closes every fd above stdio", close_everything);
	run("close_except: adjacent and repeated kept fds", close_adjacent_and_duplicates);
	run("close_except: an fd in the low range or five fds refused, nothing closed", close_refuses);
	run("move then close_except, as launch.c does", move_then_close);
	return tap_done();
}
