/* SPDX-License-Identifier: MIT */
/* Text from outside (arguments, paths, program names) inside a one-line message: control
 * characters become C escapes, so nothing copied into a message can end its line and start a
 * forged "sbx: ..." one, or send the terminal an escape sequence. */
#pragma once

#include <stddef.h>

/* in with every byte below 0x20 and 0x7f written as \n, \r, \t, \e or \xHH, and so is every
 * byte that is not part of valid UTF-8 and each byte of a C1 control (U+0080-U+009F: CSI is
 * U+009B); valid UTF-8 otherwise as it is. Writes at most len bytes with the NUL (cut at a whole
 * escape or character) and returns the length the whole text needs, as snprintf does. */
size_t sbx_escape_controls(char *out, size_t len, const char *in);

/* The length of the valid UTF-8 sequence of two to four bytes at s, or 0: a stray continuation
 * byte, an overlong form, a surrogate, past U+10FFFF, or cut short (s is NUL-terminated). */
size_t sbx_utf8_len(const unsigned char *s);
