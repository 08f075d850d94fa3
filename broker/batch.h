/* SPDX-License-Identifier: MIT */
/* `sbx --each LIST [-j N] ... -- PROGRAM ARGS...`: one sandboxed job per line of LIST, N at a
 * time, through a libsbx pool; each job's stdout and stderr written whole in LIST order. Part of
 * the sbx command, a client of the public API. */
#pragma once

#include <stdio.h>

#include "broker/cli.h"
#include "sbx.h"

#define SBX_BATCH_LINE_MAX 4096 /* longer lines are refused, named by number */

/* Run the batch; cfg and json (--json-status-fd, NULL: none) are borrowed. Returns the exit
 * status: 0 when every job exited 0, else the status of the first job in LIST order that did
 * not (its own, 128+N, 124, 159, 125-127 as for one run); 130 when interrupted (SIGINT,
 * SIGTERM, SIGHUP: 128 + the first signal); 125 when LIST cannot be read or has a bad line
 * (nothing is run then). */
int sbx_batch_run(const struct sbx_cli *cli, const struct sbx_config *cfg, FILE *json);
