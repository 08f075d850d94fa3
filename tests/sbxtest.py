# SPDX-License-Identifier: MIT
"""Helpers for the Python integration tests: TAP output, bounded runs, and the two ways sbx is
started, as tests/lib.sh does it for the shell tests: as root, and as uid 65534 through setpriv
with copies of sbx and the probe in a fresh 0755 folder (the build tree may live where that uid
cannot reach). When not root, one mode: the current user."""
import os
import shutil
import signal
import subprocess

NOBODY = 65534
SIGSYS_STATUS = 159      # sbx's exit status for a seccomp violation
TIMED_OUT = -999


class Tap:
    """TAP output; with a plan, the plan line comes first, else done() prints it last."""

    def __init__(self, plan=None):
        self.n = 0
        self.failed = 0
        self.plan = plan
        if plan is not None:
            print(f"1..{plan}", flush=True)

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}", flush=True)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            if diag:
                self.diag(diag)
        return cond

    def skip(self, desc, reason):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}", flush=True)

    def skip_rest(self, plan, reason):
        while self.n < plan:
            self.skip("not run", reason)

    def done(self):
        if self.plan is None:
            print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


def run(cmd, stdin=None, input_bytes=None, timeout=60):
    try:
        return subprocess.run(cmd, stdin=stdin, input=input_bytes, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, TIMED_OUT, e.stdout or b"", b"timed out")


def describe(rc):
    if rc == TIMED_OUT:
        return "timed out"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    if rc == SIGSYS_STATUS:
        return "exit 159 (seccomp violation)"
    return f"exit {rc}"


def show(r):
    return (f"{describe(r.returncode)}\n--- stdout:\n{r.stdout.decode(errors='replace')[:1500]}"
            f"\n--- stderr:\n{r.stderr.decode(errors='replace')[:1500]}")


def nobody_prefix():
    """How to run a program as uid 65534 when we are root (None when setpriv is missing)."""
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def reference_prefix():
    """The prefix of an unsandboxed reference run: as uid 65534 when we are root, as the
    worker runs inside (a program started as root may behave differently), else nothing."""
    if os.geteuid() != 0:
        return []
    return nobody_prefix() or []


class Mode:
    """One way of starting sbx: label, sbx (the command prefix that runs sbx), probe (its
    path), user (the prefix that runs a program outside as the same user), skip (the reason
    this mode cannot run here, or None)."""

    def __init__(self, label, sbx=None, probe=None, user=None, skip=None):
        self.label, self.sbx, self.probe, self.user, self.skip = label, sbx, probe, user, skip


def modes(sbx, probe, tmp):
    """The modes to run (see the module's header); copies go to TMP/bin. PROBE may be None."""
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    os.chmod(bindir, 0o755)
    copies = []
    for src in (sbx, probe):
        if src is None:
            copies.append(None)
            continue
        dst = os.path.join(bindir, os.path.basename(src))
        shutil.copy(src, dst)
        os.chmod(dst, 0o755)
        copies.append(dst)
    sbx_copy, probe_copy = copies
    if os.geteuid() != 0:
        return [Mode("root", skip="not running as root: the root half needs root"),
                Mode("self", [sbx_copy], probe_copy, [])]
    result = [Mode("root", [sbx_copy], probe_copy, nobody_prefix() or [])]
    prefix = nobody_prefix()
    if not prefix:
        return result + [Mode("user", skip="setpriv not installed")]
    if b"libsbx" in run(["ldd", sbx]).stdout:
        return result + [Mode("user", skip="sbx links libsbx dynamically, a copy would not be "
                                            "the binary built")]
    r = run(prefix + [sbx_copy, "--", "/bin/true"])
    if r.returncode != 0:
        return result + [Mode("user", skip=f"sbx as uid {NOBODY} does not work here: "
                                            f"{describe(r.returncode)}")]
    return result + [Mode("user", prefix + [sbx_copy], probe_copy, prefix)]


def difference(name, direct, boxed):
    """'' when both runs agree byte for byte (stdout, stderr, status), else what differs."""
    what = []
    if direct.returncode != boxed.returncode:
        what.append(f"status {describe(direct.returncode)} without sbx, "
                    f"{describe(boxed.returncode)} under sbx")
    for stream in ("stdout", "stderr"):
        a, b = getattr(direct, stream), getattr(boxed, stream)
        if a != b:
            al, bl = a.splitlines(), b.splitlines()
            i = next((i for i, (x, y) in enumerate(zip(al, bl)) if x != y), min(len(al), len(bl)))
            what.append(f"{stream} differs at line {i + 1} ({len(a)} vs {len(b)} bytes): "
                        f"{(al[i] if i < len(al) else b'<end>')[:120]!r} vs "
                        f"{(bl[i] if i < len(bl) else b'<end>')[:120]!r}")
    return f"{name}: " + "; ".join(what) if what else ""


def report(diffs, limit=30):
    lines = diffs[:limit]
    if len(diffs) > limit:
        lines.append(f"... and {len(diffs) - limit} more")
    return "\n".join(lines)
