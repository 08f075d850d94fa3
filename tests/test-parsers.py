#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TAP tests of the shipped parser policies with the real programs, sbx started as root and as
uid 65534 (tests/sbxtest.py):

    test-parsers.py xmllint|pdftotext|pcap

xmllint    `xmllint --nonet --format` (and --valid, --noent) on generated documents under
           --policy xmllint: the same stdout, stderr and status as without sbx, by path (--ro)
           and on stdin; an external entity naming a host file never leaks inside.
pdftotext  `pdftotext FILE -` on generated PDFs (valid and malformed) under --policy pdftotext:
           the same as without sbx by path, on stdin and by a granted descriptor; the text
           written to a granted output file is the same.
pcap       (tcpdump's comparisons live in examples/tests/pcap-tests.py.)

Every group then runs the probe under its policy: no open beside the input, no write, no
socket, no execve, each first shown to work outside the sandbox. A missing program skips its
group with the reason. Environment (tests/meson.build): SBX, PROBE, SBX_SRCDIR.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parser_docs  # noqa: E402
import sbxtest  # noqa: E402
from sbxtest import describe, difference, report, run, show, SIGSYS_STATUS  # noqa: E402

SECRET = "sbx-secret-marker-7f3a"


class Env:
    """The folder of one run: data/ (the inputs, 0644), secret/ (a host file no policy grants),
    out/ (writable by uid 65534, for the write checks)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.data = self._dir("data", 0o755)
        self.secret_dir = self._dir("secret", 0o755)
        self.out = self._dir("out", 0o777)
        self.secret = os.path.join(self.secret_dir, "secret.txt")
        self.write(self.secret, f"{SECRET}\n".encode())

    def _dir(self, name, mode):
        path = os.path.join(self.tmp, name)
        os.mkdir(path)
        os.chmod(path, mode)
        return path

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def inputs(self, docs):
        return {name: self.write(os.path.join(self.data, name), body)
                for name, body in docs.items()}


def program(name):
    return shutil.which(name) or next((p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}")
                                       if os.path.exists(p)), None)


def compare_all(tap, desc, paths, direct_fn, boxed_fn):
    diffs = [d for d in (difference(os.path.basename(p), direct_fn(p), boxed_fn(p))
                         for p in paths) if d]
    tap.ok(not diffs, f"{desc}: all {len(paths)} give the same stdout, stderr and status",
           report(diffs))


def stdin_of(path):
    with open(path, "rb") as f:
        return f.read()


# ---- the probe under a policy -------------------------------------------------------------

def negative_checks(tap, mode, env, policy, input_path, may_write_open):
    """The probe under POLICY with INPUT granted read-only. may_write_open: the policy lets an
    fopen(..., "w") through (pdftotext's output), so only the mounts stop a write beside it."""
    lbl = f"[{mode.label}] {os.path.basename(policy)}"
    sbx = mode.sbx + ["--policy", policy, "--ro", input_path]

    r = run(sbx + ["--", mode.probe, "fopen", input_path, "r"])
    tap.ok(r.returncode == 0, f"{lbl}: the probe runs and reads the granted input", show(r))

    outside = run(mode.user + [mode.probe, "fopen", env.secret, "r"])
    inside = run(sbx + ["--", mode.probe, "fopen", env.secret, "r"])
    tap.ok(outside.returncode == 0 and SECRET.encode() in outside.stdout
           and inside.returncode != 0 and SECRET.encode() not in inside.stdout + inside.stderr,
           f"{lbl}: a host file beside the input, readable outside, cannot be read",
           f"outside: {show(outside)}\ninside: {show(inside)}")

    target = os.path.join(env.out, f"written-{mode.label}-{os.path.basename(policy)}")
    outside = run(mode.user + [mode.probe, "fopen", target, "w"])
    made_outside = os.path.exists(target)
    if made_outside:
        os.unlink(target)
    if may_write_open:
        inside = run(sbx + ["--", mode.probe, "fopen", target, "w"])
        stopped = inside.returncode != 0
    else:
        # Granted writable: only the policy stands between the probe and the file.
        inside = run(mode.sbx + ["--policy", policy, "--ro", input_path, "--rw", env.out, "--",
                                 mode.probe, "fopen", target, "w"])
        stopped = inside.returncode == SIGSYS_STATUS and b"openat" in inside.stderr
    tap.ok(outside.returncode == 0 and made_outside and stopped and not os.path.exists(target),
           f"{lbl}: opening a file for writing, which works outside, is stopped"
           + ("" if may_write_open else " (exit 159 naming openat, even in a --rw folder)"),
           f"outside: {show(outside)}\ninside: {show(inside)}")

    outside = run(mode.user + [mode.probe, "syscall", "socket"])
    inside = run(sbx + ["--", mode.probe, "syscall", "socket"])
    tap.ok(b"socket returned" in outside.stdout and inside.returncode == SIGSYS_STATUS
           and b"socket" in inside.stderr,
           f"{lbl}: socket(), which returns outside, is stopped: exit 159 naming socket",
           f"outside: {show(outside)}\ninside: {show(inside)}")

    outside = run(mode.user + [mode.probe, "exec", "/bin/true"])
    inside = run(sbx + ["--", mode.probe, "exec", "/bin/true"])
    tap.ok(outside.returncode == 0 and inside.returncode == SIGSYS_STATUS
           and b"execve" in inside.stderr,
           f"{lbl}: execve of /bin/true, which runs outside, is stopped: exit 159 naming execve",
           f"outside: {show(outside)}\ninside: {show(inside)}")


# ---- xmllint ------------------------------------------------------------------------------

def group_xmllint(tap, mode, env, policy, ref):
    xmllint = program("xmllint")
    docs = env.inputs(parser_docs.xml_documents(env.secret))
    paths = sorted(docs.values())
    lbl = f"[{mode.label}] xmllint --nonet"
    boxed = mode.sbx + ["--policy", policy]

    for opts in (["--format"], ["--format", "--noent"], ["--noout", "--valid"]):
        compare_all(tap, f"{lbl} {' '.join(opts)} FILE under --policy xmllint", paths,
                    lambda p: run(ref + [xmllint, "--nonet", *opts, p]),
                    lambda p: run(boxed + ["--ro", p, "--", xmllint, "--nonet", *opts, p]))
    compare_all(tap, f"{lbl} --format - (stdin) under --policy xmllint", paths,
                lambda p: run(ref + [xmllint, "--nonet", "--format", "-"],
                              input_bytes=stdin_of(p)),
                lambda p: run(boxed + ["--", xmllint, "--nonet", "--format", "-"],
                              input_bytes=stdin_of(p)))

    # Documents naming the host file: without --noent xmllint does not load it, inside or out.
    ext = env.inputs(parser_docs.xml_external(env.secret))
    compare_all(tap, f"{lbl} --format FILE naming a host file, without --noent", sorted(
        ext.values()),
                lambda p: run(ref + [xmllint, "--nonet", "--format", p]),
                lambda p: run(boxed + ["--ro", p, "--", xmllint, "--nonet", "--format", p]))
    for name, path in sorted(ext.items()):
        opts = ["--format", "--noent", "--loaddtd"]
        outside = run(ref + [xmllint, "--nonet", *opts, path])
        inside = run(boxed + ["--ro", path, "--", xmllint, "--nonet", *opts, path])
        leaked = SECRET.encode() in inside.stdout + inside.stderr
        tap.ok(not leaked and inside.returncode != SIGSYS_STATUS,
               f"{lbl} {' '.join(opts)} {name}: the host file's marker never appears inside "
               f"(outside it {'does' if SECRET.encode() in outside.stdout else 'does not'})",
               f"outside: {show(outside)}\ninside: {show(inside)}")

    negative_checks(tap, mode, env, policy, docs["plain.xml"], may_write_open=False)


# ---- pdftotext ----------------------------------------------------------------------------

def group_pdftotext(tap, mode, env, policy, ref):
    pdftotext = program("pdftotext")
    docs = env.inputs(parser_docs.pdf_documents())
    paths = sorted(docs.values())
    lbl = f"[{mode.label}] pdftotext"
    boxed = mode.sbx + ["--policy", policy]

    compare_all(tap, f"{lbl} FILE - under --policy pdftotext (--ro)", paths,
                lambda p: run(ref + [pdftotext, p, "-"]),
                lambda p: run(boxed + ["--ro", p, "--", pdftotext, p, "-"]))
    compare_all(tap, f"{lbl} - - (stdin) under --policy pdftotext", paths,
                lambda p: run(ref + [pdftotext, "-", "-"], input_bytes=stdin_of(p)),
                lambda p: run(boxed + ["--", pdftotext, "-", "-"], input_bytes=stdin_of(p)))
    compare_all(tap, f"{lbl} -layout /dev/fd/3 - (--file in=FILE) under --policy pdftotext",
                paths,
                lambda p: run(ref + [pdftotext, "-layout", p, "-"]),
                lambda p: run(boxed + ["--file", f"in={p}", "--",
                                       pdftotext, "-layout", "/dev/fd/3", "-"]))

    # The granted output file: the worker reopens it through /dev/fd, so it must be the
    # worker's (uid 65534 in both modes here).
    diffs = []
    for p in paths:
        out = os.path.join(env.out, "out.txt")
        direct_out = os.path.join(env.out, "direct.txt")
        for f in (out, direct_out):
            env.write(f, b"stale\n")
            if os.geteuid() == 0:
                os.chown(f, sbxtest.NOBODY, sbxtest.NOBODY)
        direct = run(ref + [pdftotext, p, direct_out])
        boxed_run = run(boxed + ["--ro", p, "--file", f"out={out}:w", "--",
                                 pdftotext, p, "/dev/fd/3"])
        d = difference(os.path.basename(p), direct, boxed_run)
        if not d and open(direct_out, "rb").read() != open(out, "rb").read():
            d = f"{os.path.basename(p)}: the output files differ"
        if d:
            diffs.append(d)
    tap.ok(not diffs, f"{lbl} FILE /dev/fd/3 (--file out=PATH:w): all {len(paths)} write "
           "the same file, stderr and status as without sbx", report(diffs))

    negative_checks(tap, mode, env, policy, docs["valid.pdf"], may_write_open=True)


def group_pcap(tap, mode, env, policy, ref):
    capture = os.path.join(os.environ["SBX_SRCDIR"], "examples", "sample.pcap")
    with open(capture, "rb") as f:
        path = env.write(os.path.join(env.data, "sample.pcap"), f.read())
    negative_checks(tap, mode, env, policy, path, may_write_open=False)


GROUPS = {
    "xmllint": (group_xmllint, "xmllint", "xmllint is not installed (Debian: libxml2-utils)"),
    "pdftotext": (group_pdftotext, "pdftotext",
                  "pdftotext is not installed (Debian: poppler-utils)"),
    "pcap": (group_pcap, None, None),
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in GROUPS:
        print(f"usage: {sys.argv[0]} {'|'.join(GROUPS)}", file=sys.stderr)
        return 2
    name = sys.argv[1]
    fn, needs, why = GROUPS[name]
    tap = sbxtest.Tap()
    policy = os.path.join(os.environ["SBX_SRCDIR"], "policies", f"{name}.policy")
    if needs and not program(needs):
        tap.skip(f"{name} under --policy {name}", why)
        return tap.done()
    ref = sbxtest.reference_prefix()
    with tempfile.TemporaryDirectory(prefix="sbx-parsers-") as tmp:
        os.chmod(tmp, 0o755)
        for mode in sbxtest.modes(os.environ["SBX"], os.environ["PROBE"], tmp):
            if mode.skip:
                tap.skip(f"[{mode.label}] {name} under --policy {name}", mode.skip)
                continue
            with tempfile.TemporaryDirectory(dir=tmp) as sub:
                os.chmod(sub, 0o755)
                fn(tap, mode, Env(sub), policy, ref)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
