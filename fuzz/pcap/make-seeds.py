#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of the pcap fuzz target into fuzz/pcap/corpus/: the sample capture
in both byte orders and a set of small hand-made malformed files, each aimed at one length
check of examples/decode.c. Deterministic; Python 3 standard library only.

    make-seeds.py [OUTPUT-DIR]
"""
import importlib.util
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

spec = importlib.util.spec_from_file_location("make_sample",
                                              os.path.join(ROOT, "examples", "make-sample.py"))
ms = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ms)


def header(linktype=1, magic=0xA1B2C3D4, bo="<", snaplen=65535, major=2):
    return struct.pack(bo + "IHHiIII", magic, major, 4, 0, 0, snaplen, linktype)


def record(data, caplen=None, origlen=None, sec=1700000000, frac=1, bo="<"):
    caplen = len(data) if caplen is None else caplen
    origlen = caplen if origlen is None else origlen
    return struct.pack(bo + "IIII", sec, frac, caplen, origlen) + data


def eth(ethertype, payload):
    return ms.MAC_B + ms.MAC_A + struct.pack("!H", ethertype) + payload


def one(payload, linktype=1, **kw):
    return header(linktype) + record(payload, **kw)


def seeds():
    ip_a, ip_b = ms.IP_A, ms.IP_B
    good_tcp = ms.tcp4(ip_a, ip_b, 1, 2, 3, 4, 0x02)

    # file level
    yield "pcapng-shb", b"\x0a\x0d\x0d\x0a" + struct.pack("<II", 28, 0x1A2B3C4D) + bytes(16)
    yield "short-file-header", header()[:10]
    yield "header-only", header()
    yield "bad-major-version", header(major=7)
    yield "modified-pcap-magic", header(magic=0xA1B2CD34)
    yield "record-header-cut", header() + record(b"")[:7]
    yield "caplen-huge", header() + struct.pack("<IIII", 1, 2, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(32)
    yield "caplen-over-len-bad-ts", one(eth(0x0800, good_tcp), origlen=20, frac=2000000)
    yield "zero-length-records", header() + record(b"") * 3
    yield "record-body-cut", header() + record(eth(0x0800, good_tcp))[:-10]

    # link layer
    yield "vlan-tag-flood", one(ms.MAC_B + ms.MAC_A + b"\x81\x00\x00\x01" * 6 + b"\x08\x00")
    yield "vlan-tag-cut", one(ms.MAC_B + ms.MAC_A + b"\x81\x00\x00")
    yield "other-linktypes", (header(0) + record(b"\x02\0\0\0" + good_tcp) +
                              record(b"\0\0\0\x02" + good_tcp))
    yield "raw-bad-version", one(b"\x55" + bytes(30), linktype=101)
    yield "sll-cut", one(bytes(15), linktype=113)
    yield "sll2-ipv6-cut", one(b"\x86\xdd" + bytes(18) + b"\x60" + bytes(10), linktype=276)
    yield "big-endian-nsec-radiotap", (header(127, 0xA1B23C4D, ">") +
                                       record(bytes(40), bo=">", frac=999999999))

    # IPv4
    ip = bytearray(ms.ipv4(ip_a, ip_b, 6, ms.tcp(1, 2, 3, 4, 0x02,
                                                pseudo=lambda n: b"")))
    ip[0] = 0x4F                                   # 60-byte header in a 40-byte packet
    yield "ipv4-ihl-past-end", one(eth(0x0800, bytes(ip)))
    yield "ipv4-total-below-ihl", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 17, bytes(8), total=12)))
    yield "ipv4-first-fragment-more", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 17,
                                                              b"\0\x35\0\x35\x00\x03\0\0",
                                                              frag=0x2000)))
    tcp = bytearray(ms.tcp(1, 2, 3, 4, 0x3F, pseudo=lambda n: b""))
    tcp[12] = 0xF0                                 # 60-byte TCP header, 20 bytes present
    yield "tcp-doff-past-end", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 6, bytes(tcp))))
    tcp[12] = 0x20
    yield "tcp-doff-below-5", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 6, bytes(tcp))))
    yield "udp-dns-cut", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 17,
                                                 struct.pack("!HHHH", 53, 53, 200, 0) + bytes(5))))
    yield "icmp-echo-cut", one(eth(0x0800, ms.ipv4(ip_a, ip_b, 1, b"\x08\0\0\0\0")))
    yield "arp-cut", one(eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes(10)))

    # IPv6
    hbh = b"".join(bytes([0, 0]) + bytes(6) for _ in range(12))   # 12 hop-by-hop headers
    yield "ipv6-ext-header-flood", one(eth(0x86DD, ms.ipv6(ms.IP6_A, ms.IP6_B, 0, hbh)))
    yield "ipv6-ext-len-past-end", one(eth(0x86DD, ms.ipv6(ms.IP6_A, ms.IP6_B, 43,
                                                           bytes([6, 255]) + bytes(14))))
    frag = struct.pack("!BBHI", 17, 0, 0x0008, 9)                  # offset 8: later fragment
    yield "ipv6-frag-esp-ah", (header() +
                               record(eth(0x86DD, ms.ipv6(ms.IP6_A, ms.IP6_B, 44, frag + bytes(8)))) +
                               record(eth(0x86DD, ms.ipv6(ms.IP6_A, ms.IP6_B, 51,
                                                          bytes([50, 1]) + bytes(6) + bytes(8)))))
    yield "ipv6-plen-over-captured", one(eth(0x86DD, ms.ipv6(ms.IP6_A, ms.IP6_B, 58,
                                                             b"\x87\0\0\0")[:4] +
                                             b"\xff\xff\x3a\x40" + bytes(32) +
                                             b"\x87\0\0\0" + bytes(8)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    ms.write(os.path.join(out, "sample.pcap"))
    ms.write(os.path.join(out, "sample-be-nsec.pcap"), big_endian=True, nsec=True)
    for name, data in seeds():
        with open(os.path.join(out, name + ".pcap"), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
