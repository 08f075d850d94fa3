/* SPDX-License-Identifier: MIT */
/* policy-lookup NAME: a libsbx user that loads the policy NAME (sbx_policy_new) and says so:
 * "loaded" and exit 0, or the library's error and exit 1. test-ops.sh copies it beside a file
 * sbx-policy-path to show that libsbx users never look there (only the sbx command does). */
#include <stdio.h>

#include "sbx.h"

int main(int argc, char **argv)
{
	struct sbx_policy *p = NULL;
	struct sbx_error err = SBX_ERROR_INIT;
	if (argc != 2) {
		fprintf(stderr, "usage: policy-lookup NAME\n");
		return 2;
	}
	if (sbx_policy_new(argv[1], NULL, &p, &err) < 0) {
		fprintf(stderr, "policy-lookup: %s\n", err.message ? err.message : "failed");
		sbx_error_free(&err);
		return 1;
	}
	printf("loaded\n");
	sbx_policy_free(p);
	return 0;
}
