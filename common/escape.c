/* SPDX-License-Identifier: MIT */
/* Control characters escaped for messages (escape.h). */
#include "escape.h"

#include <stdio.h>
#include <string.h>

/* The escape for c in buf (NUL-terminated), or NULL when c stands for itself. */
static const char *escape_of(unsigned char c, char buf[5])
{
	switch (c) {
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case 0x1b: return "\\e";
	default: break;
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	snprintf(buf, 5, "\\x%02x", c);
	return buf;
}

size_t sbx_escape_controls(char *out, size_t len, const char *in)
{
	size_t need = 0, done = 0; /* done: bytes written to out, always whole escapes */
	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		char buf[5];
		const char *e = escape_of(*s, buf);
		size_t n = e ? strlen(e) : 1;
		if (done == need && need + n < len) {
			memcpy(out + need, e ? e : (const char *)s, n);
			done += n;
		}
		need += n;
	}
	if (len)
		out[done] = '\0';
	return need;
}
