#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live capture by an unmodified tcpdump under sbx (docs/policy.md, "Brokered calls").

Two network namespaces the test makes (A and B) joined by two veth pairs with 10.200.77.0/24 and
10.200.78.0/24 on them, nothing else. sbx runs in A with a capture grant for the first pair's end;
B sends ICMP echo requests to A. Checked, as root and as uid 65534 holding only CAP_NET_RAW:
  - tcpdump under sbx prints exactly what tcpdump prints without it (timestamps aside), with the
    default policy and with policies/tcpdump.policy;
  - neither the sandbox's init nor the program holds any capability (from the host's /proc);
  - a hostile probe (tests/probe.c) gets no more than the grant: a rebind to the second pair
    sees none of its traffic, frames it transmits never reach a listener in B, a second packet
    socket is refused, and the filter sbx locked cannot be detached. Each probe first works
    without sbx, so that its failure under sbx means something."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SBX = os.environ["SBX"]
PROBE = os.environ["PROBE"]
CPROBE = os.environ.get("CAPTURE_PROBE", os.path.join(os.path.dirname(PROBE), "capture-probe"))
SRC = os.environ.get("SBX_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
TCPDUMP = shutil.which("tcpdump")

n = 0
failed = 0


def ok(cond, desc, *diag):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {desc}", flush=True)
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines():
                print(f"# {line}")


def skip(desc, why):
    global n
    n += 1
    print(f"ok {n} - {desc} # SKIP {why}", flush=True)


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


# ICMP echo requests from B to A: raw socket, fixed id and sequence numbers, so that two runs
# print the same lines.
PINGER = r"""
import socket, struct, sys, time
dst, count, ident = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for seq in range(1, count + 1):
    payload = bytes(range(56))
    h = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    h = struct.pack('!BBHHH', 8, 0, csum(h + payload), ident, seq)
    s.sendto(h + payload, (dst, 0))
    time.sleep(0.05)
"""


# Frames of the probe's ethertype arriving on an interface, counted for a few seconds.
LISTENER = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((sys.argv[1], 0x88b5))
s.settimeout(0.1)
n, end = 0, time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        s.recv(2048); n += 1
    except socket.timeout:
        pass
print(n)
"""


class Net:
    def __init__(self):
        tag = f"sbxcap-{os.getpid()}"
        self.a, self.b = f"{tag}-a", f"{tag}-b"
        self.made = []

    def __enter__(self):
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for i, (x, y, net) in enumerate((("cap0", "cap1", "10.200.77"), ("oth0", "oth1", "10.200.78"))):
            sh("ip", "-n", self.a, "link", "add", x, "type", "veth", "peer", "name", y, "netns", self.b)
            sh("ip", "-n", self.a, "addr", "add", f"{net}.1/24", "dev", x)
            sh("ip", "-n", self.b, "addr", "add", f"{net}.2/24", "dev", y)
            sh("ip", "-n", self.a, "link", "set", x, "up")
            sh("ip", "-n", self.b, "link", "set", y, "up")
        return self

    def __exit__(self, *exc):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def ifindex(self, dev):
        return int(sh("ip", "-n", self.a, "-o", "link", "show", dev).stdout.split(":")[0])

    def ping(self, dst, count, ident):
        return sh("ip", "netns", "exec", self.b, sys.executable, "-c", PINGER, dst, str(count), str(ident))


def unpriv(cmd):
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps", "+net_raw",
            "--ambient-caps", "+net_raw", *cmd]


def caps_of(pid):
    """The capability lines of /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                k, v = line.split(":")
                out[k] = int(v.strip(), 16)
    return out


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


def strip_ts(out):
    return [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]


def copy_for_unpriv(tmp):
    """sbx, the probe and the policies where uid 65534 can reach them."""
    os.chmod(tmp, 0o755)
    for f in (SBX, PROBE, CPROBE):
        shutil.copy2(f, tmp)
    shutil.copytree(os.path.join(SRC, "policies"), os.path.join(tmp, "policies"))
    with open(os.path.join(tmp, "policies", "tx.policy"), "w") as f:
        f.write("include default\nresource cap capture cap0 tx\n")
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o755)
    return (os.path.join(tmp, "sbx"), os.path.join(tmp, "capture-probe"), os.path.join(tmp, "policies"))


def capture_tests(net, who, sbx, policies, plain_lines):
    wrap = unpriv if who == "uid 65534" else (lambda c: c)
    for pol in ("default", "tcpdump"):
        caps = []
        polargs = [] if pol == "default" else ["--policy", os.path.join(policies, "tcpdump.policy")]
        cmd = wrap([sbx, "--json-status-fd", "3", *polargs, "--capture", "cap=cap0", "--", TCPDUMP, "-i", "cap0",
                    "-nn", "-c", "10", "icmp"])
        rc, out, err, events = run_capture_fd(net, cmd, caps)
        lines = strip_ts(out)
        ok(rc == 0 and len(lines) == 10 and lines == plain_lines,
           f"{who}, {pol} policy: tcpdump under sbx prints exactly what it prints without it (10 packets)",
           f"rc={rc}", "stdout:", out, "stderr:", err, "without sbx:", "\n".join(plain_lines))
        audits = [e for e in events if e.get("event") == "audit" and e.get("request") == "socket"]
        ok(any(e["granted"] and "= fd 202" in e["target"] for e in audits),
           f"{who}, {pol} policy: the brokered socket is audited with its fd number", events)
        nonzero = [(pid, c) for pid, c in caps if any(c.values())]
        ok(caps and not nonzero, f"{who}, {pol} policy: no capability in the sandbox's init or program "
           f"({len(caps)} processes)", nonzero or "no worker process seen")


