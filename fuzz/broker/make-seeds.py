#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz/broker (sbx_req_decode) into corpus/.

Each file is 3 prefix bytes (state, fd byte, recvmsg flags; see fuzz-broker.c) followed by one
datagram as a worker would send it. Layouts follow common/protocol.h (little-endian x86-64):
  hdr     = u16 type, u16 version, u32 len, u64 id                  16 bytes
  open    = hdr, u32 flags, u32 mode, char dir[64], char path[1024]  1112 bytes
  capture = hdr, char name[64]                                       80 bytes
  log     = hdr, u32 level, u32 reserved, char text[512]             536 bytes
Run from anywhere: python3 fuzz/broker/make-seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

OPEN, CAPTURE, LOG, DONE = 1, 2, 3, 4
REP_FD, PUSH_FD = 0x81, 0x84
RUN, LOCKED = 0, 1
R, W, C, T, D = 0x1, 0x2, 0x4, 0x8, 0x10
REQ_MAX = 4096
VERSION = 1  # SBX_REQ_VERSION


def field(s, size, terminate=True):
    b = s.encode() if isinstance(s, str) else s
    b = b[:size]
    b = b + b"\0" * (size - len(b))
    if terminate and b"\0" not in b:
        b = b[:-1] + b"\0"
    return b


def hdr(typ, length, rid=1, version=VERSION):
    return struct.pack("<HHIQ", typ, version, length, rid)


def old_hdr(typ, length, rid=1):
    # A client from before versioning: a 32-bit type where type and version are now.
    return struct.pack("<IIQ", typ, length, rid)


def with_version(b, version):
    return b[:2] + struct.pack("<H", version) + b[4:]


def req_open(dir_="DATA", path="a.txt", flags=R, mode=0o644, length=None, typ=OPEN):
    body = struct.pack("<II", flags, mode) + field(dir_, 64) + field(path, 1024)
    return hdr(typ, 16 + len(body) if length is None else length) + body


def req_capture(name="CAP", length=None):
    body = field(name, 64)
    return hdr(CAPTURE, 16 + len(body) if length is None else length) + body


def req_log(text="hello", level=0, reserved=0, length=None):
    body = struct.pack("<II", level, reserved) + field(text, 512)
    return hdr(LOG, 16 + len(body) if length is None else length) + body


def req_done(length=16):
    return hdr(DONE, length)


def prefix(state=RUN, fds=0, flags=0):
    # fd byte: below 0xc0 means no fds; 0xc0 | n means n fds.
    return bytes([state, 0 if fds == 0 else 0xC0 | fds, flags])


def fix_len(b):
    return b[:4] + struct.pack("<I", len(b)) + b[8:]


SEEDS = {
    # Valid.
    "valid-open-read": prefix() + req_open(),
    "valid-open-rwct": prefix() + req_open("RWC", "new.out", R | W | C | T, 0o600),
    "valid-open-dir": prefix() + req_open("DATA", "sub", D),
    "valid-open-full-path": prefix() + req_open("DATA", "p" * 1023),
    "valid-capture": prefix() + req_capture(),
    "valid-log-run": prefix() + req_log("an event", 2),
    "valid-log-locked": prefix(LOCKED) + req_log("after done", 1),
    "valid-done": prefix() + req_done(),
    # Transport.
    "bad-fd-attached": prefix(fds=1) + req_log(),
    "bad-many-fds": prefix(fds=20) + req_open(),
    "bad-trunc": prefix(flags=1) + req_open(),
    "bad-ctrunc": prefix(flags=2) + req_log(),
    # Sizes.
    "bad-empty": prefix(),
    "bad-short-hdr": prefix() + req_done()[:8],
    "bad-short-open": prefix() + fix_len(req_open()[:-1]),
    "bad-long-open": prefix() + fix_len(req_open() + b"\0"),
    "bad-max-plus-one": prefix() + fix_len(req_open() + b"\0" * (REQ_MAX + 1 - 1112)),
    "bad-max": prefix() + fix_len(req_open() + b"\0" * (REQ_MAX - 1112)),
    "bad-len-mismatch": prefix() + req_open(length=1104),
    "bad-len-zero": prefix() + req_log(length=0),
    "bad-len-huge": prefix() + req_log(length=0xFFFFFFFF),
    "bad-done-with-body": prefix() + fix_len(req_done() + req_done()),
    "bad-log-header-open-body": prefix() + req_open(typ=LOG),
    # Types and states.
    "bad-type-zero": prefix() + hdr(0, 16),
    "bad-type-5": prefix() + hdr(5, 16),
    "bad-type-31": prefix() + hdr(31, 16),
    "bad-type-33": prefix() + hdr(33, 16),
    "bad-type-rep-fd": prefix() + hdr(REP_FD, 16),
    "bad-type-push": prefix() + hdr(PUSH_FD, 16),
    "bad-type-max": prefix() + hdr(0xFFFF, 16),
    "bad-open-locked": prefix(LOCKED) + req_open(),
    "bad-capture-locked": prefix(LOCKED) + req_capture(),
    "bad-done-locked": prefix(LOCKED) + req_done(),
    "bad-state-2": prefix(2) + req_log(),
    "bad-state-negative": prefix(0xFF) + req_log(),
    # Other protocol versions: well framed, so told (EPROTONOSUPPORT), not killed.
    "version-0-done": prefix() + old_hdr(DONE, 16),
    "version-0-open": prefix() + with_version(req_open(), 0),
    "version-0-locked-open": prefix(LOCKED) + with_version(req_open(), 0),
    "version-next-log": prefix() + with_version(req_log(), VERSION + 1),
    "version-next-other-size": prefix() + fix_len(with_version(req_done(), VERSION + 1) + b"\0" * 40),
    "version-max": prefix() + hdr(DONE, 16, version=0xFFFF),
    # ... but framing comes first in every version.
    "bad-version-0-len-mismatch": prefix() + old_hdr(DONE, 32) + bytes(8),
    "bad-version-0-fd-attached": prefix(fds=1) + old_hdr(DONE, 16),
    # Fields.
    "bad-open-dir-nonul": prefix() + req_open(dir_=b"D" * 64).replace(b"D" * 63 + b"\0", b"D" * 64),
    "bad-open-path-nonul": prefix() + req_open()[:24] + field("DATA", 64) + b"p" * 1024,
    "bad-open-flags-unknown": prefix() + req_open(flags=R | 0x20),
    "bad-open-flags-high": prefix() + req_open(flags=R | 0x80000000),
    "bad-open-no-access": prefix() + req_open(flags=C | T),
    "bad-capture-nonul": prefix() + req_capture()[:16] + b"C" * 64,
    "bad-log-nonul": prefix() + req_log()[:24] + b"x" * 512,
    "bad-log-level": prefix() + req_log(level=3),
    "bad-log-reserved": prefix() + req_log(reserved=1),
    # Paths the decoder lets through (the grants refuse them later, not the decoder).
    "path-dotdot": prefix() + req_open("DATA", "../out/secret"),
    "path-absolute": prefix() + req_open("DATA", "/etc/passwd"),
    "path-proc-root": prefix() + req_open("ROOTL", "lnk-root/etc/passwd"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
