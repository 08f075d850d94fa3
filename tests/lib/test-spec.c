/* SPDX-License-Identifier: MIT */
/* The one syntax for resources and limits (common/spec.c, common/resource.c): access letters,
 * names, sizes, durations and the command line's resource specs, every form and every error.
 * The command line and the policy parser both go through these. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/spec.h"
#include "tests/tap.h"

#define R SBX_ACCESS_READ
#define W SBX_ACCESS_WRITE
#define C SBX_ACCESS_CREATE
#define T SBX_ACCESS_TRUNC

static void access_is(const char *s, int want_r, unsigned want, const char *want_text)
{
	struct sbx_spec_error e = { "" };
	unsigned a = 0xdead;
	int r = sbx_spec_access(s, &a, &e);
	bool ok = r == want_r && (r < 0 ? a == 0xdead && strstr(e.text, want_text) : a == want);
	tap_ok(ok, "access \"%s\" = %d, %#x%s%s", s, r, a, r < 0 ? ": " : "", r < 0 ? e.text : "");
}

static void name_is(const char *s, int want_r, const char *want_text)
{
	struct sbx_spec_error e = { "" };
	int r = sbx_spec_name(s, &e);
	bool ok = r == want_r && (r == 0 || strstr(e.text, want_text)) && sbx_resource_name_valid(s) == (r == 0);
	tap_ok(ok, "name \"%.70s\" = %d%s%s", s, r, r < 0 ? ": " : "", r < 0 ? e.text : "");
}

static void size_is(const char *s, int want_r, uint64_t want, const char *want_text)
{
	struct sbx_spec_error e = { "" };
	uint64_t v = 7;
	int r = sbx_spec_size(s, &v, &e);
	bool ok = r == want_r && (r < 0 ? v == 7 && strstr(e.text, want_text) : v == want);
	tap_ok(ok, "size \"%s\" = %d, %llu%s%s", s, r, (unsigned long long)v, r < 0 ? ": " : "", r < 0 ? e.text : "");
}

static void duration_is(const char *s, int want_r, uint64_t want_ms, const char *want_text)
{
	struct sbx_spec_error e = { "" };
	uint64_t v = 7;
	int r = sbx_spec_duration_ms(s, &v, &e);
	bool ok = r == want_r && (r < 0 ? v == 7 && strstr(e.text, want_text) : v == want_ms);
	tap_ok(ok, "duration \"%s\" = %d, %llu ms%s%s", s, r, (unsigned long long)v, r < 0 ? ": " : "",
	       r < 0 ? e.text : "");
}

/* A spec that parses: kind, name, target, access, pattern, promisc, fd as expected. */
static void spec_ok(enum sbx_resource_kind kind, const char *spec, const char *name, const char *target,
		    unsigned flags, const char *pattern, bool promisc, int fd)
{
	char arg[256];
	struct sbx_resource res;
	struct sbx_spec_error e = { "" };
	snprintf(arg, sizeof(arg), "%s", spec);
	int r = sbx_spec_resource(kind, arg, &res, &e);
	bool ok = r == 0 && res.kind == kind && strcmp(res.name, name) == 0 &&
		  (target ? res.target && strcmp(res.target, target) == 0 : !res.target) && res.flags == flags &&
		  (pattern ? res.pattern && strcmp(res.pattern, pattern) == 0 : !res.pattern) &&
		  res.promisc == promisc && res.fd == fd && !res.filter && res.max_opens == 0 &&
		  res.tx == (kind == SBX_RES_CAPTURE && strstr(spec, ":tx") != NULL);
	tap_ok(ok, "--%s %s: name %s, target %s, access %#x, pattern %s, fd %d%s%s", sbx_resource_kind_name(kind), spec,
	       r == 0 ? res.name : "-", r == 0 && res.target ? res.target : "-", r == 0 ? res.flags : 0,
	       r == 0 && res.pattern ? res.pattern : "-", r == 0 ? res.fd : -2, r < 0 ? ": " : "", e.text);
}

/* A spec that does not parse: the error names what was wrong, and the argument is unchanged
 * (the command line prints it whole). */
static void spec_bad(enum sbx_resource_kind kind, const char *spec, const char *want_text)
{
	char arg[256];
	struct sbx_resource res = { .name = "untouched" };
	struct sbx_spec_error e = { "" };
	snprintf(arg, sizeof(arg), "%s", spec);
	int r = sbx_spec_resource(kind, arg, &res, &e);
	tap_ok(r == -EINVAL && strstr(e.text, want_text) && strcmp(arg, spec) == 0 && strcmp(res.name, "untouched") == 0,
	       "--%s %s: refused: %s", sbx_resource_kind_name(kind), spec, e.text);
}

