/* SPDX-License-Identifier: MIT */
/* Text from outside (arguments, paths, program names) inside a one-line message: control
 * characters become C escapes, so nothing copied into a message can end its line and start a
 * forged "sbx: ..." one, or send the terminal an escape sequence. */
#pragma once

#include <stddef.h>

/* in with every byte below 0x20 and 0x7f written as \n, \r, \t, \e or \xHH; everything else,
 * UTF-8 included, as it is. Writes at most len bytes with the NUL (cut at a whole escape) and
 * returns the length the whole text needs, as snprintf does. */
size_t sbx_escape_controls(char *out, size_t len, const char *in);
