/* SPDX-License-Identifier: MIT */
/* sbx_env_build() (broker/env.c): the worker's environment is the fixed PATH and HOME, the
 * caller's TERM, LANG, LANGUAGE, LC_* and TZ, then the broker's own entries; nothing else of the
 * caller's (README, "What the program gets"). Each case compares the whole array. TAP. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/env.h"
#include "tests/tap.h"

#define FIXED_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
#define FIXED_HOME "HOME=/tmp"

/* env equals want[] (NULL-terminated) entry by entry, and every entry is a copy. */
static void env_is(char *const *from, char *const *extra, const char *const *want, const char *name)
{
	char **env = NULL;
	int r = sbx_env_build(from, extra, &env);
	bool ok = r == 0 && env;
	if (!ok)
		tap_diag("sbx_env_build returned %d", r);
	size_t i = 0;
	for (; ok && want[i] && env[i]; i++) {
		if (strcmp(want[i], env[i]) != 0) {
			tap_diag("entry %zu: \"%s\", expected \"%s\"", i, env[i], want[i]);
			ok = false;
		}
		for (char *const *p = from; p && *p; p++)
			if (env[i] == *p) {
				tap_diag("entry %zu is the caller's string, not a copy", i);
				ok = false;
			}
		for (char *const *p = extra; p && *p; p++)
			if (env[i] == *p) {
				tap_diag("entry %zu is the extra string, not a copy", i);
				ok = false;
			}
	}
	if (ok && (want[i] || env[i])) {
		tap_diag("%s entries than expected", env[i] ? "more" : "fewer");
		ok = false;
	}
	tap_ok(ok, "%s", name);
	sbx_env_free(env);
}

int main(void)
{
	env_is(NULL, NULL, (const char *[]){ FIXED_PATH, FIXED_HOME, NULL }, "no environ, no extra");
	env_is((char *[]){ NULL }, (char *[]){ NULL }, (const char *[]){ FIXED_PATH, FIXED_HOME, NULL },
	       "empty environ, empty extra");

	/* Passed through, in the caller's order. */
	env_is((char *[]){ "TZ=Europe/Paris", "TERM=xterm-256color", "LANG=C.UTF-8", "LANGUAGE=fr:en", "LC_ALL=C",
			   "LC_CTYPE=fr_FR.UTF-8", "LC_MESSAGES=", NULL },
	       NULL,
	       (const char *[]){ FIXED_PATH, FIXED_HOME, "TZ=Europe/Paris", "TERM=xterm-256color", "LANG=C.UTF-8",
				 "LANGUAGE=fr:en", "LC_ALL=C", "LC_CTYPE=fr_FR.UTF-8", "LC_MESSAGES=", NULL },
	       "TERM, LANG, LANGUAGE, LC_* and TZ copied, empty values too");

	/* Dropped: the caller's PATH and HOME (the fixed ones stand), what steers the loader, what
	 * may hold a secret, and names that merely begin like a passed one. */
	env_is((char *[]){ "PATH=/home/u/bin:/usr/bin", "HOME=/root", "LD_PRELOAD=/tmp/evil.so",
			   "LD_LIBRARY_PATH=/tmp", "SSH_AUTH_SOCK=/run/user/0/agent", "GITHUB_TOKEN=secret",
			   "TERMINFO=/tmp/ti", "TERM_PROGRAM=x", "LANGX=1", "TZDIR=/tmp/zones", "LC=1", "lc_all=C",
			   "term=xterm", "XTERM=1", "TERM", "LC_ALL", "=TERM", "", NULL },
	       NULL, (const char *[]){ FIXED_PATH, FIXED_HOME, NULL },
	       "PATH, HOME, LD_*, secrets, look-alike names and malformed entries dropped");

	/* Both at once: the kept ones keep their order around the dropped ones. */
	env_is((char *[]){ "LD_PRELOAD=x.so", "LANG=de_DE.UTF-8", "PATH=/evil", "TERM=dumb", "USER=u", NULL }, NULL,
	       (const char *[]){ FIXED_PATH, FIXED_HOME, "LANG=de_DE.UTF-8", "TERM=dumb", NULL },
	       "a mixed environ keeps only the passed names");

	/* The broker's own entries (SBX_FD_<NAME>=N) come last, in their order. */
	env_is((char *[]){ "TERM=vt100", "SECRET=1", NULL }, (char *[]){ "SBX_FD_DATA=3", "SBX_FD_LOG=4", NULL },
	       (const char *[]){ FIXED_PATH, FIXED_HOME, "TERM=vt100", "SBX_FD_DATA=3", "SBX_FD_LOG=4", NULL },
	       "extra entries appended after the caller's");
	env_is(NULL, (char *[]){ "SBX_FD_X=3", NULL }, (const char *[]){ FIXED_PATH, FIXED_HOME, "SBX_FD_X=3", NULL },
	       "extra entries without an environ");

	/* Nothing is deduplicated or overridden: an extra naming PATH is appended after the fixed
	 * one, and getenv() and execve()'d programs see the first. A caller's repeated TERM is
	 * copied twice, as the caller had it. */
	env_is(NULL, (char *[]){ "PATH=/opt/bin", "HOME=/home/w", NULL },
	       (const char *[]){ FIXED_PATH, FIXED_HOME, "PATH=/opt/bin", "HOME=/home/w", NULL },
	       "an extra PATH or HOME is appended, the fixed ones stay first");
	env_is((char *[]){ "TERM=a", "TERM=b", NULL }, (char *[]){ "TERM=c", NULL },
	       (const char *[]){ FIXED_PATH, FIXED_HOME, "TERM=a", "TERM=b", "TERM=c", NULL },
	       "repeated names are kept as given");

	sbx_env_free(NULL);
	tap_ok(true, "sbx_env_free(NULL) is a no-op");
	return tap_done();
}
