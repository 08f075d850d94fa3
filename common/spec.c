/* SPDX-License-Identifier: MIT */
#include "spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

__attribute__((format(printf, 2, 3))) static int fail(struct sbx_spec_error *e, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->text, sizeof(e->text), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The first n characters of s as access letters. */
static int access_n(const char *s, size_t n, unsigned *ret, struct sbx_spec_error *e)
{
	unsigned a = 0;
	if (n == 0)
		return fail(e, "empty access mode (letters r, w, c, t)");
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case 'r': a |= SBX_ACCESS_READ; break;
		case 'w': a |= SBX_ACCESS_WRITE; break;
		/* Creating or truncating is writing: a grant of "c" alone must open for writing. */
		case 'c': a |= SBX_ACCESS_CREATE | SBX_ACCESS_WRITE; break;
		case 't': a |= SBX_ACCESS_TRUNC | SBX_ACCESS_WRITE; break;
		default:
			return fail(e, "bad access mode '%.*s': '%c' is not one of r, w, c, t", (int)n, s, s[i]);
		}
	}
	*ret = a;
	return 0;
}

int sbx_spec_access(const char *s, unsigned *ret, struct sbx_spec_error *e)
{
	return access_n(s, strlen(s), ret, e);
}

/* The first n characters of s as a resource name. */
static int name_n(const char *s, size_t n, struct sbx_spec_error *e)
{
	if (n == 0)
		return fail(e, "empty resource name");
	if (n >= SBX_RES_NAME_MAX)
		return fail(e, "bad resource name '%.*s': longer than %d characters", (int)n, s, SBX_RES_NAME_MAX - 1);
	if (s[0] >= '0' && s[0] <= '9')
		return fail(e, "bad resource name '%.*s': it starts with a digit", (int)n, s);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return fail(e, "bad resource name '%.*s': '%c' is not a letter, digit or '_'", (int)n, s, c);
	}
	/* The worker finds its request channel as SBX_FD_BROKER. */
	if (n == 6 && memcmp(s, "BROKER", 6) == 0)
		return fail(e, "bad resource name 'BROKER': reserved for the request channel");
	return 0;
}

int sbx_spec_name(const char *name, struct sbx_spec_error *e)
{
	return name_n(name, strlen(name), e);
}

bool sbx_resource_name_valid(const char *name)
{
	return name && sbx_spec_name(name, NULL) == 0;
}

