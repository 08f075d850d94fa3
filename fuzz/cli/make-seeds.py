#!/usr/bin/env python3
"""Seed corpus for fuzz/cli: command lines, NUL-separated (argv[0] is added by the target).
valid-* are accepted by sbx_cli_parse, bad-* refused. Run from anywhere; writes corpus/."""
import os

here = os.path.dirname(os.path.abspath(__file__))
seeds = {
    "valid-plain": ["--", "true"],
    "valid-policy": ["--policy", "pcap", "--param", "in=/x", "prog", "arg"],
    "valid-paths": ["--ro", "/usr", "--rw", "/tmp/x", "-v", "-v", "--", "sh", "-c", "echo"],
    "valid-limits": ["--time-limit", "1.5", "--kill-after", "2s", "--memory-limit", "64M",
                     "--pids-limit", "16", "true"],
    "valid-resources": ["--file", "in=/etc/hosts:r", "--dir", "d=/tmp:rwc:*.txt", "--connect",
                        "c=tcp:127.0.0.1:80", "--listen", "l=unix:/tmp/s", "--fd", "x=0",
                        "--capture", "cap=lo", "--capture-filter", "tcp", "--requests", "prog"],
    "valid-ids": ["--id-range", "100000:100000:16", "--user", "1000:1000", "--subid", "self", "id"],
    "valid-learn": ["--learn", "/tmp/out.policy", "--force", "prog"],
    "valid-each": ["--each", "-", "-j", "3", "--json-status-fd", "3", "echo", "{}"],
    "valid-help": ["--help"],
    "valid-version": ["-V"],
    "valid-quiet": ["-q", "--no-seccomp", "--record-namespaces", "--syslog", "prog"],
    "empty": [],
    "bad-unknown": ["--polcy", "x", "prog"],
    "bad-unknown-short": ["-Z", "prog"],
    "bad-missing-value": ["--policy"],
    "bad-policy-twice": ["--policy", "a", "--policy", "b", "prog"],
    "bad-relative-ro": ["--ro", "usr", "prog"],
    "bad-id-range-negative": ["--id-range", "-1:-1:2", "prog"],
    "bad-id-range-form": ["--id-range", "1:2:3:4", "prog"],
    "bad-id-range-overflow": ["--id-range", "4294967290:1:10", "prog"],
    "bad-pids-zero": ["--pids-limit", "0", "prog"],
    "bad-memory-small": ["--memory-limit", "1K", "prog"],
    "bad-jobs-no-each": ["-j", "2", "prog"],
    "bad-force-no-learn": ["--force", "prog"],
    "bad-learn-no-seccomp": ["--learn", "/tmp/o", "--no-seccomp", "prog"],
    "bad-capture-filter-first": ["--capture-filter", "tcp", "prog"],
    "bad-param-form": ["--param", "=x", "prog"],
    "bad-control-chars": ["--policy", "/x\nsbx: ok\x1b[2J", "--bogus\r", "prog"],
    "bad-too-many-paths": ["--ro", "/a"] * 65 + ["prog"],
}
os.makedirs(os.path.join(here, "corpus"), exist_ok=True)
for name, args in seeds.items():
    with open(os.path.join(here, "corpus", name), "wb") as f:
        f.write(b"\0".join(a.encode() for a in args))
