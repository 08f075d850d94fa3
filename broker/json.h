/* SPDX-License-Identifier: MIT */
/* JSON strings for the sbx command's output (json.c). */
#pragma once

#include <stdio.h>

/* s as a JSON string, quotes included; control characters, '"' and '\\' escaped; NULL as "". */
void sbx_json_str(FILE *f, const char *s);
