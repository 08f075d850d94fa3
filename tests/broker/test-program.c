/* SPDX-License-Identifier: MIT */
/* sbx_program_open() (broker/program.c): finding the program like a shell would, on a tree this
 * test builds in a temporary directory and removes:
 *
 *   a/prog       0755 "#!/bin/sh"      a/noexec   0644        a/sub/       a directory
 *   a/xonly      0111 "#!/bin/sh"      a/plain    0644        a/empty      0755, no bytes
 *   a/hash       0755 "# !"
 *   b/prog       0755 ELF magic        b/noexec   0755        b/link -> ../a/prog
 *   b/sub        0755 "#!"             c/here     0755 (found only through the current dir)
 *
 * Status 127 for a missing program, 126 for one that is not executable, as sh and sbx(1). TAP. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/program.h"
#include "tests/tap.h"

/* Short, so that no path built from them can be cut. */
static char top[64], dir_a[128], dir_b[128], dir_c[128];

static void die(const char *what)
{
	printf("Bail out! %s: %m\n", what);
	exit(1);
}

static void make_file(const char *dir, const char *name, mode_t mode, const char *content)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content) || fchmod(fd, mode) < 0 ||
	    close(fd) < 0)
		die(path);
}

static void make_dir(char out[static 128], const char *name)
{
	snprintf(out, 128, "%s/%s", top, name);
	if (mkdir(out, 0755) < 0)
		die(out);
}

static void build_tree(void)
{
	strcpy(top, "/tmp/sbx-test-program.XXXXXX");
	/* 0755: the execute-only case runs as another user and must reach its file. */
	if (!mkdtemp(top) || chmod(top, 0755) < 0)
		die("mkdtemp");
	make_dir(dir_a, "a");
	make_dir(dir_b, "b");
	make_dir(dir_c, "c");
	char sub[128];
	make_dir(sub, "a/sub");
	make_file(dir_a, "prog", 0755, "#!/bin/sh\nexit 0\n");
	make_file(dir_a, "noexec", 0644, "#!/bin/sh\n");
	make_file(dir_a, "xonly", 0111, "#!/bin/sh\n");
	make_file(dir_a, "plain", 0644, "data\n");
	make_file(dir_a, "empty", 0755, "");
	make_file(dir_a, "hash", 0755, "# !/bin/sh\n");
	make_file(dir_b, "prog", 0755, "\177ELF");
	make_file(dir_b, "noexec", 0755, "\177ELF");
	make_file(dir_b, "sub", 0755, "#!");
	make_file(dir_c, "here", 0755, "#!/bin/sh\n");
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/link", dir_b);
	if (symlink("../a/prog", link) < 0)
		die(link);
}

static void remove_tree(void)
{
	static const char *const files[] = { "a/prog", "a/noexec", "a/xonly", "a/plain", "a/empty", "a/hash", "b/prog",
					     "b/noexec", "b/sub", "b/link", "c/here" };
	static const char *const dirs[] = { "a/sub", "a", "b", "c", "" };
	char path[PATH_MAX];
	bool ok = true;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		ok &= unlink(path) == 0;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		ok &= rmdir(path) == 0;
	}
	tap_ok(ok, "the temporary tree is removed");
}

