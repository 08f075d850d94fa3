/* SPDX-License-Identifier: MIT */
/* `sbx ps`: the sandboxes this user runs, from the state directory (broker/state.h). */
#pragma once

#include <stdio.h>

/* argv[0] is "ps". Returns the exit status: 0, or 2 on a usage error. */
int sbx_ps_cli(int argc, char **argv);

/* A JSON string, quoted and escaped (control characters as \u00XX); NULL is "". */
#include "broker/json.h"
