/* SPDX-License-Identifier: MIT */
/* The number parsers every limit on the command line and in policies goes through. TAP. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

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

int main(void)
{
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
	return tap_done();
}
