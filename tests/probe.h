/* SPDX-License-Identifier: MIT */
/* probe.h: the probe's verdicts (tests/probe.c), shared with the escape suite's attacks
 * (tests/escape/attacks.c). See probe.c's header for what they print and return. */
#ifndef SBX_TESTS_PROBE_H
#define SBX_TESTS_PROBE_H

#include <stdbool.h>

/* "probe NAME: HELD", 0. */
int held(void);
/* "probe NAME: BROKEN: reason", 1. */
int broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "probe NAME: ERROR: reason", 3: the check could not run. */
int cannot(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The usage on stderr, 2. */
int usage_error(const char *usage);

/* probe attack NAME [ARG...] (tests/escape/attacks.c). */
int cmd_attack(int argc, char **argv);

#endif
