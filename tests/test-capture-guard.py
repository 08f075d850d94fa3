#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The capture grant's other doors (docs/policy.md, "Brokered calls"), in the namespaces and
veth pairs of tests/test-capture.py (10.200.77.0/24 and 10.200.78.0/24, nothing else):

  - `--capture NAME=IFACE:tx` on the command line lets the program transmit through its
    brokered socket; without `:tx` nothing it transmits reaches the peer;
  - the socket handed over at start (fd 3) is guarded like a brokered one: transmitting without
    `:tx`, rebinding to another interface and copying it are refused, each first shown to work
    with the seccomp layer off (--no-seccomp), so that the refusal means something; a bind to
    the granted interface is still answered;
  - `tcpdump -r FILE` (and `-r -`) under `--policy tcpdump` prints exactly what it prints
    without sbx, on a capture examples/make-sample.py writes (no root needed)."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("test_capture", os.path.join(HERE, "test-capture.py"))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)

ok, skip, sh, in_a = tc.ok, tc.skip, tc.sh, tc.in_a
SBX, CPROBE, SRC, TCPDUMP = tc.SBX, tc.CPROBE, tc.SRC, tc.TCPDUMP


run_send = tc.send_heard


def tx_tests(net):
    cap = net.ifindex("cap0")
    out, heard = run_send(net, [SBX, "--capture", "cap=cap0:tx", "--", CPROBE, "send", str(cap)])
    ok(out.returncode == 0 and heard > 0, f"--capture cap=cap0:tx: the brokered socket transmits to the peer "
       f"({heard} frames)", f"rc={out.returncode}", out.stdout, out.stderr)
    out, heard = run_send(net, [SBX, "--capture", "cap=cap0:promisc:tx", "--", CPROBE, "send", str(cap)])
    ok(out.returncode == 0 and heard > 0, f"--capture cap=cap0:promisc:tx: likewise ({heard} frames)",
       f"rc={out.returncode}", out.stdout, out.stderr)
    out, heard = run_send(net, [SBX, "--capture", "cap=cap0", "--", CPROBE, "send", str(cap)])
    ok(heard == 0 and "send: failed: Operation not permitted" in out.stdout,
       "--capture cap=cap0 (no :tx): nothing the brokered socket transmits reaches the peer", f"heard={heard}",
       out.stdout, out.stderr)
    out = in_a(net, [SBX, "--capture", "cap=cap0:tx:tx", "--", "/bin/true"])
    ok(out.returncode != 0 and "given twice" in out.stderr, "--capture cap=cap0:tx:tx is refused", out.stderr)


def start_socket_tests(net):
    """fd 3: the capture grant's socket handed over at start."""
    cap, oth = net.ifindex("cap0"), net.ifindex("oth0")
    fd3 = [CPROBE, "--fd", "3"]
    off = [SBX, "--no-seccomp", "--capture", "cap=cap0", "--"]
    on = [SBX, "--capture", "cap=cap0", "--"]

    out, heard = run_send(net, [*off, *fd3, "send", str(cap)])
    ok(out.returncode == 0 and heard > 0, f"without the filter, fd 3 transmits to the peer ({heard} frames)",
       out.stdout, out.stderr)
    out, heard = run_send(net, [*on, *fd3, "send", str(cap)])
    ok(heard == 0 and "send: failed: Operation not permitted" in out.stdout,
       "under sbx without :tx, nothing fd 3 transmits reaches the peer (its bind to cap0 answered)",
       f"heard={heard}", out.stdout, out.stderr)
    out, heard = run_send(net, [SBX, "--capture", "cap=cap0:tx", "--", *fd3, "send", str(cap)])
    ok(out.returncode == 0 and heard > 0, f"under sbx with :tx, fd 3 transmits ({heard} frames)", out.stdout,
       out.stderr)

    def traffic():
        time.sleep(0.5)
        net.ping("10.200.78.1", 20, 7)

    out = in_a(net, [*off, *fd3, "rebind", str(oth), "2"], traffic)
    seen = out.stdout.split("frames ")[-1].strip() if "frames" in out.stdout else "0"
    ok(out.returncode == 0 and int(seen) > 0, f"without the filter, fd 3 rebound to another interface sees its "
       f"traffic ({seen} frames)", out.stdout, out.stderr)
    for target, name in ((oth, "another interface"), (0, "all interfaces (ifindex 0)")):
        out = in_a(net, [*on, *fd3, "rebind", str(target), "2"], traffic)
        ok(out.returncode == 159 and "frames" not in out.stdout and "bind(3" in out.stderr,
           f"under sbx, rebinding fd 3 to {name} is refused as a violation and sees nothing",
           f"rc={out.returncode}", out.stdout, out.stderr)
    out = in_a(net, [*on, *fd3, "rebind", str(cap), "1"])
    ok(out.returncode == 0 and f"bound: {cap}" in out.stdout, "under sbx, a bind of fd 3 to cap0 (its grant) "
       "is answered", f"rc={out.returncode}", out.stdout, out.stderr)

    out = in_a(net, [*off, *fd3, "dup"])
    ok(out.returncode == 0 and "dup: ok" in out.stdout, "without the filter, fd 3 can be copied", out.stdout,
       out.stderr)
    out = in_a(net, [*on, *fd3, "dup"])
    ok(out.returncode == 1 and "dup: failed: Operation not permitted" in out.stdout,
       "under sbx, fd 3 cannot be copied to an unguarded number", out.stdout, out.stderr)


