/* SPDX-License-Identifier: MIT */
/* `sbx policy ...` without the rest of the CLI, so the tests can run it on its own. */
#include "sbx.h"

int main(int argc, char **argv)
{
	return sbx_policy_cli(argc, argv);
}
