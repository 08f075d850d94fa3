#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# sbx.1 from sbx.1.in: @OPTIONS@ becomes what `sbx --help-man` prints, the OPTIONS section
# generated from the table in broker/cli.c that parses the options and prints --help.
import subprocess
import sys

sbx, src, out = sys.argv[1:4]
options = subprocess.run([sbx, "--help-man"], check=True, capture_output=True, text=True).stdout
with open(src) as f:
    text = f.read()
if "@OPTIONS@\n" not in text:
    sys.exit(f"{src}: no @OPTIONS@ line")
with open(out, "w") as f:
    f.write(text.replace("@OPTIONS@\n", options))
