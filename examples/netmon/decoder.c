/* SPDX-License-Identifier: MIT */
/* netmon-decoder: the sandboxed half of netmon. It holds two descriptors and nothing else: a
 * capture socket (resource CAPTURE) that the broker opened with its CAP_NET_RAW, and the write
 * end of a pipe (resource OUT) to the broker. It reads one frame per recvfrom() and writes one
 * line per frame. Every frame is hostile: each header's length is checked against what is left
 * before a field of it is read, extension-header walks are bounded, nothing is allocated.
 *
 * Kept to a handful of system calls on purpose (policies/netmon-decoder.policy): no stdio (its
 * first write probes the descriptor), no malloc, no signal handlers, and linked statically so
 * that no loader opens files before main().
 *
 *   netmon-decoder [--count N] [--iface NAME] [--ifindex N] [--misbehave socket|send|write]
 *
 * --iface only labels the process (netmon's tests find a worker by it). --ifindex drops frames
 * of any other interface: libsbx's capture socket is created listening on every interface and
 * bound to ours only afterwards, so a few frames of others can be queued before the bind (see
 * examples/netmon/README.md); they are not ours to see, nor to print. --misbehave does what
 * an exploited decoder would try, for the tests: create a socket, send a frame on the capture
 * socket, or write to it; the policy must stop each. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbx-client.h"

/* Larger than any frame a packet socket delivers without GRO merging (64 KiB IP + headers);
 * a longer one is read truncated (MSG_TRUNC reports its real length) and noted. */
#define FRAME_MAX 65600u
#define LINE_MAX_LEN 1024u
#define MAX_VLAN_TAGS 4
#define MAX_IPV6_EXT 8

static int out_fd = STDOUT_FILENO;

/* ---- one output line, built in a fixed buffer and written with one write() ---- */

struct line {
	char buf[LINE_MAX_LEN];
	size_t n;
	bool cut;
};

__attribute__((format(printf, 2, 3))) static void add(struct line *l, const char *fmt, ...)
{
	if (l->cut)
		return;
	size_t room = sizeof(l->buf) - 1 - l->n; /* one byte kept for the newline */
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->buf + l->n, room + 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((size_t)k > room) {
		l->n += room;
		l->cut = true;
	} else {
		l->n += (size_t)k;
	}
}

/* A short write to a pipe is possible (a signal, a nearly full pipe); finish the line. A
 * failing write means the broker is gone: nothing more to do. */
static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(out_fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		p += k;
		n -= (size_t)k;
	}
}

static void emit(struct line *l)
{
	l->buf[l->n++] = '\n';
	write_all(l->buf, l->n);
	l->n = 0;
	l->cut = false;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	struct line l = { .n = 0 };
	char tmp[LINE_MAX_LEN];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		add(&l, "%s", tmp);
	emit(&l);
}

/* ---- reading fields: callers have checked the length ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void add_mac(struct line *l, const uint8_t *p)
{
	add(l, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
}

static void add_ip(struct line *l, int af, const uint8_t *p)
{
	char s[INET6_ADDRSTRLEN];
	if (inet_ntop(af, p, s, sizeof(s)))
		add(l, "%s", s);
	else
		add(l, "?");
}

static bool need(struct line *l, const char *what, size_t have, size_t want)
{
	if (have >= want)
		return true;
	add(l, " | %s truncated (%zu of %zu bytes)", what, have, want);
	return false;
}

/* ---- layers ---- */

static void decode_tcp(struct line *l, const uint8_t *p, size_t len)
{
	if (!need(l, "tcp", len, 20))
		return;
	size_t hl = (size_t)(p[12] >> 4) * 4;
	add(l, " | tcp %u > %u [", be16(p), be16(p + 2));
	static const char letters[] = "FSRPUEC"; /* FIN SYN RST PSH URG ECE CWR, tcpdump's order */
	static const uint8_t bits[] = { 0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80 };
	for (size_t i = 0; i < sizeof(bits); i++)
		if (p[13] & bits[i])
			add(l, "%c", letters[i]);
	if (p[13] & 0x10)
		add(l, ".");
	add(l, "] seq %" PRIu32 " ack %" PRIu32 " win %u", be32(p + 4), be32(p + 8), be16(p + 14));
	if (hl < 20) {
		add(l, " | malformed: tcp header length %zu below 20", hl);
		return;
	}
	if (!need(l, "tcp options", len, hl))
		return;
	add(l, " len %zu", len - hl);
}