static ino_t ino_of_path(const char *path)
{
	struct stat st;
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

/* Found: the fd is the file at `want_path` (an inode comparison), readable and close-on-exec
 * (or O_PATH), is_script as given, and ret.path the candidate as searched. */
static bool found(const char *name, const char *search, const char *want_path, bool want_script, bool want_opath)
{
	struct sbx_program p;
	struct sbx_error err = SBX_ERROR_INIT;
	memset(&p, 0xa5, sizeof(p));
	int r = sbx_program_open(name, search, &p, &err);
	if (r < 0) {
		tap_diag("%s in \"%s\": %d (%s)", name, search ? search : "(default)", r, err.message ? err.message : "");
		sbx_error_free(&err);
		return false;
	}
	struct stat st;
	int fdflags = fcntl(p.fd, F_GETFD), flflags = fcntl(p.fd, F_GETFL);
	bool ok = fstat(p.fd, &st) == 0 && st.st_ino == ino_of_path(want_path) && fdflags >= 0 &&
		  (fdflags & FD_CLOEXEC) && p.is_script == want_script && strcmp(p.path, want_path) == 0 &&
		  (want_opath ? (flflags & O_PATH) == O_PATH : (flflags & (O_PATH | O_ACCMODE)) == O_RDONLY);
	if (!ok)
		tap_diag("%s in \"%s\": path \"%s\" (expected \"%s\"), is_script %d, fd flags %#x, file flags %#x", name,
			 search ? search : "(default)", p.path, want_path, p.is_script, fdflags, flflags);
	close(p.fd);
	return ok;
}

/* Not found or refused: r and err.code are want_r, err.status want_status, ret->fd is -1, and
 * the message holds `phrase`. */
static bool refused(const char *name, const char *search, int want_r, int want_status, const char *phrase)
{
	struct sbx_program p;
	struct sbx_error err = SBX_ERROR_INIT;
	memset(&p, 0xa5, sizeof(p));
	int r = sbx_program_open(name, search, &p, &err);
	bool ok = r == want_r && err.code == want_r && err.status == want_status && p.fd == -1 && err.message &&
		  strstr(err.message, phrase);
	if (!ok)
		tap_diag("%s in \"%s\": %d, code %d, status %d, fd %d, \"%s\"; expected %d, %d, \"...%s...\"",
			 name ? name : "(null)", search ? search : "(default)", r, err.code, err.status, p.fd,
			 err.message ? err.message : "(no message)", want_r, want_status, phrase);
	if (r == 0)
		close(p.fd);
	sbx_error_free(&err);
	return ok;
}

static char *join(const char *a, const char *b)
{
	static char buf[4][PATH_MAX * 2];
	static unsigned next;
	char *s = buf[next++ % 4];
	snprintf(s, sizeof(buf[0]), "%s%s", a, b);
	return s;
}

static void test_search(void)
{
	char ab[PATH_MAX * 2 + 1], ba[PATH_MAX * 2 + 1];
	snprintf(ab, sizeof(ab), "%s:%s", dir_a, dir_b);
	snprintf(ba, sizeof(ba), "%s:%s", dir_b, dir_a);
	tap_ok(found("prog", ab, join(dir_a, "/prog"), true, false), "PATH a:b finds a/prog, a script");
	tap_ok(found("prog", ba, join(dir_b, "/prog"), false, false), "PATH b:a finds b/prog, not a script");
	tap_ok(found("noexec", ab, join(dir_b, "/noexec"), false, false),
	       "a non-executable a/noexec is passed over for b/noexec");
	tap_ok(found("sub", ab, join(dir_b, "/sub"), true, false), "a directory a/sub is passed over for b/sub");
	tap_ok(found("link", ab, join(dir_b, "/link"), true, false),
	       "a symlink opens its target, the path stays the one searched");
	tap_ok(found("empty", dir_a, join(dir_a, "/empty"), false, false), "an empty executable is no script");
	tap_ok(found("hash", dir_a, join(dir_a, "/hash"), false, false), "\"# !\" is no script");
	tap_ok(refused("plain", ab, -EACCES, 126, "found in PATH but not executable"),
	       "only a non-executable file in PATH: -EACCES, status 126");
	tap_ok(refused("sub", dir_a, -EACCES, 126, "found in PATH but not executable"),
	       "only a directory in PATH: -EACCES, status 126");
	tap_ok(refused("missing", ab, -ENOENT, 127, "missing: command not found"), "not in PATH: -ENOENT, status 127");
	tap_ok(refused("here", ab, -ENOENT, 127, "command not found"), "the current directory is not searched by default");
	tap_ok(refused("", ab, -ENOENT, 127, "no program given"), "an empty name: -ENOENT, status 127");
	tap_ok(refused(NULL, ab, -ENOENT, 127, "no program given"), "no name: -ENOENT, status 127");
	/* The error is optional. */
	struct sbx_program p;
	tap_ok(sbx_program_open("missing", ab, &p, NULL) == -ENOENT && p.fd == -1, "no struct sbx_error: -ENOENT");
}

/* Empty PATH elements mean the current directory, as in sh: leading, inside and trailing,
 * searched in their place in the order. */
static void test_empty_elements(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir_c) < 0)
		die("chdir");
	const char *paths[] = { join(":", dir_a), join(join(dir_a, "::"), dir_b), join(dir_a, ":") };
	const char *names[] = { "leading", "inside", "trailing" };
	for (size_t i = 0; i < 3; i++)
		tap_ok(found("here", paths[i], "./here", true, false), "an empty element %s PATH finds ./here", names[i]);
	tap_ok(found("prog", join(":", dir_a), join(dir_a, "/prog"), true, false),
	       "no ./prog in the current directory: the next element's a/prog");
	if (chdir(dir_a) < 0)
		die("chdir");
	tap_ok(found("prog", join(":", dir_b), "./prog", true, false), "\":b\" takes ./prog before b/prog");
	tap_ok(found("prog", join(dir_b, ":"), join(dir_b, "/prog"), false, false), "\"b:\" takes b/prog before ./prog");
	if (chdir(cwd) < 0)
		die("chdir back");
}

/* A name with a slash is opened as it stands, relative to the current directory. */
static void test_slash(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(top) < 0)
		die("chdir");
	tap_ok(found("c/here", dir_a, "c/here", true, false), "c/here opened relative to the current directory");
	tap_ok(found(join(dir_b, "/prog"), dir_a, join(dir_b, "/prog"), false, false), "an absolute name is opened as is");
	tap_ok(refused("./prog", join(dir_a, ":"), -ENOENT, 127, "./prog: no such file"),
	       "./prog is not searched in PATH: -ENOENT, status 127");
	tap_ok(refused("a/noexec", NULL, -EACCES, 126, "a/noexec: not executable"),
	       "a/noexec: -EACCES, status 126");
	tap_ok(refused("a/sub", NULL, -EACCES, 126, "a/sub: not executable"), "a directory by path: -EACCES, status 126");
	tap_ok(refused("a/prog/x", NULL, -ENOTDIR, 125, "a/prog/x: not executable"),
	       "a path through a file: -ENOTDIR, status 125");
	if (chdir(cwd) < 0)
		die("chdir back");
}