static void test_access(void)
{
	access_is("r", 0, R, NULL);
	access_is("w", 0, W, NULL);
	access_is("rw", 0, R | W, NULL);
	access_is("c", 0, C | W, NULL); /* creating is writing */
	access_is("t", 0, T | W, NULL);
	access_is("rwct", 0, R | W | C | T, NULL);
	access_is("rr", 0, R, NULL);
	access_is("", -EINVAL, 0, "empty access mode");
	access_is("x", -EINVAL, 0, "bad access mode 'x': 'x' is not one of r, w, c, t");
	access_is("rx", -EINVAL, 0, "'x' is not one of r, w, c, t");
	access_is("R", -EINVAL, 0, "'R' is not one of");
	access_is("r w", -EINVAL, 0, "' ' is not one of");
	tap_ok(sbx_spec_access("q", &(unsigned){ 0 }, NULL) == -EINVAL, "access: error without a message buffer");
}

static void test_names(void)
{
	char long_name[80];
	memset(long_name, 'a', sizeof(long_name));
	long_name[63] = '\0';
	name_is("IN", 0, NULL);
	name_is("a_b9", 0, NULL);
	name_is("_x", 0, NULL);
	name_is("BROKER2", 0, NULL);
	name_is(long_name, 0, NULL); /* 63 characters */
	long_name[63] = 'a';
	long_name[64] = '\0';
	name_is(long_name, -EINVAL, "longer than 63 characters");
	name_is("", -EINVAL, "empty resource name");
	name_is("9a", -EINVAL, "bad resource name '9a': it starts with a digit");
	name_is("a-b", -EINVAL, "bad resource name 'a-b': '-' is not a letter, digit or '_'");
	name_is("a b", -EINVAL, "' ' is not a letter");
	name_is("BROKER", -EINVAL, "reserved for the request channel");
	tap_ok(!sbx_resource_name_valid(NULL), "name: NULL is not valid");
}

static void test_sizes(void)
{
	size_is("64M", 0, 64ull << 20, NULL);
	size_is("512K", 0, 512ull << 10, NULL);
	size_is("1G", 0, 1ull << 30, NULL);
	size_is("4096", 0, 4096, NULL);
	size_is("lots", -EINVAL, 0, "bad size 'lots' (e.g. 512K, 64M, 1G)");
	size_is("", -EINVAL, 0, "bad size ''");
	size_is("1X", -EINVAL, 0, "bad size '1X'");
	size_is("99999999999999999999G", -ERANGE, 0, "size '99999999999999999999G' is too large");
	size_is("17179869184G", -ERANGE, 0, "is too large");
}

static void test_durations(void)
{
	/* Plain seconds, with a fraction, as --time-limit always took them. */
	duration_is("1", 0, 1000, NULL);
	duration_is("10", 0, 10000, NULL);
	duration_is("1.5", 0, 1500, NULL);
	duration_is("0.5", 0, 500, NULL);
	duration_is("0.0015", 0, 2, NULL);        /* rounded to the nearest ms */
	duration_is("0.0001", 0, 1, NULL);        /* a limit was asked for: at least 1 ms */
	duration_is("1.123456789999", 0, 1123, NULL);
	/* Units, as `limit time` always took them, and fractions with them. */
	duration_is("10s", 0, 10000, NULL);
	duration_is("1.5s", 0, 1500, NULL);
	duration_is("500ms", 0, 500, NULL);
	duration_is("1500ms", 0, 1500, NULL);
	duration_is("1.5ms", 0, 2, NULL);
	duration_is("2m", 0, 120000, NULL);
	duration_is("2min", 0, 120000, NULL);
	duration_is("0.5m", 0, 30000, NULL);
	duration_is("1h", 0, 3600000, NULL);
	/* As --time-limit always read them (strtod): digits on one side of the point suffice. */
	duration_is(".5", 0, 500, NULL);
	duration_is("1.", 0, 1000, NULL);
	duration_is("1.s", 0, 1000, NULL);
	duration_is("1.5h", 0, 5400000, NULL);
	duration_is("1000000000", 0, SBX_DURATION_MAX_MS, NULL);
	duration_is("16666666m", 0, 16666666ull * 60000, NULL);
	/* Errors. */
	duration_is("", -EINVAL, 0, "bad duration '': expected seconds (1.5) or a number with a unit");
	duration_is("soon", -EINVAL, 0, "bad duration 'soon'");
	duration_is("-1", -EINVAL, 0, "bad duration '-1'");
	duration_is("+1", -EINVAL, 0, "bad duration '+1'");
	duration_is(" 1", -EINVAL, 0, "bad duration ' 1'");
	duration_is(".", -EINVAL, 0, "expected digits after '.'");
	duration_is(".s", -EINVAL, 0, "expected digits after '.'");
	duration_is("0", -EINVAL, 0, "bad duration '0': it must be above zero");
	duration_is("0.000", -EINVAL, 0, "must be above zero");
	duration_is("0ms", -EINVAL, 0, "must be above zero");
	duration_is("10x", -EINVAL, 0, "bad duration '10x': unknown unit 'x' (ms, s, m, min, h)");
	duration_is("10 s", -EINVAL, 0, "unknown unit ' s'");
	duration_is("10S", -EINVAL, 0, "unknown unit 'S'");
	duration_is("1.5.2", -EINVAL, 0, "unknown unit '.2'");
	duration_is("1e3", -EINVAL, 0, "unknown unit 'e3'");
	duration_is("1000000001", -ERANGE, 0, "duration '1000000001' is too long (at most 1000000000 s)");
	duration_is("1000000000.001", -ERANGE, 0, "is too long");
	duration_is("16666667m", -ERANGE, 0, "is too long");
	duration_is("99999999999999999999", -ERANGE, 0, "is too long");
	duration_is("99999999999999999h", -ERANGE, 0, "is too long");
}

