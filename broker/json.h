/* SPDX-License-Identifier: MIT */
/* JSON strings for the sbx command's output (json.c). */
#pragma once

#include <stdio.h>

/* s as a JSON string, quotes included; control characters, '"' and '\\' escaped, each byte
 * that is not valid UTF-8 written as \ufffd (the line stays valid JSON); NULL as "". */
void sbx_json_str(FILE *f, const char *s);
