#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TAP tests for examples/pcap-decode and policies/pcap.policy.

    pcap-tests.py GROUP --decoder PATH --source-root DIR [--sbx PATH]

GROUP is one of:
  golden       decoder output on examples/sample.pcap, header handling, exit statuses
  corpus       the decoder over every file of the pcap corpus never crashes
  sbx-corpus   the same under `sbx --policy policies/pcap.policy`, plus the sample's output
  sbx-tcpdump  `tcpdump -nn -r FILE` under sbx with pcap.policy (sbx runs it as a non-root uid)
  sbx-tcpdump-corpus  `tcpdump -nn -vvv -r FILE` (and `-r -` on stdin) on every capture of the
               corpus under `sbx --policy pcap`, started as root and as uid 65534: the same
               stdout, stderr and exit status as without sbx, file by file

The corpus is $SBX_PCAP_CORPUS, else <source-root>/../shared/corpus/pcap. A group whose
prerequisite is missing (corpus, a working sbx, tcpdump) skips with the reason.
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time

# The root and uid 65534 modes of the integration tests, shared with tests/test-parsers.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
import sbxtest  # noqa: E402

RUN_TIMEOUT = 30         # seconds for any one run; the slowest corpus file decodes in ~0.1 s
SIGSYS_STATUS = 159      # sbx's exit status for a seccomp violation
TCPDUMP_FILES = 8        # how many corpus files tcpdump is run on under sbx
NOBODY = 65534


Tap = sbxtest.Tap


def run(cmd, stdin=None, input_bytes=None, timeout=RUN_TIMEOUT):
    return sbxtest.run(cmd, stdin=stdin, input_bytes=input_bytes, timeout=timeout)


describe = sbxtest.describe


def find_corpus(source_root):
    env = os.environ.get("SBX_PCAP_CORPUS")
    d = env if env else os.path.join(source_root, "..", "shared", "corpus", "pcap")
    d = os.path.abspath(d)
    if not os.path.isdir(d):
        return None, f"pcap corpus not found at {d} (set SBX_PCAP_CORPUS)"
    files = sorted(os.path.join(d, f) for f in os.listdir(d)
                   if os.path.isfile(os.path.join(d, f)))
    if not files:
        return None, f"pcap corpus {d} is empty"
    return files, None


def over_corpus(files, fn, workers=None):
    """Runs fn(path) -> CompletedProcess over files on every CPU (or `workers` threads);
    returns [(path, result)]."""
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(zip(files, ex.map(fn, files)))


def crash_report(results, allowed=(0, 1)):
    bad = [(p, r) for p, r in results if r.returncode not in allowed]
    lines = [f"{os.path.basename(p)}: {describe(r.returncode)}: "
             f"{r.stderr.decode(errors='replace').strip()[:200]}" for p, r in bad[:20]]
    if len(bad) > 20:
        lines.append(f"... and {len(bad) - 20} more")
    return bad, "\n".join(lines)


# ---- golden --------------------------------------------------------------------------------

def pcap_header(big_endian=False, magic=0xA1B2C3D4, linktype=1):
    import struct
    bo = ">" if big_endian else "<"
    return struct.pack(bo + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)


def strip_timestamps(text):
    """Drops the header line and the timestamp column, which differ between byte orders
    and timestamp resolutions; everything decoded from the packets must not."""
    out = []
    for line in text.splitlines()[1:]:
        parts = line.split(" ", 2)
        out.append(parts[0] + " " + parts[2] if len(parts) == 3 else line)
    return out


