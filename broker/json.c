/* SPDX-License-Identifier: MIT */
/* JSON strings for the sbx command's machine-readable output (--json-status-fd, sbx ps --json,
 * sbx --each): one escaper, so that no output can be broken out of its string by a crafted
 * path, program name or log text. */
#include "json.h"

void sbx_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
