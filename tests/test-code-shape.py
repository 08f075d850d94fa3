#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shape the trusted code keeps (TAP): in broker/, sandbox/ and common/ no file is longer
than 800 lines and no function longer than 120, so that every mechanism stays readable at a
glance (STYLE.md). A function is counted from the first line of its signature to its closing
brace: the project's style puts a definition's '{' and '}' alone in column 0.

Environment (from meson): SBX_SRCDIR.
"""
import os
import re
import sys

SRC = os.environ.get("SBX_SRCDIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FOLDERS = ["broker", "sandbox", "common"]
MAX_FILE, MAX_FUNCTION = 800, 120

n = failed = 0


def ok(cond, label, diag=""):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {label}")
    if not cond:
        failed += 1
        for line in diag.splitlines():
            print(f"# {line}")


def functions(lines):
    """(name, first line, length) of each function definition."""
    i = 0
    while i < len(lines):
        if lines[i].startswith("{"):
            start = i
            # The signature: the lines above, up to a blank line, a comment, a directive or
            # the end of the previous definition.
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith(("}", "#", "/*", " *")) \
                    and not lines[start - 1].rstrip().endswith((";", "*/")):
                start -= 1
            end = i + 1
            while end < len(lines) and not lines[end].startswith("}"):
                end += 1
            m = re.search(r"(\w+)\s*\(", " ".join(lines[start:i + 1]))
            yield (m.group(1) if m else "?", start + 1, end - start + 1)
            i = end
        i += 1


sources = []
for folder in FOLDERS:
    for root, _, files in os.walk(os.path.join(SRC, folder)):
        sources += [os.path.join(root, f) for f in files if f.endswith((".c", ".h"))]
sources.sort()
ok(len(sources) > 20, f"found the sources ({len(sources)} files)")

long_files, long_functions, n_functions = [], [], 0
for path in sources:
    rel = os.path.relpath(path, SRC)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if len(lines) - 1 > MAX_FILE:
        long_files.append(f"{rel}: {len(lines) - 1} lines")
    for name, first, length in functions(lines):
        n_functions += 1
        if length > MAX_FUNCTION:
            long_functions.append(f"{rel}:{first}: {name}() is {length} lines")

ok(n_functions > 300, f"found the functions ({n_functions})")
ok(not long_files, f"no file longer than {MAX_FILE} lines", "\n".join(long_files))
ok(not long_functions, f"no function longer than {MAX_FUNCTION} lines", "\n".join(long_functions))
print(f"1..{n}")
sys.exit(1 if failed else 0)