def read_tests():
    """tcpdump -r under policies/tcpdump.policy: no root, no network."""
    if not TCPDUMP:
        skip("tcpdump -r under --policy tcpdump", "tcpdump is not installed")
        return
    with tempfile.TemporaryDirectory(prefix="sbx-tcpdump-r-") as tmp:
        os.chmod(tmp, 0o755)
        files = []
        for extra in ([], ["--nsec"], ["--big-endian"]):
            path = os.path.join(tmp, f"sample{len(files)}.pcap")
            sh(sys.executable, os.path.join(SRC, "examples", "make-sample.py"), *extra, path)
            os.chmod(path, 0o644)
            files.append((path, " ".join(extra) or "plain"))
        policy = os.path.join(SRC, "policies", "tcpdump.policy")
        env = dict(os.environ, TZ="UTC")
        for path, what in files:
            for verbose in ([], ["-vvv", "-e"]):
                argv = [TCPDUMP, "-nn", *verbose, "-r", path]
                plain = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30)
                under = subprocess.run([SBX, "--policy", policy, "--ro", path, "--", *argv], capture_output=True,
                                       text=True, env=env, timeout=30)
                lines = len(plain.stdout.splitlines())
                ok(plain.returncode == 0 and lines > 5 and (under.returncode, under.stdout, under.stderr) ==
                   (plain.returncode, plain.stdout, plain.stderr),
                   f"tcpdump {' '.join(argv[1:-2])} -r FILE ({what}) under --policy tcpdump: the same stdout, "
                   f"stderr and status as without sbx ({lines} lines)", f"rc {under.returncode} vs {plain.returncode}",
                   "under sbx:", under.stdout, under.stderr, "without:", plain.stdout, plain.stderr)
        path = files[0][0]
        with open(path, "rb") as f:
            plain = subprocess.run([TCPDUMP, "-nn", "-r", "-"], stdin=f, capture_output=True, text=True, env=env,
                                   timeout=30)
        with open(path, "rb") as f:
            under = subprocess.run([SBX, "--policy", policy, "--", TCPDUMP, "-nn", "-r", "-"], stdin=f,
                                   capture_output=True, text=True, env=env, timeout=30)
        ok(plain.returncode == 0 and (under.returncode, under.stdout, under.stderr) ==
           (plain.returncode, plain.stdout, plain.stderr),
           "tcpdump -nn -r - (stdin) under --policy tcpdump: the same as without sbx", under.stdout, under.stderr,
           plain.stdout, plain.stderr)


def main():
    read_tests()
    if os.geteuid() != 0:
        skip("capture grants on a veth pair", "needs root to make network namespaces")
    else:
        with tc.Net() as net:
            tx_tests(net)
            start_socket_tests(net)
    print(f"1..{tc.n}")


main()
