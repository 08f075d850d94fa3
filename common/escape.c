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

size_t sbx_utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

size_t sbx_escape_controls(char *out, size_t len, const char *in)
{
	size_t need = 0, done = 0; /* done: bytes written to out, always whole escapes */
	for (const unsigned char *s = (const unsigned char *)in; *s;) {
		char buf[5];
		const char *e = NULL;
		size_t take = 1;
		if (*s < 0x80) {
			e = escape_of(*s, buf);
		} else if ((take = sbx_utf8_len(s)) == 0 || (s[0] == 0xc2 && s[1] <= 0x9f)) {
			/* Not UTF-8 (an 8-bit terminal may read 0x9b as CSI), or a C1 control
			 * (U+0080-U+009F, which a UTF-8 terminal may obey): each byte as \xHH. */
			take = 1;
			snprintf(buf, sizeof(buf), "\\x%02x", *s);
			e = buf;
		}
		size_t n = e ? strlen(e) : take;
		if (done == need && need + n < len) {
			memcpy(out + need, e ? e : (const char *)s, n);
			done += n;
		}
		need += n;
		s += take;
	}
	if (len)
		out[done] = '\0';
	return need;
}
