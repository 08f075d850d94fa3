/* SPDX-License-Identifier: MIT */
/* `sbx doctor [--json]`: every layer tried where sbx runs (broker/probe-env.h), one line per
 * check: available or not, why, and the fix. Exit status 1 when a layer of the default sandbox
 * is missing. And the advice a launch that failed closed ends with. */
#pragma once

#include <stdio.h>

int sbx_doctor_cli(int argc, char **argv);

/* After a launch failed (exit 125): the layers this place lacks with why and the fix, and the
 * two ways out (fix the environment, or --fallback). Prints nothing when every layer works
 * here (the failure had another cause). */
void sbx_doctor_advise(FILE *out);
