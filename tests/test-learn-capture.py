#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Learn mode with a capture grant (docs/policy.md, "Commands": learn mode), in the namespaces and veth
pairs of tests/test-capture.py (10.200.77.0/24 between A and B, nothing else), as root and as
uid 65534 holding only CAP_NET_RAW:

  - `sbx --capture cap=cap0 --learn L -- tcpdump -i cap0 ...` captures as without sbx (learn
    mode answers the program's packet socket from the grant, as a normal run does);
  - L declares the grant (`resource cap capture "cap0"`) and brokers the packet socket
    (`socket: arg0 == AF_PACKET -> broker if capture else errno EACCES`), never allowing it
    plainly (the worker holds no CAP_NET_RAW, so a plain allow could only fail);
  - `sbx --policy L -- tcpdump -i cap0 ...`, with no --capture, prints exactly what tcpdump prints
    without sbx, through a brokered socket (audited at fd 202)."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("test_capture", os.path.join(HERE, "test-capture.py"))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)

ok, skip = tc.ok, tc.skip
SBX, TCPDUMP = tc.SBX, tc.TCPDUMP
BROKERED = "socket: arg0 == AF_PACKET -> broker if capture else errno EACCES"


def tcpdump_under(net, sbx_args, wrap):
    """tcpdump -i cap0 under sbx with sbx_args: (rc, lines without timestamps, out, err, events)."""
    cmd = wrap([sbx_args[0], "--json-status-fd", "3", *sbx_args[1:], "--", TCPDUMP, "-i", "cap0", "-nn", "-c", "10",
                "icmp"])
    rc, out, err, events = tc.run_capture_fd(net, cmd, [])
    return rc, tc.strip_ts(out), out, err, events


def learn_tests(net, who, sbx, learned, plain):
    wrap = tc.unpriv if who == "uid 65534" else (lambda c: c)
    rc, lines, out, err, _ = tcpdump_under(net, [sbx, "--capture", "cap=cap0", "--learn", learned], wrap)
    ok(rc == 0 and lines == plain, f"{who}: --learn with --capture: tcpdump captures as without sbx",
       f"rc={rc}", out, err)
    text = open(learned).read() if os.path.exists(learned) else ""
    socket_lines = [line for line in text.splitlines() if line.startswith("socket")]
    ok('resource cap capture "cap0"' in text.splitlines(), f"{who}: the learned policy declares the capture grant",
       text)
    ok(BROKERED in socket_lines and not any("AF_PACKET" in line for line in socket_lines if line != BROKERED),
       f"{who}: the learned policy brokers the packet socket and never allows it plainly", text)
    r = subprocess.run(wrap([sbx, "policy", "check", learned]), capture_output=True, text=True)
    ok(r.returncode == 0, f"{who}: the learned policy passes sbx policy check", r.stdout, r.stderr)

    rc, lines, out, err, events = tcpdump_under(net, [sbx, "--policy", learned], wrap)
    ok(rc == 0 and lines == plain, f"{who}: the learned policy alone (no --capture): tcpdump prints exactly what it "
       f"prints without sbx", f"rc={rc}", out, err, "without sbx:", "\n".join(plain))
    audits = [e for e in events if e.get("event") == "audit" and e.get("request") == "socket"]
    ok(any(e["granted"] and "= fd 202" in e["target"] for e in audits),
       f"{who}: under the learned policy the packet socket is the broker's (audited at fd 202)", events)

    # The grant is what the learned policy captures with: without its resource line, the
    # packet socket is refused (EACCES, the rule's else) and tcpdump captures nothing.
    bare = learned + ".bare"
    with open(bare, "w") as f:
        f.write(re.sub(r"(?m)^resource .*\n", "", text))
    os.chmod(bare, 0o644)
    r = subprocess.run(["ip", "netns", "exec", net.a, *wrap([sbx, "--policy", bare, "--", TCPDUMP, "-i", "cap0", "-nn",
                                                             "-c", "1", "icmp"])],
                       capture_output=True, text=True, timeout=60)
    ok(r.returncode != 0 and not r.stdout.strip(), f"{who}: without its resource line the learned policy captures "
       f"nothing", f"rc={r.returncode}", r.stdout, r.stderr)


def main():
    if os.geteuid() != 0:
        skip("learn mode with a capture grant", "needs root to make network namespaces")
    elif not TCPDUMP:
        skip("learn mode with a capture grant", "tcpdump is not installed (scripts/setup installs it)")
    else:
        with tc.Net() as net, tempfile.TemporaryDirectory(prefix="sbx-learncap-") as tmp:
            rc, out, err, _ = tc.run_capture_fd(net, [TCPDUMP, "-i", "cap0", "-nn", "-c", "10", "icmp"], [])
            plain = tc.strip_ts(out)
            ok(rc == 0 and len(plain) == 10, "without sbx: tcpdump sees 5 echo requests and 5 replies", out, err)
            usbx, _, _ = tc.copy_for_unpriv(tmp)
            out_dir = os.path.join(tmp, "learned")
            os.mkdir(out_dir)
            os.chmod(out_dir, 0o777)
            learn_tests(net, "root", SBX, os.path.join(out_dir, "root.policy"), plain)
            if shutil.which("setpriv"):
                learn_tests(net, "uid 65534", usbx, os.path.join(out_dir, "user.policy"), plain)
            else:
                skip("uid 65534 holding CAP_NET_RAW", "setpriv is not installed")
    print(f"1..{tc.n}")


if __name__ == "__main__":
    main()
