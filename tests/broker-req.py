#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Runs inside the sandbox: asks the broker (SBX_FD_BROKER, common/protocol.h) to open each
# argument below the directory resource D, and prints what each file says or "error N".
import os, socket, struct, sys, array
fd = int(os.environ["SBX_FD_BROKER"])
VERSION = 1  # SBX_REQ_VERSION
s = socket.socket(fileno=fd)
def open_req(i, d, path):
    body = struct.pack("=II64s1024s", 1, 0, d.encode(), path.encode())
    msg = struct.pack("=HHIQ", 1, VERSION, 16 + len(body), i) + body
    s.sendmsg([msg])
    data, anc, flags, _ = s.recvmsg(88, socket.CMSG_SPACE(4))
    typ, version, ln, rid, err = struct.unpack("=HHIQi", data[:20])
    fds = []
    for lvl, t, d2 in anc:
        fds += array.array("i", d2[:4]).tolist()
    if fds:
        return os.read(fds[0], 100).decode().strip()
    return "error %d" % err
for i, name in enumerate(sys.argv[1:]):
    print(open_req(i + 1, "D", name))