def group_golden(args):
    import struct
    ex = os.path.join(args.source_root, "examples")
    sample = os.path.join(ex, "sample.pcap")
    with open(os.path.join(ex, "sample.expected"), "rb") as f:
        expected = f.read()
    dec = args.decoder
    tap = Tap(11)

    with open(sample, "rb") as f:
        r = run([dec], stdin=f)
    tap.ok(r.returncode == 0 and r.stdout == expected,
           "sample.pcap decodes exactly to sample.expected",
           f"{describe(r.returncode)}\n" + "".join(
               f"got:  {a}\nwant: {b}\n" for a, b in zip(r.stdout.decode().splitlines(),
                                                        expected.decode().splitlines())
               if a != b)[:3000])

    r2 = run([dec, sample])
    tap.ok(r2.returncode == 0 and r2.stdout == expected,
           "a path argument decodes the same as stdin", describe(r2.returncode))

    with tempfile.TemporaryDirectory() as tmp:
        regen = os.path.join(tmp, "sample.pcap")
        g = run([sys.executable, os.path.join(ex, "make-sample.py"), regen])
        same = g.returncode == 0 and open(regen, "rb").read() == open(sample, "rb").read()
        tap.ok(same, "make-sample.py reproduces the committed sample.pcap byte for byte",
               g.stderr.decode(errors="replace"))

        variant = os.path.join(tmp, "be-nsec.pcap")
        g = run([sys.executable, os.path.join(ex, "make-sample.py"), "--big-endian", "--nsec",
                 variant])
        r3 = run([dec, variant])
        first = r3.stdout.decode(errors="replace").splitlines()[:2]
        tap.ok(g.returncode == 0 and r3.returncode == 0
               and strip_timestamps(r3.stdout.decode()) == strip_timestamps(expected.decode())
               and first[0].startswith("pcap big-endian nsec")
               and first[1].split(" ")[1] == "1700000000.000017000",
               "a big-endian nanosecond file decodes to the same packets",
               "\n".join(first))

    r = run([dec], input_bytes=b"\x0a\x0d\x0d\x0a" + bytes(60))
    tap.ok(r.returncode == 1 and b"pcapng" in r.stderr and r.stdout == b"",
           "pcapng input is refused with exit 1 and a message naming pcapng",
           f"{describe(r.returncode)} {r.stderr!r}")

    r = run([dec], input_bytes=b"")
    tap.ok(r.returncode == 1, "empty input: exit 1", describe(r.returncode))

    r = run([dec], input_bytes=b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")
    tap.ok(r.returncode == 1 and b"magic" in r.stderr, "a non-pcap file: exit 1",
           f"{describe(r.returncode)} {r.stderr!r}")

    huge = pcap_header() + struct.pack("<IIII", 1, 0, 256 * 1024 + 1, 256 * 1024 + 1)
    r = run([dec], input_bytes=huge + bytes(64))
    tap.ok(r.returncode == 0 and b"malformed record: caplen 262145 exceeds 262144" in r.stdout
           and b"malformed 1\n" in r.stdout,
           "a record over 256 KiB is refused, noted and counted, not allocated",
           r.stdout.decode(errors="replace"))

    body = open(sample, "rb").read()
    r = run([dec], input_bytes=body[:-7])
    tap.ok(r.returncode == 0 and b"record truncated (33 of 40 bytes)" in r.stdout,
           "a file cut inside the last record decodes up to the cut and notes it",
           r.stdout.decode(errors="replace")[-400:])

    r = run([dec, sample, sample])
    tap.ok(r.returncode == 2 and b"usage" in r.stderr, "two paths: usage error, exit 2",
           describe(r.returncode))

    r = run([dec, "/nonexistent/capture.pcap"])
    tap.ok(r.returncode == 2 and b"No such file" in r.stderr,
           "a missing file: exit 2 with the reason", describe(r.returncode))
    return tap


# ---- corpus --------------------------------------------------------------------------------

def group_corpus(args):
    tap = Tap(2)
    files, why = find_corpus(args.source_root)
    if files is None:
        tap.skip_rest(2, why)
        return tap

    def one(path):
        with open(path, "rb") as f:
            return run([args.decoder], stdin=f)

    results = over_corpus(files, one)
    bad, report = crash_report(results)
    tap.ok(not bad, f"the decoder exits 0 or 1 on all {len(files)} corpus files", report)
    decoded = sum(1 for _, r in results if r.returncode == 0 and b"\nsummary packets " in
                  b"\n" + r.stdout)
    tap.ok(decoded >= len(files) // 2,
           f"most corpus files decode to a summary ({decoded} of {len(files)})")
    return tap


# ---- under sbx -----------------------------------------------------------------------------

def sbx_usable(args):
    """Returns None when `sbx -- /bin/true` works, else the reason it does not."""
    if not args.sbx or not os.path.isfile(args.sbx) or not os.access(args.sbx, os.X_OK):
        return f"sbx is not built ({args.sbx or 'no path given'})"
    r = run([args.sbx, "--", "/bin/true"])
    if r.returncode != 0:
        return (f"sbx does not work yet: `sbx -- /bin/true` gave {describe(r.returncode)}: "
                f"{r.stderr.decode(errors='replace').strip()[:200]}")
    return None


def policy_path(args):
    return os.path.join(args.source_root, "policies", "pcap.policy")


def sbx_cmd(args, sbx, policy, program, extra_ro=()):
    cmd = [sbx, "--policy", policy]
    for p in extra_ro:
        cmd += ["--ro", p]
    return cmd + ["--", *program]


def group_sbx_corpus(args):
    plan = 3
    tap = Tap(plan)
    why = sbx_usable(args)
    if why:
        tap.skip_rest(plan, why)
        return tap
    sample = os.path.join(args.source_root, "examples", "sample.pcap")
    with open(os.path.join(args.source_root, "examples", "sample.expected"), "rb") as f:
        expected = f.read()
    dec = os.path.abspath(args.decoder)
    # sbx opens the program itself and executes it by descriptor: no --ro needed for it.
    cmd = sbx_cmd(args, args.sbx, policy_path(args), [dec])

    with open(sample, "rb") as f:
        r = run(cmd, stdin=f)
    tap.ok(r.returncode == 0 and r.stdout == expected,
           "under sbx --policy pcap.policy the sample decodes exactly as without it",
           f"{describe(r.returncode)}: {r.stderr.decode(errors='replace')[:1000]}")

    r = run(sbx_cmd(args, args.sbx, policy_path(args), [dec, sample], extra_ro=[sample]))
    tap.ok(r.returncode == 0 and r.stdout == expected,
           "under sbx, a path given with --ro decodes the same",
           f"{describe(r.returncode)}: {r.stderr.decode(errors='replace')[:1000]}")

    files, why = find_corpus(args.source_root)
    if files is None:
        tap.skip("the decoder under sbx never crashes on the corpus", why)
        return tap

    def one(path):
        with open(path, "rb") as f:
            return run(cmd, stdin=f)

    results = over_corpus(files, one)
    bad, report = crash_report(results)
    tap.ok(not bad, f"under sbx the decoder exits 0 or 1 on all {len(files)} corpus files "
           "(no crash, no seccomp violation)", report)
    return tap


def reference_prefix():
    """The unsandboxed reference run of tcpdump, as nobody when we are root: sbx never runs a
    program as root (its worker is uid 65534 unless --user says otherwise), and tcpdump
    started as root would switch to its own user instead (see FACTS.md)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return []
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def tcpdump_prerequisites(args):
    """(tcpdump's path, the corpus files, None), or (None, None, why a tcpdump group skips)."""
    tcpdump = shutil.which("tcpdump") or ("/usr/sbin/tcpdump"
                                          if os.path.exists("/usr/sbin/tcpdump") else None)
    if not tcpdump:
        return None, None, "tcpdump is not installed"
    why = sbx_usable(args)
    if why:
        return None, None, why
    files, why = find_corpus(args.source_root)
    if files is None:
        return None, None, why
    return tcpdump, files, None


def group_sbx_tcpdump(args):
    plan = TCPDUMP_FILES + 1
    tap = Tap(plan)
    tcpdump, files, why = tcpdump_prerequisites(args)
    if why:
        tap.skip_rest(plan, why)
        return tap
    prefix = reference_prefix()
    policy = policy_path(args)

    # The worker runs as a non-root uid: the capture files go into a fresh folder that uid
    # can traverse, wherever the corpus itself lives.
    with tempfile.TemporaryDirectory(prefix="sbx-pcap-") as tmp:
        os.chmod(tmp, 0o755)

        # A spread of corpus files tcpdump itself reads cleanly, outside the sandbox.
        picked = []
        step = max(1, len(files) // (TCPDUMP_FILES * 4))
        for src in files[::step]:
            if len(picked) == TCPDUMP_FILES:
                break
            if os.path.getsize(src) > 256 * 1024:
                continue
            dst = os.path.join(tmp, f"c{len(picked)}.pcap")
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
            direct = run(prefix + [tcpdump, "-nn", "-r", dst])
            if direct.returncode == 0:
                picked.append((src, dst, direct))
            else:
                os.unlink(dst)

        for src, dst, direct in picked:
            r = run(sbx_cmd(args, args.sbx, policy, [tcpdump, "-nn", "-r", dst], extra_ro=[dst]))
            tap.ok(r.returncode == 0 and r.stdout == direct.stdout,
                   f"tcpdump -nn -r {os.path.basename(src)} under sbx matches a direct run",
                   f"{describe(r.returncode)}: {r.stderr.decode(errors='replace')[-1000:]}")
        while tap.n < TCPDUMP_FILES:
            tap.skip("tcpdump under sbx on another corpus file",
                     "not enough small corpus files that tcpdump reads cleanly")

        # The policy is an allowlist: a live capture needs socket(), which it lacks.
        r = run(sbx_cmd(args, args.sbx, policy, [tcpdump, "-nn", "-c", "1", "-i", "lo"]))
        tap.ok(r.returncode == SIGSYS_STATUS,
               "tcpdump -i lo (live capture) under pcap.policy is stopped: exit 159",
               f"{describe(r.returncode)}: {r.stderr.decode(errors='replace')[-500:]}")
    return tap


# ---- tcpdump over the whole corpus, as root and as uid 65534 ---------------------------------

CORPUS_WORKERS = 4       # runs at once; each is short and mostly waits on process start-up


def capture_files(files):
    return [f for f in files if f.endswith((".pcap", ".pcapng"))]


def group_sbx_tcpdump_corpus(args):
    plan = 4
    tap = Tap(plan)
    tcpdump, files, why = tcpdump_prerequisites(args)
    if why:
        tap.skip_rest(plan, why)
        return tap
    files = capture_files(files)
    prefix = reference_prefix()
    policy = policy_path(args)

    with tempfile.TemporaryDirectory(prefix="sbx-pcap-") as tmp:
        os.chmod(tmp, 0o755)
        # The worker (uid 65534) must reach the captures wherever the corpus lives: copies in
        # a folder it can traverse, at the same path inside (--ro) as outside.
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        os.chmod(data, 0o755)
        copies = []
        for src in files:
            dst = os.path.join(data, os.path.basename(src))
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
            copies.append(dst)

        def by_path(sbx_prefix):
            def one(path):
                argv = [tcpdump, "-nn", "-vvv", "-r", path]
                if sbx_prefix is None:
                    return run(prefix + argv)
                return run(sbx_prefix + ["--policy", policy, "--ro", path, "--", *argv])
            return one

        def by_stdin(sbx_prefix):
            def one(path):
                argv = [tcpdump, "-nn", "-vvv", "-r", "-"]
                with open(path, "rb") as f:
                    if sbx_prefix is None:
                        return run(prefix + argv, stdin=f)
                    return run(sbx_prefix + ["--policy", policy, "--", *argv], stdin=f)
            return one

        started = time.monotonic()
        direct_path = dict(over_corpus(copies, by_path(None), CORPUS_WORKERS))
        direct_stdin = dict(over_corpus(copies, by_stdin(None), CORPUS_WORKERS))
        tap.diag(f"{len(copies)} captures read without sbx (by path and on stdin) in "
                 f"{time.monotonic() - started:.1f} s")

        for mode in sbxtest.modes(args.sbx, None, tmp):
            label, sbx_prefix, skip_why = mode.label, mode.sbx, mode.skip
            for how, direct, make in (("-r FILE", direct_path, by_path),
                                      ("-r - (stdin)", direct_stdin, by_stdin)):
                desc = (f"[{label}] tcpdump -nn -vvv {how} under sbx --policy pcap: "
                        f"all {len(copies)} captures give the same stdout, stderr and status")
                if skip_why:
                    tap.skip(desc, skip_why)
                    continue
                started = time.monotonic()
                boxed = over_corpus(copies, make(sbx_prefix), CORPUS_WORKERS)
                diffs = [d for d in (sbxtest.difference(os.path.basename(p), direct[p], r)
                                     for p, r in boxed) if d]
                tap.ok(not diffs, desc, sbxtest.report(diffs))
                tap.diag(f"{len(copies)} runs under sbx in {time.monotonic() - started:.1f} s")
    return tap


GROUPS = {
    "golden": group_golden,
    "corpus": group_corpus,
    "sbx-corpus": group_sbx_corpus,
    "sbx-tcpdump": group_sbx_tcpdump,
    "sbx-tcpdump-corpus": group_sbx_tcpdump_corpus,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("group", choices=sorted(GROUPS))
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--sbx")
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)
    tap = GROUPS[args.group](args)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
