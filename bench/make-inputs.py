#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Inputs for the steady-state benchmark (bench/steady.sh), made here so nothing is fetched:

  make-inputs.py pcap OUT SIZE_MB   a capture of IPv4 UDP and TCP packets, SIZE_MB large
  make-inputs.py pdf OUT PAGES      a PDF of PAGES pages of text, one content stream each
"""
import random
import struct
import sys


def pcap(out, size_mb):
    rnd = random.Random(7)
    target = size_mb << 20
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        written, ts = 24, 1700000000.0
        while written < target:
            payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(40, 1200)))
            tcp = rnd.random() < 0.5
            if tcp:
                l4 = struct.pack("!HHIIBBHHH", rnd.randrange(1024, 65535), 80, rnd.getrandbits(32),
                                 rnd.getrandbits(32), 5 << 4, 0x18, 65535, 0, 0) + payload
            else:
                l4 = struct.pack("!HHHH", rnd.randrange(1024, 65535), 53, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), rnd.getrandbits(16), 0, 64,
                             6 if tcp else 17, 0, bytes([10, 0, 0, rnd.randrange(1, 255)]),
                             bytes([10, 0, 1, rnd.randrange(1, 255)]))
            frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + l4
            ts += 0.0007
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(frame), len(frame)) + frame)
            written += 16 + len(frame)


def pdf(out, pages):
    words = "sandbox broker worker parser policy capture filter namespace landlock seccomp".split()
    rnd = random.Random(7)
    objs = []  # bodies of objects 1..N
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(None)  # the page tree, once the kids are known
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for _ in range(pages):
        lines = [" ".join(rnd.choice(words) for _ in range(10)) for _ in range(45)]
        text = "BT /F1 10 Tf 50 780 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
        stream = text.encode()
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % content)
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % pages
    body, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    body += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"pcap": pcap, "pdf": pdf}[kind](out, n)
