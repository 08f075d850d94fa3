/* SPDX-License-Identifier: MIT */
/* The number parsers every limit on the command line and in policies goes through, and the line
 * reader of the files the broker parses (/etc/subuid, /proc/self/cgroup). TAP. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker/json.h"
#include "common/escape.h"
#include "common/util.h"
#include "tests/tap.h"

static void size_is(const char *s, int want_r, uint64_t want)
{
	uint64_t v = 0;
	int r = sbx_parse_size(s, &v);
	tap_ok(r == want_r && (r < 0 || v == want), "parse_size(\"%s\") = %d, %llu", s, r, (unsigned long long)v);
}

static void u64_is(const char *s, int want_r, uint64_t want)
{
	uint64_t v = 0;
	int r = sbx_parse_u64(s, &v);
	tap_ok(r == want_r && (r < 0 || v == want), "parse_u64(\"%s\") = %d, %llu", s, r, (unsigned long long)v);
}

struct lines_seen {
	int n;
	char last[64];
	int stop_at;
};

static int count_line(char *line, void *ctx)
{
	struct lines_seen *l = ctx;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%.63s", line);
	return l->n == l->stop_at ? 7 : 0;
}

/* sbx_each_line: whole lines (one longer than any stdio buffer), newlines stripped, the first
 * non-zero answer ends the walk and is returned, -ENOENT when none came, -errno when unreadable. */
static void each_line(void)
{
	char path[] = "/tmp/sbx-test-util.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		tap_ok(0, "sbx_each_line: temp file");
		return;
	}
	fprintf(f, "first\n");
	for (int i = 0; i < 10000; i++)
		fputc('x', f);
	fprintf(f, "\nthird\nlast without newline");
	fclose(f);
	struct lines_seen l = { 0, "", 0 };
	tap_ok(sbx_each_line(path, count_line, &l) == -ENOENT && l.n == 4, "sbx_each_line: every line, -ENOENT when none answered (%d lines)", l.n);
	tap_ok(strcmp(l.last, "last without newline") == 0, "sbx_each_line: the last line without its newline ('%s')", l.last);
	l = (struct lines_seen){ 0, "", 2 };
	tap_ok(sbx_each_line(path, count_line, &l) == 7 && l.n == 2 && strlen(l.last) == 63 && l.last[0] == 'x',
	       "sbx_each_line: a 10000-byte line whole; the first non-zero answer ends the walk");
	unlink(path);
	tap_ok(sbx_each_line(path, count_line, &l) == -ENOENT && l.n == 2, "sbx_each_line: a missing file is -ENOENT");
}

static void escaped_is(const char *in, const char *want)
{
	char out[256];
	size_t need = sbx_escape_controls(out, sizeof(out), in);
	char shown[256];
	snprintf(shown, sizeof(shown), "%s", want);
	tap_ok(strcmp(out, want) == 0 && need == strlen(want), "escape_controls: \"%s\" (got \"%s\")", shown, out);
}

/* Messages carry text from outside: no control character reaches the terminal raw, neither a
 * C0 one, nor a C1 one (CSI is U+009B: C2 9B in UTF-8, or the byte 9B to an 8-bit terminal);
 * valid UTF-8 text stays as it is. */
static void escapes(void)
{
	escaped_is("plain", "plain");
	escaped_is("a\nb\r\t\x1b[2J\x7f", "a\\nb\\r\\t\\e[2J\\x7f");
	escaped_is("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	escaped_is("\xc2\x9b" "31mRED", "\\xc2\\x9b" "31mRED");
	escaped_is("\x9b" "31m", "\\x9b" "31m");
	escaped_is("\xc3(", "\\xc3(");
	escaped_is("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	escaped_is("\xed\xa0\x80", "\\xed\\xa0\\x80");
	escaped_is("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	escaped_is("\xe6\x97", "\\xe6\\x97");
	escaped_is("\xc2\xa0nbsp", "\xc2\xa0nbsp");
	char small[8];
	size_t need = sbx_escape_controls(small, sizeof(small), "ab\xe6\x97\xa5\xe6\x97\xa5");
	tap_ok(need == 8 && strcmp(small, "ab\xe6\x97\xa5") == 0, "escape_controls: cut at a whole character (%zu)", need);
}

static void json_is(const char *in, const char *want)
{
	char out[256] = "";
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");
	if (f) {
		sbx_json_str(f, in);
		fclose(f);
	}
	tap_ok(strcmp(out, want) == 0, "json_str: %s (got %s)", want, out);
}

/* JSON lines stay valid JSON and valid UTF-8 whatever a path or name holds. */
static void json(void)
{
	json_is("a\"b\\c\n\x1b", "\"a\\\"b\\\\c\\u000a\\u001b\"");
	json_is("caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	json_is("bad\xff\xfe", "\"bad\\ufffd\\ufffd\"");
	json_is("cut\xe6\x97", "\"cut\\ufffd\\ufffd\"");
	json_is("\xc2\x9b", "\"\xc2\x9b\"");
}

int main(void)
{
	escapes();
	json();
	size_is("0", 0, 0);
	size_is("64", 0, 64);
	size_is("64K", 0, 64ull << 10);
	size_is("64k", 0, 64ull << 10);
	size_is("512M", 0, 512ull << 20);
	size_is("2G", 0, 2ull << 30);
	size_is("1T", 0, 1ull << 40);
	size_is("64MB", 0, 64ull << 20);
	size_is("64MiB", 0, 64ull << 20);
	size_is("", -EINVAL, 0);
	size_is("-1M", -EINVAL, 0);
	size_is("+1M", -EINVAL, 0);
	size_is(" 1M", -EINVAL, 0);
	size_is("1X", -EINVAL, 0);
	size_is("1MX", -EINVAL, 0);
	size_is("M", -EINVAL, 0);
	size_is("99999999999999999999", -ERANGE, 0);
	size_is("17179869184G", -ERANGE, 0);
	u64_is("0", 0, 0);
	u64_is("18446744073709551615", 0, UINT64_MAX);
	u64_is("18446744073709551616", -ERANGE, 0);
	u64_is("12a", -EINVAL, 0);
	u64_is("-3", -EINVAL, 0);
	u64_is("", -EINVAL, 0);
	each_line();
	return tap_done();
}