def run_capture_fd(net, cmd, caps):
    # sbx --json-status-fd N needs N open in sbx: replace the literal 3 by the pipe's number.
    rfd, wfd = os.pipe()
    cmd = [str(wfd) if (i > 0 and cmd[i - 1] == "--json-status-fd") else x for i, x in enumerate(cmd)]
    p = subprocess.Popen(["ip", "netns", "exec", net.a, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, pass_fds=(wfd,))
    os.close(wfd)
    events, stderr = [], []
    started = threading.Event()

    def read_status():
        with os.fdopen(rfd) as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
                if events[-1].get("event") == "start":
                    started.set()

    def feed():
        for line in p.stderr:
            stderr.append(line)
            if "listening on" in line:
                started.wait(5)
                for ev in events:
                    if ev.get("event") == "start":
                        init = ev["pid"]
                        caps.extend((q, caps_of(q)) for q in [init, *descendants(init)])
                net.ping("10.200.77.1", 5, 4242)

    threads = [threading.Thread(target=f, daemon=True) for f in (read_status, feed)]
    for t in threads:
        t.start()
    # stderr is the feeder's: read stdout here, with a deadline that kills a hung run.
    timer = threading.Timer(30, p.kill)
    timer.start()
    out = p.stdout.read()
    p.wait()
    timer.cancel()
    for t in threads:
        t.join(5)
    return p.returncode, out, "".join(stderr), events


def in_a(net, cmd, during=None):
    """Run cmd in A; `during` (a function) runs beside it."""
    t = threading.Thread(target=during, daemon=True) if during else None
    if t:
        t.start()
    r = subprocess.run(["ip", "netns", "exec", net.a, *cmd], capture_output=True, text=True, timeout=60)
    if t:
        t.join(30)
    return r


def send_heard(net, cmd):
    """cmd in A while a listener on the peer counts the probe's frames: (result, frames heard)."""
    result = {}

    def listen():
        result["n"] = sh("ip", "netns", "exec", net.b, sys.executable, "-c", LISTENER, "cap1", "3").stdout.strip()

    t = threading.Thread(target=listen)
    t.start()
    time.sleep(0.5)
    out = in_a(net, cmd)
    t.join(30)
    return out, int(result.get("n") or 0)


def probe_tests(net, who, sbx, cprobe, txpolicy):
    wrap = unpriv if who == "uid 65534" else (lambda c: c)
    sbxc = [sbx, "--capture", "cap=cap0", "--"]
    cap, oth = net.ifindex("cap0"), net.ifindex("oth0")

    def traffic():
        time.sleep(0.5)
        net.ping("10.200.78.1", 20, 7)

    for target, name in ((oth, "another interface"), (0, "all interfaces (ifindex 0)")):
        out = in_a(net, wrap([cprobe, "rebind", str(target), "2"]), traffic)
        seen = out.stdout.split("frames ")[-1].strip() if "frames" in out.stdout else "0"
        ok(out.returncode == 0 and int(seen) > 0, f"{who}: without sbx, a packet socket bound to {name} sees "
           f"its traffic ({seen} frames)", out.stdout, out.stderr)
        out = in_a(net, wrap([*sbxc, cprobe, "rebind", str(target), "2"]), traffic)
        ok(out.returncode == 159 and "frames" not in out.stdout and "bind(202" in out.stderr,
           f"{who}: under sbx, rebinding the brokered socket to {name} is refused as a violation and sees nothing",
           f"rc={out.returncode}", out.stdout, out.stderr)

    def run_send(cmd):
        return send_heard(net, cmd)

    out, heard = run_send(wrap([cprobe, "send", str(cap)]))
    ok(out.returncode == 0 and heard > 0, f"{who}: without sbx, the probe's frames reach a listener on the peer "
       f"({heard})", out.stdout, out.stderr)
    out, heard = run_send(wrap([*sbxc, cprobe, "send", str(cap)]))
    ok(heard == 0 and "send: failed: Operation not permitted" in out.stdout,
       f"{who}: under sbx without tx, nothing the probe transmits reaches the peer", f"heard={heard}", out.stdout,
       out.stderr)
    out, heard = run_send(wrap([sbx, "--policy", txpolicy, "--", cprobe, "send", str(cap)]))
    ok(heard > 0 and out.returncode == 0, f"{who}: under sbx with a `tx` capture grant, the probe's frames reach "
       f"the peer ({heard})", out.stdout, out.stderr)

    out = in_a(net, wrap([cprobe, "detach"]))
    ok(out.returncode == 0, f"{who}: without sbx, a filter can be detached", out.stdout, out.stderr)
    out = in_a(net, wrap([sbx, "--capture", "cap=cap0", "--capture-filter", "icmp", "--", cprobe, "detach"]))
    ok(out.returncode == 1 and "detach: failed: Operation not permitted" in out.stdout,
       f"{who}: under sbx, the locked --capture-filter cannot be detached", out.stdout, out.stderr)

    out = in_a(net, wrap([cprobe, "two"]))
    ok(out.returncode == 0, f"{who}: without sbx, two packet sockets", out.stdout, out.stderr)
    out = in_a(net, wrap([*sbxc, cprobe, "two"]))
    ok(out.returncode == 159 and "socket 1: 202" in out.stdout and "two: ok" not in out.stdout,
       f"{who}: under sbx, a second packet socket is refused (the grant allows one)", f"rc={out.returncode}",
       out.stdout, out.stderr)


def promiscuity(net, dev):
    out = sh("ip", "-n", net.a, "-d", "link", "show", dev).stdout.split()
    return int(out[out.index("promiscuity") + 1]) if "promiscuity" in out else -1


def held_member(net, cmd, dev):
    """cmd (capture-probe member) in A; the promiscuity of dev while it holds the membership."""
    p = subprocess.Popen(["ip", "netns", "exec", net.a, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line, seen = p.stdout.readline(), -1
    if "member: ok" in line:
        seen = promiscuity(net, dev)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return seen, line + out, err, p.returncode


def membership_ring_tests(net, who, sbx, cprobe):
    """Without `promisc`, a unicast membership (promiscuous mode by another name on veth) has no
    effect; a packet ring is at most 64 MiB."""
    wrap = unpriv if who == "uid 65534" else (lambda c: c)
    cap = net.ifindex("cap0")
    seen, out, err, rc = held_member(net, wrap([cprobe, "member", str(cap), "2"]), "cap0")
    ok(seen == 1, f"{who}: without sbx, a PACKET_MR_UNICAST membership makes the veth promiscuous "
       f"(promiscuity {seen})", out, err)
    seen, out, err, rc = held_member(net, wrap([sbx, "--capture", "cap=cap0", "--", cprobe, "member", str(cap), "2"]),
                                     "cap0")
    ok(seen == 0 and rc == 0, f"{who}: under sbx without promisc, the unicast membership is answered without "
       f"effect (promiscuity {seen})", f"rc={rc}", out, err)
    seen, out, err, rc = held_member(net, wrap([sbx, "--capture", "cap=cap0:promisc", "--", cprobe, "member",
                                                str(cap), "2"]), "cap0")
    ok(seen > 0 and rc == 0, f"{who}: under sbx with promisc, the membership is made (promiscuity {seen})",
       f"rc={rc}", out, err)
    out = in_a(net, wrap([sbx, "--capture", "cap=cap0", "--", cprobe, "ring", "8"]))
    ok(out.returncode == 0 and "ring: ok 8 MiB" in out.stdout, f"{who}: under sbx, an 8 MiB PACKET_RX_RING is made",
       out.stdout, out.stderr)
    out = in_a(net, wrap([sbx, "--capture", "cap=cap0", "--", cprobe, "ring", "1024"]))
    ok(out.returncode == 1 and "ring: failed: Cannot allocate memory" in out.stdout,
       f"{who}: under sbx, a 1 GiB PACKET_RX_RING is refused with ENOMEM (at most 64 MiB)", out.stdout, out.stderr)


def main():
    if os.geteuid() != 0:
        skip("live capture", "needs root to make network namespaces")
    elif not TCPDUMP:
        skip("live capture", "tcpdump is not installed (scripts/setup installs it)")
    else:
        with Net() as net, tempfile.TemporaryDirectory(prefix="sbx-capture-") as tmp:
            rc, out, err, _ = run_capture_fd(net, [TCPDUMP, "-i", "cap0", "-nn", "-c", "10", "icmp"], [])
            plain = strip_ts(out)
            ok(rc == 0 and len(plain) == 10, "without sbx: tcpdump sees 5 echo requests and 5 replies", out, err)
            usbx, ucprobe, upol = copy_for_unpriv(tmp)
            capture_tests(net, "root", SBX, os.path.join(SRC, "policies"), plain)
            probe_tests(net, "root", SBX, CPROBE, os.path.join(upol, "tx.policy"))
            membership_ring_tests(net, "root", SBX, CPROBE)
            if shutil.which("setpriv"):
                capture_tests(net, "uid 65534", usbx, upol, plain)
                probe_tests(net, "uid 65534", usbx, ucprobe, os.path.join(upol, "tx.policy"))
                membership_ring_tests(net, "uid 65534", usbx, ucprobe)
            else:
                skip("uid 65534 holding CAP_NET_RAW", "setpriv is not installed")
    print(f"1..{n}")


if __name__ == "__main__":
    main()
