#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# sbx.1 from sbx.1.in: @OPTIONS@ becomes OPTIONS, what `sbx --help-man` printed (meson runs sbx,
# through the cross file's exe_wrapper in a cross build), the OPTIONS section generated from the
# table in broker/cli.c that parses the options and prints --help.
# Usage: fill.py SBX.1.IN OPTIONS OUT
import sys

src, options_file, out = sys.argv[1:4]
with open(options_file) as f:
    options = f.read()
if not options.strip():
    sys.exit(f"{options_file}: empty (sbx --help-man printed nothing)")
with open(src) as f:
    text = f.read()
if "@OPTIONS@\n" not in text:
    sys.exit(f"{src}: no @OPTIONS@ line")
with open(out, "w") as f:
    f.write(text.replace("@OPTIONS@\n", options))
