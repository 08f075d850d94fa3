#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write examples/sample.pcap: a small, deterministic capture with one packet of each kind
pcap-decode knows, plus a VLAN-tagged, a fragmented, a malformed and a truncated one.

    make-sample.py [--big-endian] [--nsec] [OUTPUT]      (default: sample.pcap beside this file)

Only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) and locally
administered MACs are used. Python 3 standard library only; the output is byte-for-byte
reproducible, so the committed file can be checked against a fresh run.
"""
import argparse
import ipaddress
import os
import struct
import sys

BASE_TIME = 1700000000

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
BROADCAST = b"\xff" * 6
IP_A, IP_B, IP_DNS = "192.0.2.1", "192.0.2.2", "198.51.100.53"
IP6_A, IP6_B = "2001:db8::1", "2001:db8::2"


def ip4(s):
    return ipaddress.IPv4Address(s).packed


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, ethertype, payload, vlans=()):
    """vlans: sequence of (tpid, vid); the outermost first."""
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    hdr += struct.pack("!H", ethertype)
    frame = hdr + payload
    return frame + b"\0" * max(0, 60 - len(frame))   # minimum frame size, as on the wire


def ipv4(src, dst, proto, payload, ident=1, ttl=64, frag=0, ihl=5, total=None):
    total = 20 + len(payload) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, ttl, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, ip6(src), ip6(dst)) + payload


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, nh, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, nh)


def tcp(sport, dport, seq, ack, flags, options=b"", payload=b"", window=64240, pseudo=None):
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0)
    seg = hdr + options + payload
    c = csum(pseudo(len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(sport, dport, payload, pseudo):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum(pseudo(len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(type_, code, ident, seq, payload):
    msg = struct.pack("!BBHHH", type_, code, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def icmp6(type_, code, body, src, dst):
    msg = struct.pack("!BBH", type_, code, 0) + body
    c = csum(pseudo6(src, dst, 58, len(msg)) + msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def dns_query(ident, name, response=False):
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    flags = 0x8180 if response else 0x0100
    msg = struct.pack("!HHHHHH", ident, flags, 1, 1 if response else 0, 0, 0)
    msg += qname + struct.pack("!HH", 1, 1)
    if response:
        msg += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + ip4("192.0.2.80")
    return msg


def tcp4(src, dst, *args, **kw):
    return ipv4(src, dst, 6, tcp(*args, pseudo=lambda n: pseudo4(src, dst, 6, n), **kw))


def udp4(src, dst, sport, dport, payload, **kw):
    return ipv4(src, dst, 17, udp(sport, dport, payload, lambda n: pseudo4(src, dst, 17, n)), **kw)


MSS = b"\x02\x04\x05\xb4"   # one TCP option (MSS 1460) so the options path is exercised


def packets():
    """Yields (frame, original length or None)."""
    # ARP, and an ethertype the decoder does not know (LLDP)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, ip4(IP_A), b"\0" * 6, ip4(IP_B))
    yield eth(BROADCAST, MAC_A, 0x0806, arp), None
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, MAC_B, ip4(IP_B), MAC_A, ip4(IP_A))
    yield eth(MAC_A, MAC_B, 0x0806, arp), None
    yield eth(bytes.fromhex("0180c200000e"), MAC_B, 0x88CC, bytes(32)), None

    # IPv4 TCP handshake and a data segment
    yield eth(MAC_B, MAC_A, 0x0800, tcp4(IP_A, IP_B, 40000, 80, 1000, 0, 0x02, MSS)), None
    yield eth(MAC_A, MAC_B, 0x0800, tcp4(IP_B, IP_A, 80, 40000, 5000, 1001, 0x12, MSS)), None
    yield eth(MAC_B, MAC_A, 0x0800, tcp4(IP_A, IP_B, 40000, 80, 1001, 5001, 0x18,
                                         payload=b"GET / HTTP/1.0\r\n\r\n")), None

    # DNS over UDP
    yield eth(MAC_B, MAC_A, 0x0800,
              udp4(IP_A, IP_DNS, 53000, 53, dns_query(0x1234, "example.com"))), None
    yield eth(MAC_A, MAC_B, 0x0800,
              udp4(IP_DNS, IP_A, 53, 53000, dns_query(0x1234, "example.com", True))), None

    # ICMP echo
    data = bytes(range(32))
    yield eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 1, icmp(8, 0, 0x42, 1, data))), None
    yield eth(MAC_A, MAC_B, 0x0800, ipv4(IP_B, IP_A, 1, icmp(0, 0, 0x42, 1, data))), None

    # IPv6 TCP, IPv6 UDP behind hop-by-hop and destination-options headers, ICMPv6
    seg = tcp(40001, 443, 7000, 0, 0x02, MSS, pseudo=lambda n: pseudo6(IP6_A, IP6_B, 6, n))
    yield eth(MAC_B, MAC_A, 0x86DD, ipv6(IP6_A, IP6_B, 6, seg)), None
    dgram = udp(40002, 5353, dns_query(7, "printer.local"),
                lambda n: pseudo6(IP6_A, IP6_B, 17, n))
    dstopts = bytes([17, 0]) + b"\x01\x04\0\0\0\0"          # PadN, next header UDP
    hbh = bytes([60, 0]) + b"\x01\x04\0\0\0\0"              # PadN, next header dest opts
    yield eth(MAC_B, MAC_A, 0x86DD, ipv6(IP6_A, IP6_B, 0, hbh + dstopts + dgram)), None
    yield eth(MAC_B, MAC_A, 0x86DD,
              ipv6(IP6_A, IP6_B, 58, icmp6(128, 0, struct.pack("!HH", 0x99, 3) + data,
                                           IP6_A, IP6_B))), None
    ns = b"\0" * 4 + ip6(IP6_B) + b"\x01\x01" + MAC_A
    yield eth(bytes.fromhex("3333ff000002"), MAC_A, 0x86DD,
              ipv6(IP6_A, "ff02::1:ff00:2", 58, icmp6(135, 0, ns, IP6_A, "ff02::1:ff00:2"),
                   hlim=255)), None

    # 802.1Q-tagged UDP, and an 802.1ad + 802.1Q (QinQ) ICMP echo
    yield eth(MAC_B, MAC_A, 0x0800,
              udp4(IP_A, IP_B, 12345, 9999, b"tagged"), vlans=[(0x8100, 100)]), None
    yield eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 1, icmp(8, 0, 0x43, 2, data)),
              vlans=[(0x88A8, 0x2000 | 10), (0x8100, 20)]), None

    # A later IPv4 fragment: no transport header to decode
    yield eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 17, bytes(24), ident=77, frag=185)), None

    # Malformed: IPv4 header length field of 3 words
    yield eth(MAC_B, MAC_A, 0x0800, ipv4(IP_A, IP_B, 6, bytes(20), ihl=3)), None

    # Truncated: captured with a 40-byte snap length, the TCP header is cut short
    full = eth(MAC_B, MAC_A, 0x0800, tcp4(IP_A, IP_B, 40000, 80, 1019, 5001, 0x11))
    yield full[:40], len(full)


def write(path, big_endian=False, nsec=False):
    bo = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(bo + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for i, (frame, orig) in enumerate(packets()):
        usec = i * 1000 + 17
        frac = usec * 1000 if nsec else usec
        out += struct.pack(bo + "IIII", BASE_TIME + i, frac, len(frame),
                           len(frame) if orig is None else orig)
        out += frame
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big-endian", action="store_true")
    ap.add_argument("--nsec", action="store_true", help="nanosecond timestamps")
    ap.add_argument("output", nargs="?",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "sample.pcap"))
    args = ap.parse_args()
    write(args.output, args.big_endian, args.nsec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