static void test_specs(void)
{
	spec_ok(SBX_RES_FILE, "IN=/etc/passwd", "IN", "/etc/passwd", R, NULL, false, -1);
	spec_ok(SBX_RES_FILE, "OUT=/tmp/o:wc", "OUT", "/tmp/o", W | C, NULL, false, -1);
	spec_ok(SBX_RES_FILE, "LOG=/var/log/x:t", "LOG", "/var/log/x", W | T, NULL, false, -1);
	spec_ok(SBX_RES_DIR, "D=/srv", "D", "/srv", R, NULL, false, -1);
	spec_ok(SBX_RES_DIR, "D=/srv:rw", "D", "/srv", R | W, NULL, false, -1);
	spec_ok(SBX_RES_DIR, "D=/srv:rwc:*.txt", "D", "/srv", R | W | C, "*.txt", false, -1);
	spec_ok(SBX_RES_DIR, "D=/srv:r:a:b", "D", "/srv", R, "a:b", false, -1); /* the pattern is the rest */
	spec_ok(SBX_RES_CAPTURE, "CAP=eth0", "CAP", "eth0", 0, NULL, false, -1);
	spec_ok(SBX_RES_CAPTURE, "CAP=any:promisc", "CAP", "any", 0, NULL, true, -1);
	spec_ok(SBX_RES_CAPTURE, "CAP=eth0:promisc:tx", "CAP", "eth0", 0, NULL, true, -1);
	spec_ok(SBX_RES_CAPTURE, "CAP=eth0:tx:promisc", "CAP", "eth0", 0, NULL, true, -1);
	spec_ok(SBX_RES_CAPTURE, "CAP=eth0:tx", "CAP", "eth0", 0, NULL, false, -1);
	spec_ok(SBX_RES_CONNECT, "S=tcp:127.0.0.1:80", "S", "tcp:127.0.0.1:80", 0, NULL, false, -1);
	spec_ok(SBX_RES_LISTEN, "L=unix:/run/x.sock", "L", "unix:/run/x.sock", 0, NULL, false, -1);
	spec_ok(SBX_RES_FD, "7", "FD_7", NULL, 0, NULL, false, 7);
	spec_ok(SBX_RES_FD, "LOG=9", "LOG", NULL, 0, NULL, false, 9);
	spec_ok(SBX_RES_FD, "ZERO=0", "ZERO", NULL, 0, NULL, false, 0);

	spec_bad(SBX_RES_FILE, "/etc/passwd", "expected NAME=PATH[:MODE]");
	spec_bad(SBX_RES_DIR, "/srv", "expected NAME=PATH[:MODE[:PATTERN]]");
	spec_bad(SBX_RES_CAPTURE, "eth0", "expected NAME=IFACE[:promisc]");
	spec_bad(SBX_RES_CONNECT, "tcp:h:1", "expected NAME=ADDRESS");
	spec_bad(SBX_RES_FILE, "=/etc/passwd", "empty resource name");
	spec_bad(SBX_RES_FILE, "9IN=/etc/passwd", "bad resource name '9IN': it starts with a digit");
	spec_bad(SBX_RES_FILE, "A-B=/etc/passwd", "bad resource name 'A-B': '-' is not a letter, digit or '_'");
	spec_bad(SBX_RES_FILE, "BROKER=/etc/passwd", "reserved for the request channel");
	spec_bad(SBX_RES_FILE, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=/x", "longer than 63 characters");
	spec_bad(SBX_RES_FILE, "IN=", "empty value after 'IN=' (expected NAME=PATH[:MODE])");
	spec_bad(SBX_RES_FILE, "IN=etc/passwd", "path 'etc/passwd' is not absolute");
	spec_bad(SBX_RES_FILE, "IN=etc/passwd:w", "path 'etc/passwd' is not absolute");
	spec_bad(SBX_RES_FILE, "IN=/etc/passwd:rx", "bad access mode 'rx': 'x' is not one of r, w, c, t");
	spec_bad(SBX_RES_FILE, "IN=/etc/passwd:", "empty access mode");
	spec_bad(SBX_RES_FILE, "IN=/etc/passwd:r:*.txt", "bad access mode 'r:*.txt'"); /* files have no pattern */
	spec_bad(SBX_RES_DIR, "D=/srv::*.txt", "empty access mode");
	spec_bad(SBX_RES_DIR, "D=/srv:q:*.txt", "bad access mode 'q': 'q' is not one of r, w, c, t");
	spec_bad(SBX_RES_DIR, "D=srv", "path 'srv' is not absolute");
	spec_bad(SBX_RES_CAPTURE, "CAP=eth0:promiscuous", "unknown capture option 'promiscuous'");
	spec_bad(SBX_RES_CAPTURE, "CAP=eth0:tx:tx", "capture option 'tx' given twice");
	spec_bad(SBX_RES_CAPTURE, "CAP=eth0:promisc:", "unknown capture option ''");
	spec_bad(SBX_RES_CAPTURE, "CAP=eth0:tx:rx", "unknown capture option 'rx'");
	spec_bad(SBX_RES_CAPTURE, "eth0", "expected NAME=IFACE[:promisc][:tx]");
	spec_bad(SBX_RES_CAPTURE, "CAP=", "empty value after 'CAP='");
	spec_bad(SBX_RES_LISTEN, "L=", "empty value after 'L=' (expected NAME=ADDRESS)");
	spec_bad(SBX_RES_FD, "2", "bad fd '2': expected a number of 3 or more");
	spec_bad(SBX_RES_FD, "x", "bad fd 'x'");
	spec_bad(SBX_RES_FD, "99999999999", "bad fd '99999999999'");
	spec_bad(SBX_RES_FD, "LOG=x", "bad fd 'x': expected a number");
	spec_bad(SBX_RES_FD, "LOG=-1", "bad fd '-1'");
	spec_bad(SBX_RES_FD, "9LOG=3", "it starts with a digit");
	spec_bad(SBX_RES_FD, "LOG=", "empty value after 'LOG=' (expected [NAME=]N)");
}

static void test_model(void)
{
	for (int k = SBX_RES_FILE; k <= SBX_RES_FD; k++)
		tap_ok(sbx_resource_kind_from_name(sbx_resource_kind_name((enum sbx_resource_kind)k)) == k,
		       "kind %d is named '%s' and back", k, sbx_resource_kind_name((enum sbx_resource_kind)k));
	tap_ok(sbx_resource_kind_from_name("files") == -EINVAL && sbx_resource_kind_from_name("") == -EINVAL,
	       "unknown kind names are refused");
	struct sbx_resource r;
	sbx_resource_init(&r, SBX_RES_FILE);
	tap_ok(r.flags == R && r.fd == -1 && !r.target && !r.pattern && !r.filter, "a file is read-only by default");
	sbx_resource_init(&r, SBX_RES_CONNECT);
	tap_ok(r.flags == 0 && r.fd == -1, "a socket has no access bits");
	sbx_resource_init(&r, SBX_RES_FD);
	r.fd = dup(1);
	r.target = strdup("owned");
	int fd = r.fd;
	sbx_resource_clear(&r);
	tap_ok(fd >= 0 && fcntl(fd, F_GETFD) < 0 && errno == EBADF && r.fd == -1 && !r.target,
	       "clearing an fd resource closes the fd and frees its strings");
}

int main(void)
{
	test_access();
	test_names();
	test_sizes();
	test_durations();
	test_specs();
	test_model();
	return tap_done();
}
