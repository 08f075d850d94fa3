/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap decoder: file header, record headers, and Ethernet (802.1Q/802.1ad tags), ARP,
 * IPv4, IPv6 (bounded extension-header walk), TCP, UDP (with a peek at DNS), ICMP and ICMPv6.
 *
 * The threat is the input file: a crafted capture that makes a decoder read past a buffer,
 * loop forever or allocate what the file says. So: every header is read through a cursor
 * that refuses to hand out bytes it does not have; every loop has a fixed bound; the only
 * allocation is one PCAP_MAX_RECORD buffer, made after the file header has been accepted.
 */
#include "decode.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16
#define MAX_VLAN_TAGS 4       /* QinQ has two; more than four is an attack, not a network */
#define MAX_IPV6_EXT_HEADERS 8

enum { NOTE_NONE = 0, NOTE_TRUNCATED = 1, NOTE_MALFORMED = 2 };

struct pcap_file {
        bool swapped;         /* file byte order differs from the magic's canonical order */
        bool nanosecond;
        uint32_t snaplen;
        uint32_t linktype;
};

struct stats {
        uint64_t packets, bytes;
        uint64_t eth, vlan, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, other;
        uint64_t truncated, malformed;
};

/* Per-packet state: where to print and what went wrong while decoding this one packet. */
struct pkt {
        FILE *out;
        struct stats *st;
        unsigned notes;
};

/* A bounded view of untrusted bytes. Readers check `avail` before touching `p`. */
struct cur {
        const uint8_t *p;
        size_t len;
};

static bool need(const struct cur *c, size_t n) {
        return c->len >= n;
}