static void decode_udp(struct line *l, const uint8_t *p, size_t len)
{
	if (!need(l, "udp", len, 8))
		return;
	unsigned ulen = be16(p + 4);
	add(l, " | udp %u > %u len %u", be16(p), be16(p + 2), ulen);
	if (ulen < 8)
		add(l, " | malformed: udp length below 8");
	else if (ulen > len)
		add(l, " | udp payload truncated (%zu of %u bytes)", len, ulen);
}

static void decode_icmp(struct line *l, const char *name, bool v6, const uint8_t *p, size_t len)
{
	if (!need(l, name, len, 4))
		return;
	uint8_t type = p[0], code = p[1];
	bool echo = v6 ? (type == 128 || type == 129) : (type == 8 || type == 0);
	const char *what = NULL;
	if (v6) {
		switch (type) {
		case 1: what = "unreachable"; break;
		case 2: what = "packet-too-big"; break;
		case 3: what = "time-exceeded"; break;
		case 128: what = "echo-request"; break;
		case 129: what = "echo-reply"; break;
		case 133: what = "router-solicitation"; break;
		case 134: what = "router-advertisement"; break;
		case 135: what = "neighbor-solicitation"; break;
		case 136: what = "neighbor-advertisement"; break;
		case 143: what = "mld2-report"; break;
		}
	} else {
		switch (type) {
		case 0: what = "echo-reply"; break;
		case 3: what = "unreachable"; break;
		case 5: what = "redirect"; break;
		case 8: what = "echo-request"; break;
		case 11: what = "time-exceeded"; break;
		}
	}
	if (what)
		add(l, " | %s %s code %u", name, what, code);
	else
		add(l, " | %s type %u code %u", name, type, code);
	if (echo && len >= 8)
		add(l, " id %u seq %u len %zu", be16(p + 4), be16(p + 6), len - 8);
	if (v6 && (type == 135 || type == 136) && len >= 24) {
		add(l, " target ");
		add_ip(l, AF_INET6, p + 8);
	}
}

static void decode_l4(struct line *l, unsigned proto, const uint8_t *p, size_t len, bool v6)
{
	switch (proto) {
	case 6:
		decode_tcp(l, p, len);
		break;
	case 17:
		decode_udp(l, p, len);
		break;
	case 1:
		if (!v6)
			decode_icmp(l, "icmp", false, p, len);
		else
			add(l, " | proto 1");
		break;
	case 58:
		if (v6)
			decode_icmp(l, "icmp6", true, p, len);
		else
			add(l, " | proto 58");
		break;
	default:
		add(l, " | proto %u len %zu", proto, len);
	}
}

static void decode_ipv4(struct line *l, const uint8_t *p, size_t len)
{
	if (!need(l, "ipv4", len, 20))
		return;
	unsigned version = p[0] >> 4;
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = be16(p + 2);
	unsigned frag = be16(p + 6);
	add(l, " | ipv4 ");
	add_ip(l, AF_INET, p + 12);
	add(l, " > ");
	add_ip(l, AF_INET, p + 16);
	add(l, " ttl %u id %u len %zu", p[8], be16(p + 4), total);
	if (version != 4) {
		add(l, " | malformed: ip version %u in an ipv4 frame", version);
		return;
	}
	if (hl < 20) {
		add(l, " | malformed: ipv4 header length %zu below 20", hl);
		return;
	}
	if (total < hl) {
		add(l, " | malformed: ipv4 total length %zu below header length %zu", total, hl);
		return;
	}
	if (!need(l, "ipv4 options", len, hl))
		return;
	/* Ethernet pads short frames: the total length, not the frame, ends the datagram. */
	size_t end = total;
	if (end > len) {
		add(l, " | ipv4 payload truncated (%zu of %zu bytes)", len, total);
		end = len;
	}
	if (frag & 0x1fff) {
		add(l, " frag off %u | proto %u fragment", (frag & 0x1fff) * 8u, p[9]);
		return;
	}
	if (frag & 0x2000)
		add(l, " mf");
	decode_l4(l, p[9], p + hl, end - hl, false);
}

