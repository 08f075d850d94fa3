/* SPDX-License-Identifier: MIT */
/* JSON strings for the sbx command's machine-readable output (--json-status-fd, sbx ps --json,
 * sbx --each): one escaper, so that no output can be broken out of its string by a crafted
 * path, program name or log text. */
#include "json.h"

#include "common/escape.h"

void sbx_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		size_t n;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p < 0x80)
			fputc(*p, f);
		else if ((n = sbx_utf8_len(p)) > 0) {
			fwrite(p, 1, n, f);
			p += n - 1;
		} else {
			/* JSON is UTF-8: a byte that is not (a path or name from a worker may hold
			 * any) would make the whole line unreadable to a strict reader. */
			fputs("\\ufffd", f);
		}
	}
	fputc('"', f);
}
