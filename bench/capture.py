#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live capture under sbx against unsandboxed, paired in one run (bench/README.md).

    sudo bench/capture.py [BUILD-DIR] [ROUNDS] [PACKETS]

Makes two network namespaces, sbxbench-PID-a and -b, joined by one veth pair with
10.203.99.1/24 (A) and 10.203.99.2/24 (B) on it and nothing else. In each round, for each of
the two ways in an order that alternates between rounds,

    plain  tcpdump -i vbench0 -nn udp > /dev/null
    sbx    sbx --capture cap=vbench0 -- tcpdump -i vbench0 -nn udp > /dev/null

runs in A, a sender in B floods PACKETS UDP datagrams of 64 bytes to 10.203.99.1 port 9 (never
any other address) as fast as it can, for at most 10 s, then tcpdump is stopped with SIGINT and
its own report is read: "N packets captured", "N packets received by filter", "N packets
dropped by kernel". Printed per round and as medians: the sender's rate, packets captured per
second of flood, the share of the flood captured, and the kernel's drops, with the ratios
sbx/plain. Target: no more drops under sbx than without it.

Needs root, tcpdump and `ip`. The namespaces are removed on every exit path."""
import os
import re
import signal
import statistics
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
PACKETS = int(sys.argv[3]) if len(sys.argv) > 3 else 200000
FLOOD_SECONDS = 10
DST = "10.203.99.1"

SENDER = r"""
import socket, sys, time
n, limit = int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9))
payload = b"x" * 64
start = time.monotonic()
sent = 0
while sent < n:
    try:
        s.send(payload)
        sent += 1
    except (BlockingIOError, ConnectionRefusedError):
        pass  # the port unreachable answers come back as errors on a connected socket
    if sent % 4096 == 0 and time.monotonic() - start > limit:
        break
print(sent, time.monotonic() - start)
"""


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True)


class Net:
    def __init__(self):
        self.a, self.b = f"sbxbench-{os.getpid()}-a", f"sbxbench-{os.getpid()}-b"
        self.made = []

    def __enter__(self):
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.a, "link", "add", "vbench0", "type", "veth", "peer", "name", "vbench1", "netns", self.b)
        sh("ip", "-n", self.a, "addr", "add", f"{DST}/24", "dev", "vbench0")
        sh("ip", "-n", self.b, "addr", "add", "10.203.99.2/24", "dev", "vbench1")
        sh("ip", "-n", self.a, "link", "set", "vbench0", "up")
        sh("ip", "-n", self.b, "link", "set", "vbench1", "up")
        # No ICMP port unreachable answers: they would be traffic on the pair beside the flood.
        sh("ip", "netns", "exec", self.a, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=1000000")
        return self

    def __exit__(self, *exc):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


STATS = {k: re.compile(rf"(\d+) packets? {k}") for k in ("captured", "received by filter", "dropped by kernel")}


def one(net, way, sbx, tcpdump):
    cmd = [tcpdump, "-i", "vbench0", "-nn", "udp"]
    if way == "sbx":
        cmd = [sbx, "--capture", "cap=vbench0", "--", *cmd]
    p = subprocess.Popen(["ip", "netns", "exec", net.a, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    err = []
    deadline = time.monotonic() + 10
    for line in p.stderr:
        err.append(line)
        if "listening on" in line or time.monotonic() > deadline:
            break
    time.sleep(0.2)
    out = sh("ip", "netns", "exec", net.b, sys.executable, "-c", SENDER, DST, str(PACKETS), str(FLOOD_SECONDS))
    sent, secs = out.stdout.split()
    sent, secs = int(sent), float(secs)
    time.sleep(1.0)  # what is queued drains
    p.send_signal(signal.SIGINT)
    try:
        _, rest = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, rest = p.communicate()
    text = "".join(err) + rest
    got = {k: int(m.group(1)) if (m := r.search(text)) else None for k, r in STATS.items()}
    if got["captured"] is None:
        raise RuntimeError(f"{way}: no statistics from tcpdump (exit {p.returncode}):\n{text}")
    return {"sent": sent, "secs": secs, **got}


def main():
    if os.geteuid() != 0:
        sys.exit("capture.py: needs root (network namespaces, CAP_NET_RAW)")
    import shutil
    tcpdump = shutil.which("tcpdump")
    sbx = os.path.join(BUILD, "sbx")
    if not tcpdump or not os.access(sbx, os.X_OK):
        sys.exit(f"capture.py: needs tcpdump and {sbx}")
    res = {"plain": [], "sbx": []}
    with Net() as net:
        one(net, "plain", sbx, tcpdump)  # warm-up, not recorded
        for r in range(ROUNDS):
            for way in (("plain", "sbx") if r % 2 == 0 else ("sbx", "plain")):
                x = one(net, way, sbx, tcpdump)
                res[way].append(x)
                print(f"round {r + 1} {way:5}: sent {x['sent']} in {x['secs']:.2f} s ({x['sent'] / x['secs']:.0f}/s), "
                      f"captured {x['captured']}, received by filter {x['received by filter']}, "
                      f"dropped by kernel {x['dropped by kernel']}", flush=True)

    def med(way, f):
        return statistics.median(f(x) for x in res[way])

    print(f"\nmedians over {ROUNDS} rounds of {PACKETS} datagrams (at most {FLOOD_SECONDS} s each):")
    rows = {
        "flood rate (sent/s)": lambda x: x["sent"] / x["secs"],
        "captured/s": lambda x: x["captured"] / x["secs"],
        "captured share": lambda x: x["captured"] / x["sent"],
        "dropped by kernel": lambda x: x["dropped by kernel"] or 0,
    }
    for name, f in rows.items():
        p, s = med("plain", f), med("sbx", f)
        ratio = f"{s / p:.3f}" if p else ("1.000" if s == p else "inf")
        print(f"  {name:20} plain {p:12.3f}   sbx {s:12.3f}   sbx/plain {ratio}")
    drops_p = sum(x["dropped by kernel"] or 0 for x in res["plain"])
    drops_s = sum(x["dropped by kernel"] or 0 for x in res["sbx"])
    print(f"  total drops: plain {drops_p}, sbx {drops_s}: target (sbx <= plain) "
          f"{'met' if drops_s <= drops_p else 'NOT met'}")


main()