int sbx_spec_size(const char *s, uint64_t *ret, struct sbx_spec_error *e)
{
	int r = sbx_parse_size(s, ret);
	if (r == -ERANGE) {
		fail(e, "size '%s' is too large", s);
		return -ERANGE;
	}
	if (r < 0)
		return fail(e, "bad size '%s' (e.g. 512K, 64M, 1G)", s);
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t ms;
} units[] = {
	{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
};

static int too_long(const char *s, struct sbx_spec_error *e)
{
	fail(e, "duration '%s' is too long (at most %llu s)", s, SBX_DURATION_MAX_MS / 1000);
	return -ERANGE;
}

int sbx_spec_duration_ms(const char *s, uint64_t *ret, struct sbx_spec_error *e)
{
	const char *p;
	uint64_t whole, frac = 0, den = 1;
	bool nonzero;
	/* ".5" and "5." as strtod reads them: digits on at least one side of the point. */
	bool leading_point = s[0] == '.';
	int r = leading_point ? (whole = 0, p = s, 0) : sbx_parse_digits(s, &whole, &p);
	if (r == -EINVAL)
		return fail(e, "bad duration '%s': expected seconds (1.5) or a number with a unit (500ms, 10s, 2m, 1h)", s);
	if (r < 0)
		return too_long(s, e);
	nonzero = whole > 0;
	if (*p == '.') {
		if (leading_point && (p[1] < '0' || p[1] > '9'))
			return fail(e, "bad duration '%s': expected digits after '.'", s);
		/* Nine digits are a nanosecond of an hour: the rest cannot change the rounding. */
		for (p++; *p >= '0' && *p <= '9'; p++) {
			nonzero |= *p != '0';
			if (den < 1000000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				den *= 10;
			}
		}
	}
	size_t u = 0;
	while (u < SBX_ARRAY_SIZE(units) && strcmp(p, units[u].suffix) != 0)
		u++;
	if (u == SBX_ARRAY_SIZE(units))
		return fail(e, "bad duration '%s': unknown unit '%s' (ms, s, m, min, h)", s, p);
	uint64_t mult = units[u].ms;
	if (!nonzero)
		return fail(e, "bad duration '%s': it must be above zero", s);
	if (whole > SBX_DURATION_MAX_MS / mult)
		return too_long(s, e);
	uint64_t ms = whole * mult + (frac * mult + den / 2) / den;
	if (ms > SBX_DURATION_MAX_MS)
		return too_long(s, e);
	*ret = ms ? ms : 1; /* "0.0001" asked for a limit, not for none */
	return 0;
}

static const char *const usages[] = {
	[SBX_RES_FILE] = "NAME=PATH[:MODE]",
	[SBX_RES_DIR] = "NAME=PATH[:MODE[:PATTERN]]",
	[SBX_RES_CAPTURE] = "NAME=IFACE[:promisc][:tx]",
	[SBX_RES_CONNECT] = "NAME=ADDRESS",
	[SBX_RES_LISTEN] = "NAME=ADDRESS",
	[SBX_RES_FD] = "[NAME=]N",
};

const char *sbx_spec_resource_usage(enum sbx_resource_kind kind)
{
	return (size_t)kind < SBX_ARRAY_SIZE(usages) ? usages[kind] : "";
}

static int fd_number(const char *s, uint64_t min, int *ret, struct sbx_spec_error *e)
{
	uint64_t n;
	if (sbx_parse_u64(s, &n) < 0 || n < min || n > INT32_MAX)
		return fail(e, "bad fd '%s': expected a number%s", s, min ? " of 3 or more (0-2 are stdio)" : "");
	*ret = (int)n;
	return 0;
}

/* PATH[:MODE[:PATTERN]] of a file or directory. Cuts value only once all of it is valid. */
static int path_mode(enum sbx_resource_kind kind, char *value, struct sbx_resource *r, struct sbx_spec_error *e)
{
	char *colon = strchr(value, ':'), *pattern = NULL;
	if (colon) {
		char *mode = colon + 1;
		pattern = kind == SBX_RES_DIR ? strchr(mode, ':') : NULL;
		size_t n = pattern ? (size_t)(pattern - mode) : strlen(mode);
		if (access_n(mode, n, &r->flags, e) < 0)
			return -EINVAL;
	}
	if (value[0] != '/')
		return fail(e, "path '%.*s' is not absolute", colon ? (int)(colon - value) : (int)strlen(value), value);
	if (colon)
		*colon = '\0';
	if (pattern) {
		*pattern = '\0';
		r->pattern = pattern + 1;
	}
	return 0;
}

/* IFACE[:promisc][:tx]: the options in any order, each at most once. Cuts value only once all
 * of it is valid. */
static int capture_options(char *value, struct sbx_resource *r, struct sbx_spec_error *e)
{
	char *colon = strchr(value, ':');
	bool promisc = false, tx = false;
	for (const char *opt = colon; opt; opt = strchr(opt + 1, ':')) {
		const char *end = strchr(opt + 1, ':');
		size_t n = end ? (size_t)(end - opt - 1) : strlen(opt + 1);
		bool *flag = n == 7 && memcmp(opt + 1, "promisc", 7) == 0 ? &promisc
			     : n == 2 && memcmp(opt + 1, "tx", 2) == 0   ? &tx
									 : NULL;
		if (!flag)
			return fail(e, "unknown capture option '%.*s' (expected %s)", (int)n, opt + 1, usages[SBX_RES_CAPTURE]);
		if (*flag)
			return fail(e, "capture option '%.*s' given twice", (int)n, opt + 1);
		*flag = true;
	}
	if (colon)
		*colon = '\0';
	r->promisc = promisc;
	r->tx = tx;
	return 0;
}

int sbx_spec_resource(enum sbx_resource_kind kind, char *arg, struct sbx_resource *ret, struct sbx_spec_error *e)
{
	struct sbx_resource r;
	sbx_resource_init(&r, kind);
	char *eq = strchr(arg, '=');
	if (kind == SBX_RES_FD && !eq) {
		if (fd_number(arg, 3, &r.fd, e) < 0)
			return -EINVAL;
		snprintf(r.name, sizeof(r.name), "FD_%d", r.fd);
		*ret = r;
		return 0;
	}
	if (!eq)
		return fail(e, "expected %s", sbx_spec_resource_usage(kind));
	if (name_n(arg, (size_t)(eq - arg), e) < 0)
		return -EINVAL;
	memcpy(r.name, arg, (size_t)(eq - arg));
	char *value = eq + 1;
	if (!*value)
		return fail(e, "empty value after '%s=' (expected %s)", r.name, sbx_spec_resource_usage(kind));
	r.target = value;
	switch (kind) {
	case SBX_RES_FILE:
	case SBX_RES_DIR:
		if (path_mode(kind, value, &r, e) < 0)
			return -EINVAL;
		break;
	case SBX_RES_CAPTURE:
		if (capture_options(value, &r, e) < 0)
			return -EINVAL;
		break;
	case SBX_RES_CONNECT:
	case SBX_RES_LISTEN:
		break;
	case SBX_RES_FD:
		if (fd_number(value, 0, &r.fd, e) < 0)
			return -EINVAL;
		r.target = NULL;
		break;
	}
	*ret = r;
	return 0;
}