static struct cur skip(struct cur c, size_t n) {
        /* Callers check need() first; clamp anyway so a missed check cannot run off the end. */
        if (n > c.len)
                n = c.len;
        c.p += n;
        c.len -= n;
        return c;
}

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) ((uint16_t) p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static uint32_t file32(const struct pcap_file *f, const uint8_t *p) {
        return f->swapped ? be32(p) : le32(p);
}

static uint16_t file16(const struct pcap_file *f, const uint8_t *p) {
        return f->swapped ? be16(p) : (uint16_t) ((uint16_t) p[1] << 8 | p[0]);
}

static void truncated(struct pkt *k, const char *what, size_t have, size_t want) {
        fprintf(k->out, " | %s truncated (%zu of %zu bytes)", what, have, want);
        k->notes |= NOTE_TRUNCATED;
}

static void malformed(struct pkt *k, const char *what) {
        fprintf(k->out, " | malformed: %s", what);
        k->notes |= NOTE_MALFORMED;
}

static void print_mac(FILE *out, const uint8_t *m) {
        fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_ip4(FILE *out, const uint8_t *a) {
        fprintf(out, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void print_ip6(FILE *out, const uint8_t *a) {
        char buf[INET6_ADDRSTRLEN];

        /* inet_ntop only formats; it cannot fail for AF_INET6 with a large enough buffer. */
        if (!inet_ntop(AF_INET6, a, buf, sizeof buf))
                snprintf(buf, sizeof buf, "?");
        fputs(buf, out);
}

/* ---- transport ---------------------------------------------------------------------------- */

static void decode_dns(struct pkt *k, struct cur c) {
        if (!need(&c, 12)) {
                truncated(k, "dns", c.len, 12);
                return;
        }
        uint16_t flags = be16(c.p + 2);
        fprintf(k->out, " | dns id 0x%04x %s op %u rcode %u qd %u an %u ns %u ar %u",
                be16(c.p), (flags & 0x8000) ? "response" : "query", (flags >> 11) & 0xfu,
                flags & 0xfu, be16(c.p + 4), be16(c.p + 6), be16(c.p + 8), be16(c.p + 10));
}

static void decode_tcp(struct pkt *k, struct cur c) {
        /* tcpdump's letters, in bit order: FIN SYN RST PSH ACK URG ECE CWR */
        static const char names[] = "FSRP.UEW";
        char flags[9];
        size_t n = 0;

        k->st->tcp++;
        if (!need(&c, 20)) {
                truncated(k, "tcp", c.len, 20);
                return;
        }
        size_t hlen = (size_t) (c.p[12] >> 4) * 4;
        uint8_t f = c.p[13];
        for (unsigned i = 0; i < 8; i++)
                if (f & (1u << i))
                        flags[n++] = names[i];
        flags[n] = '\0';
        fprintf(k->out, " | tcp %u > %u [%s] seq %" PRIu32 " ack %" PRIu32 " win %u",
                be16(c.p), be16(c.p + 2), n ? flags : "none", be32(c.p + 4), be32(c.p + 8),
                be16(c.p + 14));
        if (hlen < 20) {
                malformed(k, "tcp data offset below 5");
                return;
        }
        if (!need(&c, hlen)) {
                truncated(k, "tcp options", c.len, hlen);
                return;
        }
        if (hlen > 20)
                fprintf(k->out, " optlen %zu", hlen - 20);
        fprintf(k->out, " len %zu", c.len - hlen);
}

static void decode_udp(struct pkt *k, struct cur c) {
        k->st->udp++;
        if (!need(&c, 8)) {
                truncated(k, "udp", c.len, 8);
                return;
        }
        uint16_t sport = be16(c.p), dport = be16(c.p + 2), ulen = be16(c.p + 4);
        fprintf(k->out, " | udp %u > %u len %u", sport, dport, ulen);
        if (ulen < 8) {
                malformed(k, "udp length below 8");
                return;
        }
        struct cur payload = skip(c, 8);
        if (ulen > c.len) {
                truncated(k, "udp payload", c.len, ulen);
                return;
        }
        payload.len = (size_t) ulen - 8;  /* trailing bytes past the UDP length are padding */
        if (sport == 53 || dport == 53 || sport == 5353 || dport == 5353)
                decode_dns(k, payload);
}

static void decode_icmp(struct pkt *k, struct cur c) {
        k->st->icmp++;
        if (!need(&c, 4)) {
                truncated(k, "icmp", c.len, 4);
                return;
        }
        uint8_t type = c.p[0], code = c.p[1];
        const char *name = type == 0 ? "echo-reply" : type == 8 ? "echo-request" :
                           type == 3 ? "unreachable" : type == 11 ? "time-exceeded" : NULL;
        if (name)
                fprintf(k->out, " | icmp %s code %u", name, code);
        else
                fprintf(k->out, " | icmp type %u code %u", type, code);
        if (type == 0 || type == 8) {
                if (!need(&c, 8)) {
                        truncated(k, "icmp echo", c.len, 8);
                        return;
                }
                fprintf(k->out, " id %u seq %u len %zu", be16(c.p + 4), be16(c.p + 6), c.len - 8);
        }
}

static void decode_icmpv6(struct pkt *k, struct cur c) {
        k->st->icmpv6++;
        if (!need(&c, 4)) {
                truncated(k, "icmp6", c.len, 4);
                return;
        }
        uint8_t type = c.p[0], code = c.p[1];
        const char *name = type == 128 ? "echo-request" : type == 129 ? "echo-reply" :
                           type == 133 ? "router-solicitation" :
                           type == 134 ? "router-advertisement" :
                           type == 135 ? "neighbor-solicitation" :
                           type == 136 ? "neighbor-advertisement" :
                           type == 1 ? "unreachable" : NULL;
        if (name)
                fprintf(k->out, " | icmp6 %s code %u", name, code);
        else
                fprintf(k->out, " | icmp6 type %u code %u", type, code);
        if (type == 128 || type == 129) {
                if (!need(&c, 8)) {
                        truncated(k, "icmp6 echo", c.len, 8);
                        return;
                }
                fprintf(k->out, " id %u seq %u len %zu", be16(c.p + 4), be16(c.p + 6), c.len - 8);
        } else if (type == 135 || type == 136) {
                if (!need(&c, 24)) {
                        truncated(k, "icmp6 neighbor", c.len, 24);
                        return;
                }
                fputs(" target ", k->out);
                print_ip6(k->out, c.p + 8);
        }
}

static void decode_l4(struct pkt *k, uint8_t proto, struct cur c) {
        switch (proto) {
        case 6:
                decode_tcp(k, c);
                break;
        case 17:
                decode_udp(k, c);
                break;
        case 1:
                decode_icmp(k, c);
                break;
        case 58:
                decode_icmpv6(k, c);
                break;
        default:
                k->st->other++;
                fprintf(k->out, " | proto %u len %zu", proto, c.len);
                break;
        }
}

/* ---- network ------------------------------------------------------------------------------ */

static void decode_ipv4(struct pkt *k, struct cur c) {
        k->st->ipv4++;
        if (!need(&c, 20)) {
                truncated(k, "ipv4", c.len, 20);
                return;
        }
        unsigned version = c.p[0] >> 4;
        size_t ihl = (size_t) (c.p[0] & 0xf) * 4;
        uint16_t total = be16(c.p + 2), frag = be16(c.p + 6);
        uint8_t proto = c.p[9];

        fputs(" | ipv4 ", k->out);
        print_ip4(k->out, c.p + 12);
        fputs(" > ", k->out);
        print_ip4(k->out, c.p + 16);
        fprintf(k->out, " ttl %u id %u len %u", c.p[8], be16(c.p + 4), total);
        if (version != 4) {
                malformed(k, "ipv4 version field");
                return;
        }
        if (ihl < 20) {
                malformed(k, "ipv4 header length below 20");
                return;
        }
        if (total < ihl) {
                malformed(k, "ipv4 total length below header length");
                return;
        }
        if (!need(&c, ihl)) {
                truncated(k, "ipv4 options", c.len, ihl);
                return;
        }
        if (ihl > 20)
                fprintf(k->out, " optlen %zu", ihl - 20);
        /* Link-layer padding follows the datagram: trust the IP length when it is shorter. */
        if (total <= c.len)
                c.len = total;
        else
                truncated(k, "ipv4 payload", c.len, total);

        unsigned offset = (unsigned) (frag & 0x1fff) * 8;
        if (frag & 0x2000 || offset) {
                fprintf(k->out, " frag off %u%s", offset, (frag & 0x2000) ? " more" : "");
                if (offset) {
                        /* A later fragment carries no transport header to decode. */
                        fprintf(k->out, " | proto %u fragment", proto);
                        return;
                }
        }
        decode_l4(k, proto, skip(c, ihl));
}

static bool ipv6_generic_ext(uint8_t nh) {
        /* hop-by-hop, routing, destination options, mobility, HIP, shim6: (len + 1) * 8 */
        return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

static void decode_ipv6(struct pkt *k, struct cur c) {
        k->st->ipv6++;
        if (!need(&c, 40)) {
                truncated(k, "ipv6", c.len, 40);
                return;
        }
        unsigned version = c.p[0] >> 4;
        uint16_t plen = be16(c.p + 4);
        uint8_t nh = c.p[6];

        fputs(" | ipv6 ", k->out);
        print_ip6(k->out, c.p + 8);
        fputs(" > ", k->out);
        print_ip6(k->out, c.p + 24);
        fprintf(k->out, " hlim %u plen %u", c.p[7], plen);
        if (version != 6) {
                malformed(k, "ipv6 version field");
                return;
        }
        c = skip(c, 40);
        /* plen 0 means a jumbogram (or garbage): decode what was captured. */
        if (plen != 0) {
                if (plen <= c.len)
                        c.len = plen;
                else
                        truncated(k, "ipv6 payload", c.len, plen);
        }

        for (unsigned i = 0;; i++) {
                size_t hlen;

                if (nh == 59) {
                        fputs(" | no-next-header", k->out);
                        return;
                }
                if (nh == 50) {
                        if (!need(&c, 8)) {
                                truncated(k, "esp", c.len, 8);
                                return;
                        }
                        fprintf(k->out, " | esp spi 0x%08" PRIx32 " seq %" PRIu32,
                                be32(c.p), be32(c.p + 4));
                        k->st->other++;
                        return;
                }
                if (!ipv6_generic_ext(nh) && nh != 44 && nh != 51)
                        break;
                if (i >= MAX_IPV6_EXT_HEADERS) {
                        malformed(k, "more than 8 ipv6 extension headers");
                        return;
                }
                if (!need(&c, 8)) {
                        truncated(k, "ipv6 extension header", c.len, 8);
                        return;
                }
                if (nh == 44) {
                        hlen = 8;
                } else if (nh == 51) {
                        hlen = ((size_t) c.p[1] + 2) * 4;
                } else {
                        hlen = ((size_t) c.p[1] + 1) * 8;
                }
                if (!need(&c, hlen)) {
                        truncated(k, "ipv6 extension header", c.len, hlen);
                        return;
                }
                fprintf(k->out, " ext %u", nh);
                if (nh == 44) {
                        unsigned offset = (unsigned) (be16(c.p + 2) & 0xfff8);
                        fprintf(k->out, " frag off %u%s id 0x%08" PRIx32, offset,
                                (c.p[3] & 1) ? " more" : "", be32(c.p + 4));
                        if (offset) {
                                fprintf(k->out, " | proto %u fragment", c.p[0]);
                                return;
                        }
                }
                nh = c.p[0];
                c = skip(c, hlen);
        }
        decode_l4(k, nh, c);
}

static void decode_arp(struct pkt *k, struct cur c) {
        k->st->arp++;
        if (!need(&c, 8)) {
                truncated(k, "arp", c.len, 8);
                return;
        }
        uint16_t htype = be16(c.p), ptype = be16(c.p + 2), op = be16(c.p + 6);
        uint8_t hlen = c.p[4], plen = c.p[5];

        if (htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4) {
                fprintf(k->out, " | arp htype %u ptype 0x%04x op %u", htype, ptype, op);
                return;
        }
        if (!need(&c, 28)) {
                truncated(k, "arp", c.len, 28);
                return;
        }
        if (op == 1) {
                fputs(" | arp who-has ", k->out);
                print_ip4(k->out, c.p + 24);
                fputs(" tell ", k->out);
                print_ip4(k->out, c.p + 14);
        } else if (op == 2) {
                fputs(" | arp reply ", k->out);
                print_ip4(k->out, c.p + 14);
                fputs(" is-at ", k->out);
                print_mac(k->out, c.p + 8);
        } else {
                fprintf(k->out, " | arp op %u", op);
        }
}

static void decode_ethertype(struct pkt *k, uint16_t type, struct cur c) {
        switch (type) {
        case 0x0800:
                decode_ipv4(k, c);
                break;
        case 0x86dd:
                decode_ipv6(k, c);
                break;
        case 0x0806:
                decode_arp(k, c);
                break;
        default:
                k->st->other++;
                fprintf(k->out, " | ethertype 0x%04x len %zu", type, c.len);
                break;
        }
}

/* Picks IPv4 or IPv6 by the version nibble, for link types that carry bare IP. */
static void decode_raw_ip(struct pkt *k, struct cur c) {
        if (!need(&c, 1)) {
                truncated(k, "ip", c.len, 1);
                return;
        }
        switch (c.p[0] >> 4) {
        case 4:
                decode_ipv4(k, c);
                break;
        case 6:
                decode_ipv6(k, c);
                break;
        default:
                k->st->other++;
                malformed(k, "raw ip version field");
                break;
        }
}

/* ---- link --------------------------------------------------------------------------------- */

static void decode_ether(struct pkt *k, struct cur c) {
        k->st->eth++;
        if (!need(&c, 14)) {
                truncated(k, "eth", c.len, 14);
                return;
        }
        fputs(" | eth ", k->out);
        print_mac(k->out, c.p + 6);
        fputs(" > ", k->out);
        print_mac(k->out, c.p);
        uint16_t type = be16(c.p + 12);
        c = skip(c, 14);

        bool tagged = false;
        for (unsigned tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; tags++) {
                if (tags >= MAX_VLAN_TAGS) {
                        malformed(k, "more than 4 vlan tags");
                        return;
                }
                if (!need(&c, 4)) {
                        truncated(k, "vlan tag", c.len, 4);
                        return;
                }
                uint16_t tci = be16(c.p);
                fprintf(k->out, " vlan %u pcp %u", tci & 0xfffu, tci >> 13);
                tagged = true;
                type = be16(c.p + 2);
                c = skip(c, 4);
        }
        if (tagged)
                k->st->vlan++;
        if (type < 0x0600) {
                /* An 802.3 length field, not an ethertype: LLC follows. */
                k->st->other++;
                fprintf(k->out, " | llc len %u", type);
                return;
        }
        decode_ethertype(k, type, c);
}

static void decode_null(struct pkt *k, struct cur c, bool network_order) {
        if (!need(&c, 4)) {
                truncated(k, "loopback header", c.len, 4);
                return;
        }
        /* DLT_NULL is in the capturing host's order, unknown to us: accept either. */
        uint32_t fam = network_order ? be32(c.p) : le32(c.p);
        if (!network_order && fam > 0xffff)
                fam = be32(c.p);
        fprintf(k->out, " | loopback af %" PRIu32, fam);
        c = skip(c, 4);
        if (fam == 2)
                decode_ipv4(k, c);
        else if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
                decode_ipv6(k, c);
        else
                k->st->other++;
}

static void decode_sll(struct pkt *k, struct cur c, bool v2) {
        size_t hlen = v2 ? 20 : 16;

        if (!need(&c, hlen)) {
                truncated(k, v2 ? "sll2" : "sll", c.len, hlen);
                return;
        }
        uint16_t proto = v2 ? be16(c.p) : be16(c.p + 14);
        fprintf(k->out, " | %s proto 0x%04x", v2 ? "sll2" : "sll", proto);
        decode_ethertype(k, proto, skip(c, hlen));
}

static void decode_link(struct pkt *k, uint32_t linktype, struct cur c) {
        switch (linktype) {
        case 0:
                decode_null(k, c, false);
                break;
        case 108:
                decode_null(k, c, true);
                break;
        case 1:
                decode_ether(k, c);
                break;
        case 12:
        case 14:
        case 101:
                decode_raw_ip(k, c);
                break;
        case 228:
                decode_ipv4(k, c);
                break;
        case 229:
                decode_ipv6(k, c);
                break;
        case 113:
                decode_sll(k, c, false);
                break;
        case 276:
                decode_sll(k, c, true);
                break;
        default:
                k->st->other++;
                fprintf(k->out, " | linktype %" PRIu32 " not decoded", linktype);
                break;
        }
}

/* ---- file --------------------------------------------------------------------------------- */

static const char *linktype_name(uint32_t lt) {
        switch (lt) {
        case 0: return "null";
        case 1: return "ethernet";
        case 12: case 14: case 101: return "raw";
        case 105: return "802.11";
        case 108: return "loop";
        case 113: return "linux-sll";
        case 127: return "radiotap";
        case 228: return "ipv4";
        case 229: return "ipv6";
        case 276: return "linux-sll2";
        default: return "other";
        }
}

static int parse_file_header(const uint8_t *h, struct pcap_file *f, const char **why) {
        static const uint8_t pcapng[4] = { 0x0a, 0x0d, 0x0d, 0x0a };
        uint32_t magic = le32(h);

        memset(f, 0, sizeof *f);
        if (memcmp(h, pcapng, 4) == 0) {
                *why = "pcapng files are not supported (convert with: editcap -F pcap IN OUT)";
                return -1;
        }
        switch (magic) {
        case 0xa1b2c3d4: break;
        case 0xd4c3b2a1: f->swapped = true; break;
        case 0xa1b23c4d: f->nanosecond = true; break;
        case 0x4d3cb2a1: f->swapped = f->nanosecond = true; break;
        case 0xa1b2cd34: case 0x34cdb2a1:
                *why = "modified (Kuznetzov) pcap format is not supported";
                return -1;
        default:
                *why = "not a pcap file (unknown magic number)";
                return -1;
        }
        uint16_t major = file16(f, h + 4), minor = file16(f, h + 6);
        if (major != 2) {
                *why = "unsupported pcap major version (expected 2)";
                return -1;
        }
        (void) minor;   /* 2.4 in practice; 2.2 and 2.3 differ in nothing we read */
        f->snaplen = file32(f, h + 16);
        /* The upper bits carry FCS information (LINKTYPE_FCS_LEN), not the link type. */
        f->linktype = file32(f, h + 20) & 0x03ffffffu;
        return 0;
}

struct reader {
        pcap_read_fn read;
        void *ctx;
};

/* Reads exactly len bytes unless the input ends first; returns bytes read or -1 on error. */
static ssize_t read_full(const struct reader *r, uint8_t *buf, size_t len) {
        size_t got = 0;

        while (got < len) {
                ssize_t n = r->read(r->ctx, buf + got, len - got);
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
                if ((size_t) n > len - got)
                        return -1;  /* a reader that claims more than asked is broken */
                got += (size_t) n;
        }
        return (ssize_t) got;
}

static void decode_record(FILE *out, const struct pcap_file *f, struct stats *st, uint64_t index,
                          const uint8_t *rh, const uint8_t *data, size_t have) {
        uint32_t sec = file32(f, rh), frac = file32(f, rh + 4);
        uint32_t caplen = file32(f, rh + 8), origlen = file32(f, rh + 12);
        struct pkt k = { .out = out, .st = st };

        st->packets++;
        st->bytes += have;
        fprintf(out, "%" PRIu64 " %" PRIu32 ".%0*" PRIu32 " caplen %" PRIu32 " len %" PRIu32,
                index, sec, f->nanosecond ? 9 : 6, frac, caplen, origlen);
        if (frac >= (f->nanosecond ? 1000000000u : 1000000u))
                malformed(&k, "timestamp fraction out of range");
        if (caplen > origlen)
                malformed(&k, "caplen exceeds len");
        if (have < caplen)
                truncated(&k, "record", have, caplen);

        decode_link(&k, f->linktype, (struct cur) { .p = data, .len = have });

        if (k.notes & NOTE_TRUNCATED)
                st->truncated++;
        if (k.notes & NOTE_MALFORMED)
                st->malformed++;
        fputc('\n', out);
}

static void print_summary(FILE *out, const struct stats *st) {
        fprintf(out,
                "summary packets %" PRIu64 " bytes %" PRIu64 " eth %" PRIu64 " vlan %" PRIu64
                " arp %" PRIu64 " ipv4 %" PRIu64 " ipv6 %" PRIu64 " tcp %" PRIu64 " udp %" PRIu64
                " icmp %" PRIu64 " icmp6 %" PRIu64 " other %" PRIu64 " truncated %" PRIu64
                " malformed %" PRIu64 "\n",
                st->packets, st->bytes, st->eth, st->vlan, st->arp, st->ipv4, st->ipv6, st->tcp,
                st->udp, st->icmp, st->icmpv6, st->other, st->truncated, st->malformed);
}

int pcap_decode_stream(pcap_read_fn read, void *ctx, FILE *out, const char **why) {
        const struct reader r = { .read = read, .ctx = ctx };
        uint8_t fh[PCAP_FILE_HEADER_LEN], rh[PCAP_RECORD_HEADER_LEN];
        struct pcap_file f;
        struct stats st = { 0 };
        const char *dummy;
        int ret = PCAP_DECODE_OK;

        if (!why)
                why = &dummy;
        ssize_t n = read_full(&r, fh, sizeof fh);
        if (n < 0) {
                *why = "read error";
                return PCAP_DECODE_IO_ERROR;
        }
        if ((size_t) n < sizeof fh) {
                *why = (n >= 4 && memcmp(fh, "\x0a\x0d\x0d\x0a", 4) == 0)
                        ? "pcapng files are not supported (convert with: editcap -F pcap IN OUT)"
                        : "input shorter than a pcap file header (24 bytes)";
                return PCAP_DECODE_BAD_HEADER;
        }
        if (parse_file_header(fh, &f, why) < 0)
                return PCAP_DECODE_BAD_HEADER;

        fprintf(out, "pcap %s-endian %s snaplen %" PRIu32 " linktype %" PRIu32 " (%s)\n",
                f.swapped ? "big" : "little", f.nanosecond ? "nsec" : "usec", f.snaplen,
                f.linktype, linktype_name(f.linktype));

        /* The one allocation: fixed, made only after the header passed. */
        uint8_t *buf = malloc(PCAP_MAX_RECORD);
        if (!buf) {
                *why = "out of memory";
                return PCAP_DECODE_NO_MEMORY;
        }

        for (uint64_t index = 1;; index++) {
                n = read_full(&r, rh, sizeof rh);
                if (n < 0) {
                        *why = "read error";
                        ret = PCAP_DECODE_IO_ERROR;
                        break;
                }
                if (n == 0)
                        break;
                if ((size_t) n < sizeof rh) {
                        fprintf(out, "%" PRIu64 " truncated record header (%zd of 16 bytes)\n",
                                index, n);
                        st.truncated++;
                        break;
                }
                uint32_t caplen = file32(&f, rh + 8);
                if (caplen > PCAP_MAX_RECORD) {
                        /* Nothing after this record can be located reliably: stop here. */
                        fprintf(out, "%" PRIu64 " malformed record: caplen %" PRIu32
                                " exceeds %u, stopping\n", index, caplen, PCAP_MAX_RECORD);
                        st.malformed++;
                        break;
                }
                n = read_full(&r, buf, caplen);
                if (n < 0) {
                        *why = "read error";
                        ret = PCAP_DECODE_IO_ERROR;
                        break;
                }
                decode_record(out, &f, &st, index, rh, buf, (size_t) n);
                if ((size_t) n < caplen)
                        break;
        }
        free(buf);
        print_summary(out, &st);
        return ret;
}

struct mem_reader {
        const uint8_t *data;
        size_t len, off;
};

static ssize_t mem_read(void *ctx, uint8_t *buf, size_t len) {
        struct mem_reader *m = ctx;
        size_t left = m->len - m->off;

        if (len > left)
                len = left;
        if (len > SSIZE_MAX)
                len = SSIZE_MAX;
        if (len)
                memcpy(buf, m->data + m->off, len);
        m->off += len;
        return (ssize_t) len;
}

int pcap_decode_buffer(const uint8_t *data, size_t len, FILE *out) {
        struct mem_reader m = { .data = data, .len = data ? len : 0 };

        return pcap_decode_stream(mem_read, &m, out, NULL);
}