static void decode_ipv6(struct line *l, const uint8_t *p, size_t len)
{
	if (!need(l, "ipv6", len, 40))
		return;
	unsigned version = p[0] >> 4;
	size_t plen = be16(p + 4);
	add(l, " | ipv6 ");
	add_ip(l, AF_INET6, p + 8);
	add(l, " > ");
	add_ip(l, AF_INET6, p + 24);
	add(l, " hlim %u plen %zu", p[7], plen);
	if (version != 6) {
		add(l, " | malformed: ip version %u in an ipv6 frame", version);
		return;
	}
	size_t have = len - 40;
	if (plen > have)
		add(l, " | ipv6 payload truncated (%zu of %zu bytes)", have, plen);
	else
		have = plen; /* ignore Ethernet padding */
	const uint8_t *q = p + 40;
	unsigned next = p[6];
	for (int i = 0;; i++) {
		size_t hl;
		if (next == 0 || next == 43 || next == 60 || next == 135) { /* hop, routing, dest, mobility */
			if (!need(l, "ipv6 extension", have, 8))
				return;
			hl = ((size_t)q[1] + 1) * 8;
		} else if (next == 51) { /* AH counts 4-byte units, minus 2 */
			if (!need(l, "ipv6 ah", have, 8))
				return;
			hl = ((size_t)q[1] + 2) * 4;
		} else if (next == 44) {
			if (!need(l, "ipv6 fragment", have, 8))
				return;
			unsigned off = be16(q + 2) & 0xfff8u;
			add(l, " ext 44");
			if (off) {
				add(l, " frag off %u | proto %u fragment", off, q[0]);
				return;
			}
			hl = 8;
		} else {
			break;
		}
		if (i >= MAX_IPV6_EXT) {
			add(l, " | malformed: more than %d ipv6 extension headers", MAX_IPV6_EXT);
			return;
		}
		if (!need(l, "ipv6 extension", have, hl))
			return;
		if (next != 44)
			add(l, " ext %u", next);
		next = q[0];
		q += hl;
		have -= hl;
	}
	decode_l4(l, next, q, have, true);
}

static void decode_arp(struct line *l, const uint8_t *p, size_t len)
{
	if (!need(l, "arp", len, 8))
		return;
	unsigned op = be16(p + 6);
	/* Only Ethernet/IPv4 ARP has addresses where we print them. */
	if (be16(p) != 1 || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
		add(l, " | arp op %u (not ethernet/ipv4)", op);
		return;
	}
	if (!need(l, "arp", len, 28))
		return;
	if (op == 1) {
		add(l, " | arp who-has ");
		add_ip(l, AF_INET, p + 24);
		add(l, " tell ");
		add_ip(l, AF_INET, p + 14);
	} else if (op == 2) {
		add(l, " | arp reply ");
		add_ip(l, AF_INET, p + 14);
		add(l, " is-at ");
		add_mac(l, p + 8);
	} else {
		add(l, " | arp op %u", op);
	}
}

static const char *direction(unsigned char pkttype)
{
	switch (pkttype) {
	case PACKET_HOST: return "in";
	case PACKET_BROADCAST: return "in-bcast";
	case PACKET_MULTICAST: return "in-mcast";
	case PACKET_OTHERHOST: return "in-other";
	case PACKET_OUTGOING: return "out";
	default: return "?";
	}
}

static void decode_frame(struct line *l, uint64_t no, const struct sockaddr_ll *sll, const uint8_t *p,
			 size_t caplen, size_t len)
{
	add(l, "frame %" PRIu64 " %s len %zu", no, direction(sll->sll_pkttype), len);
	if (caplen < len)
		add(l, " caplen %zu", caplen);
	/* Loopback frames carry an Ethernet header too (zero addresses). */
	if (sll->sll_hatype != 1 /* ARPHRD_ETHER */ && sll->sll_hatype != 772 /* ARPHRD_LOOPBACK */) {
		add(l, " | link type %u not decoded", sll->sll_hatype);
		return;
	}
	if (!need(l, "eth", caplen, 14))
		return;
	add(l, " | eth ");
	add_mac(l, p + 6);
	add(l, " > ");
	add_mac(l, p);
	unsigned type = be16(p + 12);
	size_t off = 14;
	for (int tags = 0; type == 0x8100 || type == 0x88a8; tags++) {
		if (tags == MAX_VLAN_TAGS) {
			add(l, " | malformed: more than %d vlan tags", MAX_VLAN_TAGS);
			return;
		}
		if (!need(l, "vlan", caplen - off, 4))
			return;
		add(l, " vlan %u", be16(p + off) & 0x0fffu);
		type = be16(p + off + 2);
		off += 4;
	}
	const uint8_t *q = p + off;
	size_t rest = caplen - off;
	switch (type) {
	case 0x0800:
		decode_ipv4(l, q, rest);
		break;
	case 0x86dd:
		decode_ipv6(l, q, rest);
		break;
	case 0x0806:
		decode_arp(l, q, rest);
		break;
	default:
		add(l, " | ethertype 0x%04x len %zu", type, rest);
	}
}

