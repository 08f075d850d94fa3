#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz/launch (sbx_launch_decode) into corpus/.

Each file is 3 prefix bytes (state, fd byte, flags; see input.h) followed by one datagram as
the sandbox would send it. The layout follows common/protocol.h (little-endian):
  struct sbx_launch_msg = u32 type, u32 step, i32 error, i32 status, char detail[192],
                          i32 listener                                                 212 bytes
valid-* must decode, bad-* must be refused; between them the bad-* seeds reach every refusal
in sbx_launch_decode() (corpus-check verifies both).
The step numbers are read from enum sbx_step in common/protocol.h: renumbering the steps wants
the corpus regenerated (corpus-check fails until it is).
Run from anywhere: python3 fuzz/launch/make-seeds.py
"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
PROTOCOL_H = os.path.join(HERE, "..", "..", "common", "protocol.h")


def steps():
    """enum sbx_step as a dict NAME -> value (the enum counts from SBX_STEP_NONE = 0)."""
    with open(PROTOCOL_H) as f:
        body = re.search(r"enum sbx_step \{(.*?)\};", f.read(), re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = re.findall(r"SBX_STEP_(\w+)", body)
    return {name: i for i, name in enumerate(names)}


STEPS = steps()
GO, ERROR, EXEC, STATUS, FILTER, TAKEN, READY, ZYGOTE, JOB, STARTED = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
SETUP, RUNNING, FAILED, ENDED, PREPARING, READY_STATE, ZSETUP, ZIDLE, ZJOB = 0, 1, 2, 3, 4, 5, 6, 7, 8
STEP_SYNC, STEP_HOSTNAME, STEP_LANDLOCK = STEPS["SYNC"], STEPS["HOSTNAME"], STEPS["LANDLOCK"]
STEP_EXEC, STEP_MAX, STEP_JOB = STEPS["EXEC"], STEPS["MAX_"], STEPS["JOB"]
STEP_ZYGOTE = STEPS["ZYGOTE"]
assert STEPS["NONE"] == 0 and STEP_EXEC == STEP_MAX - 1
TRUNC, CTRUNC, SECCOMP = 1, 2, 4
ENOENT, EACCES, EPERM = 2, 13, 1
DETAIL = 192
MSG = 16 + DETAIL + 4


def detail(s):
    b = s.encode() if isinstance(s, str) else s
    return b + b"\0" * (DETAIL - len(b))


def msg(typ, step=0, error=0, status=0, text="", listener=0):
    return struct.pack("<IIii", typ, step, error, status) + detail(text) + struct.pack("<i", listener)


def error(step=STEP_HOSTNAME, errno=ENOENT, text="sbx"):
    return msg(ERROR, step, errno, 0, text)


def status(st=0):
    return msg(STATUS, status=st)


def prefix(state=SETUP, fds=0, flags=0):
    # fd byte: below 0xc0 means no fds; 0xc0 | n means n fds. state is a signed byte.
    return bytes([state & 0xFF, 0 if fds == 0 else 0xC0 | fds, flags])


SEEDS = {
    # Valid, one per row of the state table, and the edges of every range.
    "valid-error-setup": prefix() + error(),
    "valid-error-setup-exec": prefix() + error(STEP_EXEC, EACCES, ""),
    "valid-error-step-first": prefix() + error(STEP_SYNC, EPERM, ""),
    "valid-error-errno-max": prefix() + error(STEP_LANDLOCK, 4095),
    "valid-error-detail-full": prefix() + error(text="d" * (DETAIL - 1)),
    "valid-error-running-exec": prefix(RUNNING) + error(STEP_EXEC, ENOENT, ""),
    "valid-exec-seccomp": prefix(flags=SECCOMP) + msg(EXEC, listener=4),
    "valid-exec-seccomp-listener-0": prefix(flags=SECCOMP) + msg(EXEC),
    "valid-exec-no-seccomp": prefix() + msg(EXEC),
    "valid-status-running": prefix(RUNNING) + status(0),
    "valid-status-running-signal": prefix(RUNNING) + status(9),
    "valid-status-running-seccomp": prefix(RUNNING, flags=SECCOMP) + status(3 << 8),
    "valid-status-failed": prefix(FAILED) + status(127 << 8),
    # A ready worker (a pool's).
    "valid-ready-seccomp": prefix(PREPARING, flags=SECCOMP) + msg(READY, listener=4),
    "valid-ready-no-seccomp": prefix(PREPARING) + msg(READY),
    "valid-error-preparing": prefix(PREPARING) + error(STEP_LANDLOCK, EPERM, ""),
    "valid-error-ready": prefix(READY_STATE) + error(STEP_JOB, 71, "the job"),
    "valid-error-setup-job": prefix(SETUP) + error(STEP_JOB, 71, "the job"),
    "bad-error-running-job": prefix(RUNNING) + error(STEP_JOB, 71, "the job"),
    "valid-status-ready": prefix(READY_STATE) + status(9),
    "bad-ready-fd": prefix(PREPARING, fds=1, flags=SECCOMP) + msg(READY),
    "bad-ready-seccomp-no-listener": prefix(PREPARING, flags=SECCOMP) + msg(READY, listener=-1),
    "bad-ready-no-seccomp-listener": prefix(PREPARING) + msg(READY, listener=4),
    "bad-ready-setup": prefix(SETUP, flags=SECCOMP) + msg(READY),
    "bad-ready-twice": prefix(READY_STATE, flags=SECCOMP) + msg(READY),
    "bad-ready-with-status": prefix(PREPARING) + msg(READY, status=3),
    "bad-exec-preparing": prefix(PREPARING, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-exec-ready": prefix(READY_STATE, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-status-preparing": prefix(PREPARING) + status(),
    "bad-type-8": prefix(READY_STATE) + msg(8),
    # A zygote (a pool's, a batch's).
    "valid-zygote": prefix(ZSETUP) + msg(ZYGOTE),
    "valid-started": prefix(ZJOB, flags=SECCOMP) + msg(STARTED, status=42),
    "valid-started-refused": prefix(ZJOB) + msg(STARTED, error=28),
    "bad-started-both": prefix(ZJOB) + msg(STARTED, error=28, status=42),
    "bad-started-neither": prefix(ZJOB) + msg(STARTED),
    "bad-started-negative": prefix(ZJOB) + msg(STARTED, status=-1),
    "bad-started-errno-4096": prefix(ZJOB) + msg(STARTED, error=4096),
    "valid-error-zjob": prefix(ZJOB) + error(STEP_ZYGOTE, 71, ""),
    "valid-error-zidle": prefix(ZIDLE) + error(STEP_ZYGOTE, 11, ""),
    "bad-zygote-fd": prefix(ZSETUP, fds=1) + msg(ZYGOTE),
    "bad-zygote-setup": prefix(SETUP) + msg(ZYGOTE),
    "bad-zygote-twice": prefix(ZIDLE) + msg(ZYGOTE),
    "bad-zygote-listener": prefix(ZSETUP, flags=SECCOMP) + msg(ZYGOTE, listener=4),
    "bad-started-fd": prefix(ZJOB, fds=1) + msg(STARTED, status=42),
    "bad-started-idle": prefix(ZIDLE) + msg(STARTED, status=42),
    "bad-started-step": prefix(ZJOB) + msg(STARTED, step=3, status=42),
    "bad-job-from-sandbox": prefix(ZIDLE, fds=4) + msg(JOB),
    "bad-exec-zidle": prefix(ZIDLE, flags=SECCOMP) + msg(EXEC, listener=4),
    # Transport.
    "bad-trunc": prefix(flags=TRUNC) + error(),
    "bad-ctrunc": prefix(RUNNING, flags=CTRUNC) + status(),
    "bad-ctrunc-exec": prefix(flags=SECCOMP | CTRUNC) + msg(EXEC, listener=4),
    "bad-trunc-ctrunc": prefix(flags=SECCOMP | TRUNC | CTRUNC) + msg(EXEC, listener=4),
    # Sizes.
    "bad-empty": prefix(),
    "bad-short-type": prefix() + struct.pack("<I", EXEC),
    "bad-short": prefix() + msg(EXEC)[:-1],
    "bad-long": prefix() + msg(EXEC) + b"\0",
    "bad-twice": prefix(RUNNING) + status() + status(),
    # States that do not exist.
    "bad-state-9": prefix(9) + msg(EXEC),
    "bad-state-127": prefix(127, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-state-negative": prefix(-1) + status(),
    "bad-state-min": prefix(-128) + error(),
    # Detail.
    "bad-detail-nonul": prefix() + msg(ERROR, STEP_HOSTNAME, ENOENT, 0, "d" * DETAIL),
    "bad-detail-nonul-exec": prefix() + msg(EXEC, text="x" * DETAIL),
    "bad-detail-nonul-status": prefix(RUNNING) + msg(STATUS, text=b"\xff" * DETAIL),
    # Fds.
    "bad-exec-with-detail": prefix() + msg(EXEC, text="leftover"),
    "bad-exec-with-status": prefix() + msg(EXEC, status=7),
    "bad-status-with-step": prefix(RUNNING) + msg(STATUS, STEP_HOSTNAME, ENOENT, 0),
    "bad-error-with-status": prefix() + msg(ERROR, STEP_HOSTNAME, ENOENT, 9),
    "bad-error-fd": prefix(fds=1) + error(),
    "bad-status-fd": prefix(RUNNING, fds=1, flags=SECCOMP) + status(),
    "bad-exec-seccomp-fd": prefix(fds=1, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-exec-seccomp-two-fds": prefix(fds=2, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-exec-no-seccomp-fd": prefix(fds=1) + msg(EXEC),
    "bad-exec-many-fds": prefix(fds=63, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-exec-seccomp-no-listener": prefix(flags=SECCOMP) + msg(EXEC, listener=-1),
    "bad-exec-seccomp-listener-min": prefix(flags=SECCOMP) + msg(EXEC, listener=-0x80000000),
    "bad-exec-no-seccomp-listener": prefix() + msg(EXEC, listener=4),
    "bad-status-with-listener": prefix(RUNNING) + msg(STATUS, listener=4),
    "bad-error-with-listener": prefix() + msg(ERROR, STEP_HOSTNAME, ENOENT, 0, listener=5),
    # ERROR fields.
    "bad-error-step-none": prefix() + error(0),
    "bad-error-step-max": prefix() + error(STEP_MAX),
    "bad-error-step-huge": prefix() + error(0xFFFFFFFF),
    "bad-error-errno-zero": prefix() + error(errno=0),
    "bad-error-errno-negative": prefix() + error(errno=-ENOENT),
    "bad-error-errno-4096": prefix() + error(errno=4096),
    "bad-error-errno-min": prefix(RUNNING) + error(STEP_EXEC, -0x80000000),
    "bad-error-running-setup-step": prefix(RUNNING) + error(STEP_HOSTNAME),
    "bad-error-running-landlock": prefix(RUNNING) + error(STEP_LANDLOCK, EPERM, ""),
    # Types.
    "bad-type-zero": prefix() + msg(0),
    "bad-type-go": prefix() + msg(GO),
    "bad-type-filter": prefix() + msg(FILTER),
    "bad-type-taken": prefix(RUNNING) + msg(TAKEN),
    "bad-type-32": prefix() + msg(32 + EXEC),
    "bad-type-max": prefix() + msg(0xFFFFFFFF),
    # Out of state.
    "bad-exec-running": prefix(RUNNING, flags=SECCOMP) + msg(EXEC, listener=4),
    "bad-exec-failed": prefix(FAILED) + msg(EXEC),
    "bad-exec-ended": prefix(ENDED) + msg(EXEC),
    "bad-error-failed": prefix(FAILED) + error(STEP_EXEC),
    "bad-error-ended": prefix(ENDED) + error(STEP_EXEC),
    "bad-status-setup": prefix() + status(),
    "bad-status-ended": prefix(ENDED) + status(),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.startswith(("valid-", "bad-")) and name not in SEEDS:
            os.remove(os.path.join(OUT, name))
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
