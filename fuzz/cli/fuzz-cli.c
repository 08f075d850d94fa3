/* SPDX-License-Identifier: MIT */
/* Fuzz target for the command-line parser, sbx_cli_parse() (broker/cli.c): the input is the
 * argument vector, NUL-separated (argv[0] is "sbx"; at most 64 arguments). The parser must
 * accept or refuse any vector without crashing, and what it accepts must hold together: a
 * PROGRAM, counts within their arrays, options that need each other present. Its messages go
 * to stderr (the timed runs close it: -close_fd_mask, fuzz/meson.build). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_accepted(const struct sbx_cli *cli, char **argv, int argc)
{
	if (cli->help || cli->version)
		return;
	check(cli->argv && cli->argv > argv && cli->argv < argv + argc && cli->argv[0]);
	check(cli->n_ro + cli->n_rw <= SBX_CLI_MAX_PATHS && cli->n_res <= SBX_CLI_MAX_PATHS);
	check(cli->n_params <= SBX_CLI_MAX_PARAMS);
	check(!cli->force || cli->learn);
	check(!cli->jobs || cli->each);
	check(!(cli->learn && cli->no_seccomp));
	for (size_t i = 0; i < cli->n_ro; i++)
		check(cli->ro[i][0] == '/');
	for (size_t i = 0; i < cli->n_rw; i++)
		check(cli->rw[i][0] == '/');
	if (cli->range_set)
		check(cli->range_uid > 0 && cli->range_gid > 0 && cli->range_count > 0 &&
		      (uint64_t)cli->range_uid + cli->range_count <= UINT32_MAX &&
		      (uint64_t)cli->range_gid + cli->range_count <= UINT32_MAX);
	if (cli->pids)
		check(cli->pids <= 4194304);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One copy of the text; each argument points into it, as argv points into the stack. */
	char *text = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int argc = 0;
	argv[argc++] = (char *)"sbx";
	for (size_t at = 0; at <= size && argc <= MAX_ARGS; at += strlen(text + at) + 1)
		argv[argc++] = text + at;
	argv[argc] = NULL;
	struct sbx_cli cli;
	if (sbx_cli_parse(argc, argv, &cli) == 0)
		check_accepted(&cli, argv, argc);
	free(text);
	return 0;
}
