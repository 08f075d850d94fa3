#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TAP tests for examples/netmon and policies/netmon-decoder.policy.

    netmon-tests.py GROUP --netmon PATH --decoder PATH --sbx PATH --source-root DIR

GROUP is one of:
  policy     the policy compiles; the decoder does its work under it (sbx, a loopback UDP
             socket standing in for the capture socket) and each --misbehave mode
             (socket, send and write on the capture socket) is stopped with exit 159
  capture    two network namespaces joined by a veth pair; netmon in the first, traffic from
             the second: the decoder sees exactly the datagrams sent, decodes TCP, ICMP and
             IPv6, survives hostile frames, runs with no capabilities in a network namespace of
             its own, is restarted after a SIGKILL and decodes again; SIGINT ends netmon with
             exit 0 and leaves no process behind; --filter and --count
  misbehave  a decoder that breaks its policy is restarted with backoff, netmon gives up after
             --max-restarts and exits 1
  tcpdump    netmon --tcpdump: an unmodified tcpdump under policies/tcpdump.policy is the
             decoder, its own socket(AF_PACKET) answered by netmon's libsbx broker; exactly the
             datagrams sent, no capability in it, a killed tcpdump restarted and exact again,
             SIGINT clean, then --filter (locked) with --count

Only loopback and the namespaces made here carry traffic; addresses are 10.203.7.0/24 inside
those namespaces and IPv6 link-local. Everything made is removed on exit, also on failure.
Groups that need root (network namespaces, CAP_NET_RAW) skip with the reason otherwise.
"""
import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

VIOLATION = 159
NET = "10.203.7"
ADDR_A, ADDR_B = f"{NET}.1", f"{NET}.2"
PORT_A = 9999            # the monitored side's port; nothing listens there
SPORT_FIRST, SPORT_AFTER = 40001, 40002
N_FIRST, N_AFTER = 20, 10


class Tap:
    def __init__(self, plan):
        self.plan = plan
        self.n = 0
        self.failed = 0
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

    def skip_rest(self, reason):
        while self.n < self.plan:
            self.n += 1
            print(f"ok {self.n} # SKIP {reason}", flush=True)

    def done(self):
        if self.n < self.plan:
            self.skip_rest("not reached")
        return 1 if self.failed else 0


def sh(*cmd, check=True, timeout=20):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


# ---- namespaces ----

class Namespaces:
    """Two network namespaces joined by a veth pair (nm0 in A, nm1 in B). Nothing is created in
    the namespace the test runs in."""

    def __init__(self, two=True):
        tag = f"sbxt-{os.getpid()}"
        self.a = f"{tag}-a"
        self.b = f"{tag}-b" if two else None
        self.made = []

    def __enter__(self):
        for ns in filter(None, (self.a, self.b)):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            # IPv6 link-local addresses usable at once (no duplicate detection wait).
            for conf in ("all", "default"):
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0")
        if self.b:
            sh("ip", "-n", self.a, "link", "add", "nm0", "type", "veth", "peer", "name", "nm1", "netns", self.b)
            sh("ip", "-n", self.a, "addr", "add", f"{ADDR_A}/24", "dev", "nm0")
            sh("ip", "-n", self.b, "addr", "add", f"{ADDR_B}/24", "dev", "nm1")
            sh("ip", "-n", self.a, "link", "set", "nm0", "up")
            sh("ip", "-n", self.b, "link", "set", "nm1", "up")
        return self

    def __exit__(self, *exc):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made = []

    def run_in(self, ns, code, *args, timeout=20):
        """Run python code in namespace ns."""
        return sh("ip", "netns", "exec", ns, sys.executable, "-c", code, *map(str, args), timeout=timeout)

    def mac(self, ns, dev):
        out = sh("ip", "-n", ns, "-o", "link", "show", dev).stdout
        return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)

    def link_local(self, ns, dev):
        deadline = time.time() + 5
        while time.time() < deadline:
            out = sh("ip", "-n", ns, "-6", "-o", "addr", "show", "dev", dev, "scope", "link").stdout
            m = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", out)
            if m and "tentative" not in out:
                return m.group(1)
            time.sleep(0.05)
        raise RuntimeError(f"no IPv6 link-local address on {dev} in {ns}")


# ---- netmon under observation ----

class Netmon:
    """netmon running in namespace ns; its output lines are collected with their arrival time."""

    def __init__(self, ns, netmon, decoder, *args):
        cmd = ["ip", "netns", "exec", ns, netmon, "--decoder", decoder, *args]
        self.cmd = cmd
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pred, timeout):
        """Wait until pred(lines) is true (returns its value) or the timeout passes (None)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred([l for _, l in self.lines])
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return pred([l for _, l in self.lines]) or None
                self.cond.wait(min(left, 0.1))

    def text(self):
        with self.cond:
            return [l for _, l in self.lines]

    def timed(self):
        with self.cond:
            return list(self.lines)

    def stop(self, sig=signal.SIGINT, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.reader.join(2)

    def tail(self, n=40):
        return "\n".join(self.text()[-n:])


def started_pids(lines):
    return [int(m.group(1)) for l in lines for m in [re.search(r"decoder started \(sandbox pid (\d+)", l)] if m]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_status(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
    except OSError:
        return {}


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sbx_cgroups(pid):
    roots = ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
    return [os.path.join(r, d) for r in roots if os.path.isdir(r) for d in os.listdir(r) if d.startswith(f"sbx-{pid}-")]


def frames(lines, src, dst, sport, dport):
    pat = re.compile(rf"^nm0: frame \d+ \S+ len \d+ \| eth \S+ > \S+ \| ipv4 {re.escape(src)} > {re.escape(dst)} "
                     rf".*\| udp {sport} > {dport} len \d+$")
    return [l for l in lines if pat.match(l)]


SEND_UDP = """
import socket, sys, time
src, sport, dst, dport, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def addr(a, port):
    if '%' in a:  # link-local: the scope as an interface index
        a, dev = a.split('%')
        return (a, port, 0, socket.if_nametoindex(dev))
    return (a, port)
s = socket.socket(socket.AF_INET6 if ':' in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.bind(addr(src, sport))
for i in range(n):
    s.sendto(b'netmon test %d' % i, addr(dst, dport))
    time.sleep(0.002)
"""

TCP_SYN = """
import socket, sys
s = socket.socket()
s.settimeout(2)
s.bind((sys.argv[1], 40100))
try:
    s.connect((sys.argv[2], 7777))
except OSError:
    pass
"""

SEND_RAW = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("nm1", 0))
for h in sys.argv[1:]:
    s.send(bytes.fromhex(h))
"""


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


def ipv4(src, dst, proto, payload, ihl=5, total=None, opts=b""):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total if total is not None else 4 * ihl + len(payload),
                      1, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    return hdr + payload


def hostile_frames(dst_mac, src_mac):
    """(description, unique source address, expected note, frame bytes)."""
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    udp = struct.pack("!HHHH", 5000, PORT_A, 8, 0)
    out = []
    # IPv4 claiming a 60-byte header in a frame that holds 20 bytes of it.
    out.append(("ipv4 header length beyond the frame", f"{NET}.101", "ipv4 options truncated",
                eth + b"\x08\x00" + ipv4(f"{NET}.101", ADDR_A, 17, b"", ihl=15, total=60)))
    # IPv4 whose total length is below its header length.
    out.append(("ipv4 total length below its header", f"{NET}.102", "malformed: ipv4 total length",
                eth + b"\x08\x00" + ipv4(f"{NET}.102", ADDR_A, 17, udp, total=12)))
    # IPv4 header length below 20.
    out.append(("ipv4 header length 8", f"{NET}.103", "malformed: ipv4 header length 8",
                eth + b"\x08\x00" + ipv4(f"{NET}.103", ADDR_A, 17, udp, ihl=2, total=28)))
    # TCP with a data offset of 2 words.
    tcp = struct.pack("!HHIIBBHHH", 5000, 80, 1, 0, 0x20, 0x02, 1024, 0, 0)
    out.append(("tcp data offset below 20", f"{NET}.104", "malformed: tcp header length 8",
                eth + b"\x08\x00" + ipv4(f"{NET}.104", ADDR_A, 6, tcp)))
    # TCP with a data offset of 60 bytes in a 20-byte segment.
    tcp = struct.pack("!HHIIBBHHH", 5000, 80, 1, 0, 0xf0, 0x02, 1024, 0, 0)
    out.append(("tcp options beyond the segment", f"{NET}.105", "tcp options truncated (20 of 60 bytes)",
                eth + b"\x08\x00" + ipv4(f"{NET}.105", ADDR_A, 6, tcp)))
    # UDP whose length field claims more than the datagram holds.
    out.append(("udp length beyond the datagram", f"{NET}.106", "udp payload truncated",
                eth + b"\x08\x00" + ipv4(f"{NET}.106", ADDR_A, 17, struct.pack("!HHHH", 5000, PORT_A, 4000, 0))))
    # Six stacked VLAN tags: the receiving kernel moves the outer one into the packet's
    # metadata, the decoder sees five and stops at four.
    vlans = b"".join(b"\x81\x00" + struct.pack("!H", 10 + i) for i in range(6))
    out.append(("six vlan tags", None, "malformed: more than 4 vlan tags",
                eth + vlans + b"\x08\x00" + ipv4(f"{NET}.107", ADDR_A, 17, udp)))
    # IPv6 with nine hop-by-hop/destination-options headers in a chain.
    ext = b"".join(bytes([60, 0]) + b"\x01\x04\0\0\0\0" for _ in range(9))
    v6 = struct.pack("!IHBB16s16s", 0x60000000, len(ext), 0, 64, socket.inet_pton(socket.AF_INET6, "fe80::108"),
                     socket.inet_pton(socket.AF_INET6, "fe80::1"))
    out.append(("ipv6 extension header chain of nine", "fe80::108", "malformed: more than 8 ipv6 extension headers",
                eth + b"\x86\xdd" + v6 + ext))
    # IPv6 payload length beyond the frame.
    v6 = struct.pack("!IHBB16s16s", 0x60000000, 1000, 17, 64, socket.inet_pton(socket.AF_INET6, "fe80::109"),
                     socket.inet_pton(socket.AF_INET6, "fe80::1"))
    out.append(("ipv6 payload length beyond the frame", "fe80::109", "ipv6 payload truncated",
                eth + b"\x86\xdd" + v6 + udp))
    # The shortest frame a packet socket sends: an Ethernet header and nothing after it
    # (veth does not pad to 60 bytes as hardware would).
    out.append(("ipv4 frame with nothing after the ethertype", None, "ipv4 truncated (0 of 20 bytes)",
                eth + b"\x08\x00"))
    return out


# ---- groups ----

def group_policy(args, tap):
    policy = os.path.join(args.source_root, "policies", "netmon-decoder.policy")
    r = sh(args.sbx, "policy", "check", policy, check=False)
    tap.ok(r.returncode == 0, "policies/netmon-decoder.policy compiles", r.stderr)
    r = sh(args.sbx, "policy", "explain", policy, check=False)
    rules = r.stdout
    tap.ok(re.search(r"^write: arg0 == 4\b", rules, re.M) and re.search(r"^recvfrom: arg0 == 3\b", rules, re.M)
           and re.search(r"^exec none\b", rules, re.M)
           and not re.search(r"^(socket|sendto|sendmsg|sendmmsg|writev|setsockopt|openat|execve)\b", rules, re.M),
           "write only on fd 4, recvfrom only on fd 3, exec none, no socket/send*/openat", rules)

    # sbx must work here at all (user namespaces), else the rest says nothing.
    r = sh(args.sbx, "--", "/bin/true", check=False)
    if r.returncode != 0:
        tap.skip_rest(f"sbx -- /bin/true fails here: {r.stderr.strip()[:200]}")
        return

    def under_sbx(*decoder_args, send=0, timeout=15):
        """The decoder under sbx and the policy, with a bound UDP socket on loopback as its
        'capture' socket (fd 3) and our pipe as OUT (fd 4)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cmd = [args.sbx, "--policy", policy, "--listen", f"CAPTURE=udp:127.0.0.1:{port}", "--fd", "OUT=1", "--",
               args.decoder, *decoder_args]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            deadline = time.monotonic() + timeout
            while send and p.poll() is None and time.monotonic() < deadline:
                s.sendto(b"not a frame", ("127.0.0.1", port))
                time.sleep(0.05)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    rc, out, err = under_sbx("--count", "3", send=True)
    n = len(re.findall(r"^frame \d+ ", out, re.M))
    tap.ok(rc == 0 and n == 3, "the decoder reads 3 datagrams and writes 3 lines under the policy",
           f"exit {rc}, {n} lines\n{out}\n{err}")
    for mode, call in (("socket", "socket"), ("send", "sendto"), ("write", "write")):
        rc, out, err = under_sbx("--misbehave", mode)
        tap.ok(rc == VIOLATION and call in err and "returned" not in out,
               f"--misbehave {mode}: {call}() is stopped before it runs (exit 159)", f"exit {rc}\n{out}\n{err}")


def with_netmon(args, tap, checks, decoder, *netmon_args):
    """checks(args, tap, ns, nm) with netmon running on the veth pair; everything removed after."""
    with Namespaces() as ns:
        nm = Netmon(ns.a, args.netmon, decoder, *netmon_args)
        try:
            checks(args, tap, ns, nm)
        finally:
            if nm.proc.poll() is None:
                nm.stop(signal.SIGKILL)
            if os.environ.get("NETMON_TESTS_VERBOSE"):
                tap.diag("\n".join(nm.text()))


def group_capture(args, tap):
    with_netmon(args, tap, capture_checks, args.decoder, "--max-restarts", "3", "nm0")


def capture_checks(args, tap, ns, nm):
    lines = nm.wait_for(lambda ls: any("decoder started" in l for l in ls), 10)
    if not tap.ok(lines, "netmon starts a decoder on nm0", nm.tail()):
        tap.skip_rest("netmon did not start")
        return
    init = started_pids(nm.text())[0]

    # The worker: the decoder is the child of the sandbox's init.
    deadline = time.time() + 5
    dec = None
    while time.time() < deadline and dec is None:
        for c in children(init):
            if b"--iface" in cmdline(c) and b"nm0" in cmdline(c):
                dec = c
        time.sleep(0.02)
    st = proc_status(dec) if dec else {}
    try:
        same_net = os.readlink(f"/proc/{dec}/ns/net") == os.readlink(f"/proc/{nm.proc.pid}/ns/net")
    except OSError:
        same_net = True
    tap.ok(dec and st.get("CapEff", "").strip("0") == "" and st.get("CapPrm", "").strip("0") == ""
           and st.get("CapBnd", "").strip("0") == "" and st.get("Seccomp", "").strip() == "2"
           and st.get("NoNewPrivs", "").strip() == "1" and st.get("Uid", "").split()[:1] != ["0"] and not same_net,
           "the decoder has no capabilities, a seccomp filter, a non-root uid and a network namespace of its own",
           f"decoder pid {dec}: {st}")

    cg_running = sbx_cgroups(nm.proc.pid)

    # Traffic: warm up the neighbour entry, then exactly N_FIRST datagrams.
    ns.run_in(ns.b, SEND_UDP, ADDR_B, 40000, ADDR_A, 9, 1)
    time.sleep(0.2)
    ns.run_in(ns.b, SEND_UDP, ADDR_B, SPORT_FIRST, ADDR_A, PORT_A, N_FIRST)
    got = nm.wait_for(lambda ls: len(frames(ls, ADDR_B, ADDR_A, SPORT_FIRST, PORT_A)) >= N_FIRST, 10)
    time.sleep(0.3)  # any extra would have arrived by now
    n = len(frames(nm.text(), ADDR_B, ADDR_A, SPORT_FIRST, PORT_A))
    tap.ok(got and n == N_FIRST, f"the decoder saw exactly the {N_FIRST} datagrams sent from B to A", f"saw {n}\n{nm.tail()}")
    tap.ok(any(re.search(rf"\| ipv4 {ADDR_A} > {ADDR_B} .*\| icmp unreachable code 3$", l) for l in nm.text()),
           "ICMP port unreachable going back is decoded (out)", nm.tail())

    # TCP: a SYN to a closed port and the RST answer.
    ns.run_in(ns.b, TCP_SYN, ADDR_B, ADDR_A)
    ok = nm.wait_for(lambda ls: any(re.search(r"\| tcp 40100 > 7777 \[S\] seq \d+ ack 0 win \d+ len 0$", l) for l in ls)
                     and any(re.search(r"\| tcp 7777 > 40100 \[R\.\]", l) for l in ls), 5)
    tap.ok(ok, "TCP SYN and the RST answer are decoded", nm.tail())

    # IPv6: UDP between the link-local addresses.
    ll_a = ns.link_local(ns.a, "nm0")
    ll_b = ns.link_local(ns.b, "nm1")
    ns.run_in(ns.b, SEND_UDP, f"{ll_b}%nm1", 40003, f"{ll_a}%nm1", PORT_A, 3)
    pat = re.compile(rf"\| ipv6 {re.escape(ll_b)} > {re.escape(ll_a)} hlim \d+ plen \d+ \| udp 40003 > {PORT_A} len \d+$")
    ok = nm.wait_for(lambda ls: sum(1 for l in ls if pat.search(l)) >= 3, 5)
    tap.ok(ok, "IPv6 UDP between link-local addresses is decoded", nm.tail())

    # Hostile frames, injected from B with a packet socket.
    hostile = hostile_frames(ns.mac(ns.a, "nm0"), ns.mac(ns.b, "nm1"))
    ns.run_in(ns.b, SEND_RAW, *[f.hex() for _, _, _, f in hostile])
    want = [note for _, _, note, _ in hostile]
    nm.wait_for(lambda ls: all(any(note in l for l in ls) for note in want), 5)
    missing = [desc for desc, _, note, _ in hostile if not any(note in l for l in nm.text())]
    tap.ok(not missing, f"{len(hostile)} hostile frames are each noted as truncated or malformed",
           "missing: " + ", ".join(missing) + "\n" + nm.tail(30))
    tap.ok(started_pids(nm.text()) == [init] and not any("decoder ended" in l for l in nm.text()) and alive(dec),
           "the decoder survived them", nm.tail())

    # Kill the decoder: netmon restarts it, and the new one decodes.
    os.kill(dec, signal.SIGKILL)
    ok = nm.wait_for(lambda ls: len(started_pids(ls)) >= 2, 10)
    text = "\n".join(nm.text())
    tap.ok(ok and re.search(r"nm0: decoder ended after \d+ ms: signaled, status 137", text)
           and "restarting the decoder in 100 ms (restart 1 of at most 3 in a row)" in text
           and re.search(r"start 2, after waiting (\d+) ms\)", text)
           and int(re.search(r"start 2, after waiting (\d+) ms\)", text).group(1)) >= 100,
           "SIGKILL of the decoder: reported, restarted after 100 ms", nm.tail())
    init2 = started_pids(nm.text())[-1]
    ns.run_in(ns.b, SEND_UDP, ADDR_B, SPORT_AFTER, ADDR_A, PORT_A, N_AFTER)
    got = nm.wait_for(lambda ls: len(frames(ls, ADDR_B, ADDR_A, SPORT_AFTER, PORT_A)) >= N_AFTER, 10)
    time.sleep(0.3)
    n = len(frames(nm.text(), ADDR_B, ADDR_A, SPORT_AFTER, PORT_A))
    tap.ok(got and n == N_AFTER, f"the restarted decoder saw exactly the {N_AFTER} new datagrams", f"saw {n}\n{nm.tail()}")
    dec2 = [c for c in children(init2) if b"nm0" in cmdline(c)]

    # SIGINT: exit 0, nothing left.
    t0 = time.monotonic()
    rc = nm.stop(signal.SIGINT)
    took = time.monotonic() - t0
    text = "\n".join(nm.text())
    tap.ok(rc == 0 and "netmon: exiting with status 0" in text and took < 5,
           f"SIGINT: netmon stops its decoder and exits 0 ({took:.2f} s)", f"exit {rc}\n{nm.tail()}")
    left = [p for p in [init, dec, init2, *dec2] if p and alive(p)]
    in_ns = sh("ip", "netns", "pids", ns.a, check=False).stdout.split()
    cg = sbx_cgroups(nm.proc.pid)
    tap.ok(not left and not in_ns and not cg, "no worker process, namespace member or cgroup is left behind"
           + (f" (the decoder ran in {len(cg_running)} cgroup(s))" if cg_running else " (netmon saw no cgroup hierarchy)"),
           f"alive {left}, in {ns.a}: {in_ns}, cgroups {cg}")

    # --filter and --count: the filter is compiled by netmon's broker and locked onto the socket.
    # The datagrams it rejects go first: were it not applied, they would be the frames counted.
    nm2 = Netmon(ns.a, args.netmon, args.decoder, "--filter", f"udp and dst port {PORT_A}", "--count", "5", "nm0")
    try:
        started = nm2.wait_for(lambda ls: any("decoder started" in l for l in ls), 10)
        ns.run_in(ns.b, SEND_UDP, ADDR_B, 40004, ADDR_A, PORT_A - 1, 5)
        ns.run_in(ns.b, SEND_UDP, ADDR_B, 40005, ADDR_A, PORT_A, 5)
        rc = nm2.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = nm2.stop(signal.SIGKILL)
    nm2.reader.join(2)
    text = nm2.text()
    decoded = [l for l in text if l.startswith("nm0: frame ")]
    tap.ok(started and rc == 0 and len(decoded) == 5 and len(frames(text, ADDR_B, ADDR_A, 40005, PORT_A)) == 5
           and "netmon: nm0: decoder finished" in text,
           "--filter: only matching frames reach the decoder; --count 5: it finishes and netmon exits 0",
           f"exit {rc}\n" + "\n".join(text[-20:]))


def group_misbehave(args, tap):
    with Namespaces(two=False) as ns:
        # socket(): the decoder is stopped at once, every time.
        nm = Netmon(ns.a, args.netmon, args.decoder, "--max-restarts", "2", "--decoder-arg", "--misbehave",
                    "--decoder-arg", "socket", "lo")
        try:
            nm.proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        rc = nm.stop(signal.SIGKILL) if nm.proc.poll() is None else nm.proc.returncode
        nm.reader.join(2)
        lines = nm.timed()
        text = "\n".join(l for _, l in lines)
        ends = [(t, l) for t, l in lines if "decoder ended" in l]
        starts = [(t, l) for t, l in lines if "decoder started" in l]
        tap.ok(len(starts) == 3 and len(ends) == 3, "with --max-restarts 2 the decoder is started 3 times",
               text)
        tap.ok(all(re.search(r"policy violation, status 159: .*system call socket\(", l) for _, l in ends),
               "each run ends as a policy violation naming socket()", text)
        tap.ok("restarting the decoder in 100 ms" in text and "restarting the decoder in 200 ms" in text,
               "the restart delays double: 100 ms, 200 ms", text)
        # netmon measures each wait with the event loop's own clock, the one its restart timer is
        # armed and fired by (the times this test reads lines at lag under load).
        waits = [int(m.group(1)) for _, l in starts for m in [re.search(r"after waiting (\d+) ms", l)] if m]
        tap.ok(waits == sorted(waits) and len(waits) == 2 and waits[0] >= 100 and waits[1] >= 200,
               "each restart waits its delay", f"waits {waits}")
        tap.ok("giving up after 3 failures in a row" in text and rc == 1,
               "netmon gives up and exits 1 once every interface is given up", f"exit {rc}\n{text}")
        pids = started_pids([l for _, l in lines])
        tap.ok(not [p for p in pids if alive(p)], "no sandbox is left running", str(pids))

        # send() on the capture socket would put a frame on the wire: stopped, not retried.
        nm = Netmon(ns.a, args.netmon, args.decoder, "--max-restarts", "0", "--decoder-arg", "--misbehave",
                    "--decoder-arg", "send", "lo")
        try:
            rc = nm.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = nm.stop(signal.SIGKILL)
        nm.reader.join(2)
        text = "\n".join(nm.text())
        tap.ok(rc == 1 and re.search(r"policy violation, status 159: .*system call sendto\(", text)
               and "returned" not in text and "giving up after 1 failure in a row" in text,
               "--misbehave send: sendto() on the capture socket is a violation; --max-restarts 0 gives up at once",
               f"exit {rc}\n{text}")


def tcpdump_frames(lines, src, dst, sport, dport):
    pat = re.compile(rf"^nm0: \d\d:\d\d:\d\d\.\d{{6}} IP {re.escape(src)}\.{sport} > {re.escape(dst)}\.{dport}: UDP, length \d+$")
    return [l for l in lines if pat.match(l)]


def tcpdump_pid(init):
    """The tcpdump below the sandbox's init (its only child)."""
    deadline = time.time() + 5
    while time.time() < deadline:
        for c in children(init):
            if cmdline(c)[:1] == [b"tcpdump"]:
                return c
        time.sleep(0.02)
    return None


def group_tcpdump(args, tap):
    import shutil
    if not shutil.which("tcpdump"):
        tap.skip_rest("tcpdump is not installed")
        return
    with_netmon(args, tap, tcpdump_checks, "tcpdump", "--tcpdump", "--max-restarts", "3", "nm0")


def send_counted(ns, nm, sport, n):
    ns.run_in(ns.b, SEND_UDP, ADDR_B, sport, ADDR_A, PORT_A, n)
    got = nm.wait_for(lambda ls: len(tcpdump_frames(ls, ADDR_B, ADDR_A, sport, PORT_A)) >= n, 10)
    time.sleep(0.3)  # any extra would have arrived by now
    return got, len(tcpdump_frames(nm.text(), ADDR_B, ADDR_A, sport, PORT_A))


def tcpdump_checks(args, tap, ns, nm):
    ok = nm.wait_for(lambda ls: any("nm0: listening on nm0" in l for l in ls), 10)
    if not tap.ok(ok, "netmon --tcpdump starts tcpdump on nm0 (its 'listening on' relayed)", nm.tail()):
        tap.skip_rest("tcpdump did not start")
        return
    init = started_pids(nm.text())[0]
    dec = tcpdump_pid(init)
    st = proc_status(dec) if dec else {}
    caps = [st.get(k, "").strip("0") for k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")]
    tap.ok(dec and not any(caps) and st.get("Seccomp", "").strip() == "2" and st.get("Uid", "").split()[:1] != ["0"],
           "tcpdump has no capability at all, a seccomp filter and a non-root uid", f"pid {dec}: {st}")
    ns.run_in(ns.b, SEND_UDP, ADDR_B, 40000, ADDR_A, 9, 1)  # the neighbour entry
    time.sleep(0.2)
    got, n = send_counted(ns, nm, SPORT_FIRST, N_FIRST)
    tap.ok(got and n == N_FIRST, f"tcpdump saw exactly the {N_FIRST} datagrams sent from B to A", f"saw {n}\n{nm.tail()}")

    os.kill(dec, signal.SIGKILL)
    ok = nm.wait_for(lambda ls: len(started_pids(ls)) >= 2 and sum("nm0: listening on" in l for l in ls) >= 2, 10)
    text = "\n".join(nm.text())
    tap.ok(ok and re.search(r"nm0: decoder ended after \d+ ms: signaled, status 137", text)
           and "restarting the decoder in 100 ms (restart 1 of at most 3 in a row)" in text,
           "SIGKILL of tcpdump: reported, restarted after 100 ms", nm.tail())
    init2 = started_pids(nm.text())[-1]
    got, n = send_counted(ns, nm, SPORT_AFTER, N_AFTER)
    tap.ok(got and n == N_AFTER, f"the restarted tcpdump saw exactly the {N_AFTER} new datagrams", f"saw {n}\n{nm.tail()}")
    dec2 = tcpdump_pid(init2)

    t0 = time.monotonic()
    rc = nm.stop(signal.SIGINT)
    took = time.monotonic() - t0
    text = "\n".join(nm.text())
    tap.ok(rc == 0 and "netmon: exiting with status 0" in text and took < 5,
           f"SIGINT: netmon stops tcpdump and exits 0 ({took:.2f} s)", f"exit {rc}\n{nm.tail()}")
    left = [p for p in [init, dec, init2, dec2] if p and alive(p)]
    in_ns = sh("ip", "netns", "pids", ns.a, check=False).stdout.split()
    tap.ok(not left and not in_ns, "no worker process or namespace member is left behind", f"alive {left}, in ns {in_ns}")

    # --filter is locked by netmon's broker; tcpdump's own copy of it is answered without effect.
    # The datagrams it rejects go first: were it not applied, they would be the ones counted.
    expr = f"udp and dst port {PORT_A}"
    nm2 = Netmon(ns.a, args.netmon, "tcpdump", "--tcpdump", "--filter", expr, "--decoder-arg", expr, "--count", "5",
                 "nm0")
    try:
        started = nm2.wait_for(lambda ls: any("nm0: listening on" in l for l in ls), 10)
        ns.run_in(ns.b, SEND_UDP, ADDR_B, 40004, ADDR_A, PORT_A - 1, 5)
        ns.run_in(ns.b, SEND_UDP, ADDR_B, 40005, ADDR_A, PORT_A, 5)
        rc = nm2.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = nm2.stop(signal.SIGKILL)
    nm2.reader.join(2)
    text = nm2.text()
    tap.ok(started and rc == 0 and len(tcpdump_frames(text, ADDR_B, ADDR_A, 40005, PORT_A)) == 5
           and not tcpdump_frames(text, ADDR_B, ADDR_A, 40004, PORT_A - 1) and "netmon: nm0: decoder finished" in text,
           "--filter with tcpdump: only matching datagrams; --count 5: tcpdump finishes and netmon exits 0",
           f"exit {rc}\n" + "\n".join(text[-20:]))


GROUPS = {"policy": (group_policy, 6, False), "capture": (group_capture, 13, True),
          "misbehave": (group_misbehave, 7, True), "tcpdump": (group_tcpdump, 8, True)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("group", choices=GROUPS)
    ap.add_argument("--netmon", required=True)
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--sbx", required=True)
    ap.add_argument("--source-root", required=True)
    args = ap.parse_args()
    fn, plan, needs_root = GROUPS[args.group]
    tap = Tap(plan)
    if needs_root and os.geteuid() != 0:
        tap.skip_rest("needs root (network namespaces, CAP_NET_RAW)")
        return 0
    if needs_root and subprocess.run(["ip", "-V"], capture_output=True).returncode != 0:
        tap.skip_rest("needs iproute2 (ip)")
        return 0
    # SIGTERM from meson's timeout: leave through the finally clauses that remove namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        fn(args, tap)
    except Exception as e:  # a broken setup is a failure, never a silent pass
        tap.ok(False, f"{args.group}: {type(e).__name__}: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
