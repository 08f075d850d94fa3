/* SPDX-License-Identifier: MIT */
/* Everything else in the caller's environment may hold secrets (tokens, SSH_AUTH_SOCK paths)
 * or steer the loader (LD_PRELOAD, LD_LIBRARY_PATH): it stays outside. */
#include "env.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

bool sbx_env_passed_through(const char *kv)
{
	static const char *const names[] = { "TERM=", "LANG=", "LANGUAGE=", "TZ=", "LC_" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return strchr(kv, '=') != NULL;
	return false;
}

void sbx_env_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}

int sbx_env_build(char *const *from, char *const *extra, char ***ret)
{
	size_t n = 2;
	for (char *const *p = extra; p && *p; p++)
		n++;
	for (char *const *p = from; p && *p; p++)
		if (sbx_env_passed_through(*p))
			n++;
	char **env = calloc(n + 1, sizeof(char *));
	if (!env)
		return -ENOMEM;
	size_t i = 0;
	env[i++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	env[i++] = strdup("HOME=/tmp");
	for (char *const *p = from; p && *p && i < n; p++)
		if (sbx_env_passed_through(*p))
			env[i++] = strdup(*p);
	for (char *const *p = extra; p && *p && i < n; p++)
		env[i++] = strdup(*p);
	for (size_t j = 0; j < i; j++) {
		if (!env[j]) {
			sbx_env_free(env);
			return -ENOMEM;
		}
	}
	*ret = env;
	return 0;
}
