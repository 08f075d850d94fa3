/* SPDX-License-Identifier: MIT */
/* What users write about resources and limits, parsed the same way whether it comes from the
 * command line or a policy file: access letters, resource names, sizes, durations and the
 * command line's resource specs (NAME=PATH[:MODE[:PATTERN]] and friends). Pure functions: no
 * allocation, no printing; on error the output is untouched and `e` (may be NULL) says what
 * was wrong in words both front ends print as they are.
 *
 *   access    r (read), w (write), c (create, implies w), t (truncate, implies w); at least one
 *   name      1-63 of [A-Za-z0-9_], not starting with a digit, not BROKER (the request channel)
 *   size      digits with an optional K, M, G or T (powers of 1024; "64M", "64MB", "64MiB")
 *   duration  seconds, with an optional fraction ("1.5"), or a number with a unit: ms, s, m or
 *             min, h ("500ms", "10s", "2m", "1.5h"); above zero, at most 10^9 seconds */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/resource.h"

struct sbx_spec_error {
	char text[256]; /* e.g. "bad access mode 'rx': 'x' is not one of r, w, c, t" */
};

#define SBX_DURATION_MAX_MS 1000000000000ull

/* Access letters to SBX_ACCESS_* bits. Returns 0 or -EINVAL. */
int sbx_spec_access(const char *s, unsigned *ret, struct sbx_spec_error *e);

/* A resource name by the rule above. Returns 0 or -EINVAL. */
int sbx_spec_name(const char *name, struct sbx_spec_error *e);
bool sbx_resource_name_valid(const char *name);

/* A size (sbx_parse_size). Returns 0, -EINVAL or -ERANGE. */
int sbx_spec_size(const char *s, uint64_t *ret, struct sbx_spec_error *e);

/* A duration in milliseconds, rounded to the nearest, at least 1. Returns 0, -EINVAL or
 * -ERANGE. */
int sbx_spec_duration_ms(const char *s, uint64_t *ret, struct sbx_spec_error *e);

/* The command line's spec of a resource of `kind`:
 *   file     NAME=PATH[:MODE]            (PATH absolute; MODE access letters, default r)
 *   dir      NAME=PATH[:MODE[:PATTERN]]
 *   capture  NAME=IFACE[:promisc][:tx]  (options in any order, each once)
 *   connect, listen  NAME=ADDRESS        (tcp:HOST:PORT, udp:HOST:PORT, unix:PATH)
 *   fd       [NAME=]N                    (without NAME: FD_N, and N >= 3)
 * On success arg is cut at its separators and ret's target and pattern point into it
 * (borrowed); on error arg is unchanged. Returns 0 or -EINVAL. */
int sbx_spec_resource(enum sbx_resource_kind kind, char *arg, struct sbx_resource *ret, struct sbx_spec_error *e);

/* The syntax above for `kind`, e.g. "NAME=PATH[:MODE]", for usage messages. */
const char *sbx_spec_resource_usage(enum sbx_resource_kind kind);
