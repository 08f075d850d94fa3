#!/usr/bin/env python3
"""Embed a text file in the binary as a C string: embed.py SYMBOL INPUT OUTPUT."""
import sys

sym, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as out:
    out.write("/* generated from %s by scripts/embed.py; do not edit */\n" % src.split("/")[-1])
    out.write("#include <stddef.h>\n")
    out.write("const char %s[] =\n" % sym)
    for line in data.splitlines(keepends=True):
        esc = "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\?' else "\\%03o" % b
                      for b in line)
        out.write('\t"%s"\n' % esc)
    out.write("\t;\nconst size_t %s_len = %d;\n" % (sym, len(data)))