/* NULL or empty PATH: /usr/local/bin:/usr/bin:/bin, first match wins. */
static void test_default_path(void)
{
	static const char *const dirs[] = { "/usr/local/bin/sh", "/usr/bin/sh", "/bin/sh" };
	const char *want = NULL;
	for (size_t i = 0; i < 3 && !want; i++)
		if (access(dirs[i], X_OK) == 0)
			want = dirs[i];
	if (!want) {
		tap_skip("no sh in /usr/local/bin, /usr/bin or /bin");
		tap_skip("no sh in /usr/local/bin, /usr/bin or /bin");
		return;
	}
	tap_ok(found("sh", NULL, want, false, false), "no PATH searches /usr/local/bin:/usr/bin:/bin (%s)", want);
	/* Unlike sh and execvp(), which search the current directory for PATH="" (one empty
	 * element), an empty PATH means the default here. */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir_c) < 0)
		die("chdir");
	tap_ok(refused("here", "", -ENOENT, 127, "command not found"),
	       "an empty PATH is the default, not the current directory");
	if (chdir(cwd) < 0)
		die("chdir back");
}

/* An execute-only file (0111) cannot be opened for reading except by root: as another user it is
 * opened O_PATH, and cannot be known for a script. Run as uid 65534 in a child. */
static void test_execute_only(void)
{
	const char *xonly = join(dir_a, "/xonly");
	if (geteuid() != 0) {
		tap_ok(found("xonly", dir_a, xonly, false, true), "an execute-only file is opened O_PATH, no script");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setgroups(0, NULL) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(77);
		_exit(found("xonly", dir_a, xonly, false, true) ? 0 : 1);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		tap_ok(false, "an execute-only file: the child did not finish");
		return;
	}
	if (WEXITSTATUS(status) == 77) {
		tap_skip("cannot become uid 65534 for the execute-only case");
		return;
	}
	tap_ok(WEXITSTATUS(status) == 0, "an execute-only file is opened O_PATH as uid 65534, no script");
	tap_ok(found("xonly", dir_a, xonly, true, false), "root reads the execute-only file: O_RDONLY, a script");
}

/* What a #! script needs inside: its interpreter (env NAME looked up on a PATH), and the path
 * a shim ends by exec'ing. */
static void test_script_needs(void)
{
	static const struct {
		const char *text, *interp, *execs, *name;
	} cases[] = {
		{ "#!/bin/sh\necho hi\n", "/bin/sh", "", "#!/bin/sh: the interpreter, no exec" },
		{ "#! /usr/bin/perl -w\nprint 1;\n", "/usr/bin/perl", "", "a space after #!, an argument" },
		{ "#!/usr/bin/env sh\n", "/bin/sh", "", "env NAME: found on the given PATH" },
		{ "#!/usr/bin/env -S sh -e\n", "/bin/sh", "", "env -S NAME: options skipped" },
		{ "#!/usr/bin/env no-such-interp-sbx\n", "env no-such-interp-sbx", "", "env NAME not on the PATH" },
		{ "#!/usr/bin/env bash\nset -e\nexec \"/opt/pyenv/libexec/pyenv\" exec \"$program\" \"$@\"\n\n# end\n",
		  "/bin/bash", "/opt/pyenv/libexec/pyenv", "a pyenv shim: the exec'd path, quotes removed" },
		{ "#!/bin/sh\nexec /usr/bin/tool \"$@\"", "/bin/sh", "/usr/bin/tool", "the last line without a newline" },
		{ "#!/bin/sh\nexec /usr/bin/tool\necho after\n", "/bin/sh", "", "an exec that is not the last line" },
		{ "#!/bin/sh\nexec \"$HOME/tool\"\n", "/bin/sh", "", "an exec of a computed path" },
		{ "#!/bin/sh\nexec tool\n", "/bin/sh", "", "an exec of a relative name" },
		{ "# not a script\n", "", "", "no #!: nothing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char interp[256], execs[256];
		sbx_program_script_needs(cases[i].text, strlen(cases[i].text), "/nonexistent:/bin", interp, sizeof(interp),
					 execs, sizeof(execs));
		bool ok = strcmp(interp, cases[i].interp) == 0 && strcmp(execs, cases[i].execs) == 0;
		if (!ok)
			printf("# got \"%s\" \"%s\", want \"%s\" \"%s\"\n", interp, execs, cases[i].interp,
			       cases[i].execs);
		tap_ok(ok, "script needs: %s", cases[i].name);
	}
}

int main(void)
{
	build_tree();
	test_search();
	test_empty_elements();
	test_slash();
	test_default_path();
	test_execute_only();
	test_script_needs();
	remove_tree();
	return tap_done();
}
