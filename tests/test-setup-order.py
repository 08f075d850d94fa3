#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One source of truth for the sandbox's setup order (TAP).

enum sbx_step in common/protocol.h lists the steps in the order sandbox/launch.c runs them;
sbx_step_name() names each. The opening comment of sandbox/launch.c and the "Order" section of
docs/sandbox.md number and name the same steps; `sbx -v -- true` traces them, as they begin,
in that order: init's steps in pid 1, then the program's process's in pid 2.

Environment (from meson): SBX (the binary, for the run-time check), SBX_SRCDIR.
"""
import os
import re
import subprocess
import sys

SRC = os.environ.get("SBX_SRCDIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SBX = os.environ.get("SBX")

n_tests = 0
n_failed = 0


def ok(cond, label, *diag):
    global n_tests, n_failed
    n_tests += 1
    if cond:
        print(f"ok {n_tests} - {label}")
    else:
        n_failed += 1
        print(f"not ok {n_tests} - {label}")
        for d in diag:
            for line in str(d).splitlines():
                print(f"# {line}")
    return cond


def skip(label, why):
    global n_tests
    n_tests += 1
    print(f"ok {n_tests} - {label} # SKIP {why}")


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


# ---- the enum and the names ----

protocol = read("common/protocol.h")
m = re.search(r"enum sbx_step \{(.*?)\};", protocol, re.S)
enum = [] if not m else re.findall(r"\b(SBX_STEP_\w+)\b", strip_comments(m.group(1)))
ok(len(enum) > 3 and enum[0] == "SBX_STEP_NONE" and enum[-1] == "SBX_STEP_MAX_",
   "enum sbx_step parsed: NONE first, MAX_ last", enum)
ok(m is not None and re.search(r"SBX_STEP_NONE\s*=\s*0\s*,", m.group(1)) is not None
   and len(re.findall(r"=", strip_comments(m.group(1)))) == 1,
   "enum sbx_step: only NONE has an explicit value (the values are the order)")
steps = enum[1:-1]  # value i + 1 each

m = re.search(r"sbx_step_name\(uint32_t step\)\s*\{(.*?)\n\}", protocol, re.S)
table = dict(re.findall(r"\[(SBX_STEP_\w+)\]\s*=\s*\"([^\"]+)\"", m.group(1))) if m else {}
missing = [s for s in enum[:-1] if s not in table]
ok(not missing, "sbx_step_name() names every step", missing)
names = [table.get(s, "?") for s in steps]
dups = sorted({n for n in names if names.count(n) > 1})
ok(not dups, "every step has a name of its own", dups)
ok(not [s for s in table if s not in enum[:-1]], "sbx_step_name() names no step the enum lacks")
expected = [(i + 1, names[i]) for i in range(len(steps))]


def show(pairs):
    return "\n".join(f"{n}. {name}" for n, name in pairs)


def compare(got, label):
    if not ok(got == expected, label):
        for i in range(max(len(got), len(expected))):
            g = got[i] if i < len(got) else None
            e = expected[i] if i < len(expected) else None
            if g != e:
                print(f"# first difference at item {i + 1}: got {g}, enum says {e}")
                break


# ---- sandbox/launch.c ----

launch = read("sandbox/launch.c")
m = re.match(r"/\* SPDX[^\n]*\*/\s*/\*(.*?)\*/", launch, re.S)
header = m.group(1) if m else ""
got = [(int(n), name.strip()) for n, name in re.findall(r"^ \*\s+(\d+)\. (.+)$", header, re.M)]
compare(got, "sandbox/launch.c's opening comment numbers and names the steps as the enum does")

# Every step is begun somewhere: a step nobody reports is a stale enum value.
used = set(re.findall(r"\b(?:begin\(|step_now = )(SBX_STEP_\w+)", launch))
unused = [s for s in steps if s not in used]
ok(not unused, "sandbox/launch.c begins every step of the enum", unused)

# No step is reported by a fixed number computed elsewhere: every failure goes through the
# step that is running (fail()), the exec failure names its own.
ok(re.search(r"report_error\([^;]*SBX_STEP_(?!EXEC\b)", launch.replace("report_error(launch_fd, step_now", "")) is None,
   "sandbox/launch.c reports failures with the running step, not a hard-coded one")

# ---- docs/sandbox.md ----

doc = read("docs/sandbox.md")
m = re.search(r"^## Order\n(.*?)^## ", doc, re.S | re.M)
section = m.group(1) if m else ""
items = re.findall(r"^(\d+[a-z]?)\. (.*)$", section, re.M)
got = []
bad = []
for num, rest in items:
    im = re.match(r"\*\*(.+?)\*\* \(`(SBX_STEP_\w+)`\)", rest)
    if not im or not num.isdigit():
        bad.append(f"{num}. {rest}")
        continue
    got.append((int(num), im.group(1)))
    idx = int(num) - 1
    if idx >= len(steps) or steps[idx] != im.group(2):
        bad.append(f"{num}. names {im.group(2)}, the enum's value {num} is "
                   f"{steps[idx] if idx < len(steps) else 'nothing'}")
ok(section != "", "docs/sandbox.md has an Order section")
ok(not bad, "docs/sandbox.md: every numbered step is '**name** (`SBX_STEP_X`)' with the enum's value", *bad)
compare(got, "docs/sandbox.md lists the steps in the enum's order, with its names")

# ---- the run-time order ----

if not SBX:
    skip("sbx -v traces the steps in the enum's order", "SBX not set")
else:
    p = subprocess.run([SBX, "-v", "--", "true"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0 and "user namespaces" in p.stderr:
        skip("sbx -v traces the steps in the enum's order", "no user namespaces here")
    else:
        ok(p.returncode == 0, "sbx -v -- true exits 0", p.stderr)
        trace = re.findall(r"^sbx: \[sandbox pid (\d+)\] step (\d+): (.*)$", p.stderr, re.M)
        by_pid = {}
        wrong = []
        for pid, num, name in trace:
            by_pid.setdefault(int(pid), []).append(int(num))
            if not (0 < int(num) <= len(steps)) or names[int(num) - 1] != name:
                wrong.append(f"step {num} traced as '{name}'")
        ok(not wrong, "each traced step carries the enum's name", *wrong)
        ok(sorted(by_pid) == [1, 2], "steps are traced by init (pid 1) and the program's process (pid 2)",
           p.stderr)
        init, prog = by_pid.get(1, []), by_pid.get(2, [])
        ok(init == sorted(init) and prog == sorted(prog) and len(set(init + prog)) == len(init + prog),
           "each process traces its steps in increasing enum order, each once", p.stderr)
        ok(init + prog == list(range(1, len(steps) + 1)),
           "init's steps, then the program's process's: every step of the enum, in its order",
           f"pid 1: {init}", f"pid 2: {prog}")
        for line in ("namespaces entered, minimal root built, pivoted",
                     "capabilities dropped, securebits locked, no_new_privs set",
                     "loading the seccomp filter; exec follows"):
            ok(f"] {line}\n" in p.stderr, f"-v still traces '{line}'")

print(f"1..{n_tests}")
sys.exit(1 if n_failed else 0)