/* ---- main ---- */

static void misbehave(const char *how, int cap_fd)
{
	static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	say("misbehaving: %s", how);
	if (strcmp(how, "socket") == 0) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		say("socket() returned %d", s);
	} else if (strcmp(how, "send") == 0) {
		ssize_t k = send(cap_fd, frame, sizeof(frame), 0);
		say("send() on the capture socket returned %zd", k);
	} else if (strcmp(how, "write") == 0) {
		ssize_t k = write(cap_fd, frame, sizeof(frame));
		say("write() on the capture socket returned %zd", k);
	} else {
		say("unknown --misbehave %s", how);
		_exit(2);
	}
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t count = 0, ifindex = 0, foreign = 0;
	unsigned errors_in_a_row = 0;
	const char *bad = NULL;

	/* Output first, so that every complaint below reaches the broker (the policy allows
	 * writing to OUT only). Without an OUT resource (run by hand, or under sbx without one)
	 * the decoder writes to its standard output. */
	int fd = sbx_client_resource("OUT");
	if (fd >= 0)
		out_fd = fd;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			if (!parse_u64(argv[++i], &count)) {
				say("error: --count wants a number");
				return 2;
			}
		} else if (strcmp(argv[i], "--iface") == 0 && i + 1 < argc) {
			i++;
		} else if (strcmp(argv[i], "--ifindex") == 0 && i + 1 < argc) {
			if (!parse_u64(argv[++i], &ifindex) || ifindex == 0 || ifindex > INT32_MAX) {
				say("error: --ifindex wants a positive number");
				return 2;
			}
		} else if (strcmp(argv[i], "--misbehave") == 0 && i + 1 < argc) {
			bad = argv[++i];
		} else {
			say("usage: netmon-decoder [--count N] [--iface NAME] [--ifindex N] [--misbehave socket|send|write]");
			return 2;
		}
	}

	int cap = sbx_client_resource("CAPTURE");
	if (cap < 0) {
		say("error: no capture resource (SBX_FD_CAPTURE): %s", strerror(-cap));
		return 2;
	}
	if (bad)
		misbehave(bad, cap);

	static uint8_t frame[FRAME_MAX];
	for (uint64_t no = 1; count == 0 || no <= count; no++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		memset(&sll, 0, sizeof(sll));
		/* MSG_TRUNC: the return value is the frame's real length even when it did not fit. */
		ssize_t n = recvfrom(cap, frame, sizeof(frame), MSG_TRUNC, (struct sockaddr *)&sll, &sl);
		if (n < 0) {
			int e = errno;
			no--;
			if (e == EINTR)
				continue;
			/* The kernel reports an interface going down (or down at the bind) once per
			 * event on a packet socket; frames follow when it comes back up. */
			if (e == ENETDOWN && ++errors_in_a_row < 64) {
				say("note: the interface is down; waiting");
				continue;
			}
			say("error: recvfrom: %s", strerror(e));
			return 1;
		}
		errors_in_a_row = 0;
		if (ifindex && (uint64_t)(uint32_t)sll.sll_ifindex != ifindex) {
			if (foreign++ == 0)
				say("note: ignoring frames of other interfaces (the first from ifindex %d)", sll.sll_ifindex);
			no--;
			continue;
		}
		size_t len = (size_t)n, caplen = len < sizeof(frame) ? len : sizeof(frame);
		struct line l = { .n = 0 };
		decode_frame(&l, no, &sll, frame, caplen, len);
		emit(&l);
	}
	return 0;
}
