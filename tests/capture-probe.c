/* SPDX-License-Identifier: MIT */
/* capture-probe: what a hostile decoder would try with the packet socket it gets for a capture
 * grant (tests/test-capture.py). Outside the sandbox each action works (it needs CAP_NET_RAW);
 * under sbx the broker or the filter must stop it. libc only.
 *
 *   capture-probe rebind IFINDEX SECONDS  socket, bind to IFINDEX (0: all), count frames
 *   capture-probe send IFINDEX            socket, bind, transmit one frame of ethertype 0x88b5
 *   capture-probe detach                  socket, SO_DETACH_FILTER
 *   capture-probe two                     two packet sockets
 *   capture-probe dup                     socket, dup() it
 *   capture-probe member IFINDEX SECONDS  socket, bind, add a PACKET_MR_UNICAST membership,
 *                                         print "member: ok", hold it SECONDS
 *   capture-probe ring MIB                socket, PACKET_RX_RING of MIB MiB (4 MiB blocks)
 *   capture-probe --fd N ACTION ...       the same on fd N (a socket handed over at start)
 *                                         instead of a new socket
 * Prints "NAME: ok ..." or "NAME: failed: ERROR"; exit 0 when the action worked, 1 when not. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TX_ETHERTYPE 0x88b5

static int failed(const char *what)
{
	printf("%s: failed: %s\n", what, strerror(errno));
	return 1;
}

static int given_fd = -1; /* --fd N */

static int packet_socket(void)
{
	return given_fd >= 0 ? given_fd : socket(AF_PACKET, SOCK_RAW, 0);
}

static int bind_to(int fd, int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex };
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll));
}

static int rebind(int ifindex, int seconds)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	if (bind_to(fd, ifindex) < 0)
		return failed("bind");
	printf("bound: %d\n", ifindex);
	fflush(stdout);
	unsigned frames = 0;
	time_t end = time(NULL) + seconds;
	char buf[2048];
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0 && recv(fd, buf, sizeof(buf), 0) > 0)
			frames++;
	}
	printf("rebind: ok frames %u\n", frames);
	return 0;
}

static int send_frame(int ifindex)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	if (bind_to(fd, ifindex) < 0)
		return failed("bind");
	unsigned char frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1 };
	frame[12] = TX_ETHERTYPE >> 8;
	frame[13] = TX_ETHERTYPE & 0xff;
	memcpy(frame + 14, "sbx-tx", 6);
	int sent = 0;
	for (int i = 0; i < 5; i++) {
		if (write(fd, frame, sizeof(frame)) == (ssize_t)sizeof(frame))
			sent++;
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
		memset(to.sll_addr, 0xff, 6);
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)sizeof(frame))
			sent++;
	}
	if (!sent)
		return failed("send");
	printf("send: ok sent %d\n", sent);
	return 0;
}

static int detach(void)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	/* Something to detach where nobody locked a filter; refused on a locked socket. */
	struct sock_filter accept_all = BPF_STMT(BPF_RET | BPF_K, 0xffff);
	struct sock_fprog fp = { .len = 1, .filter = &accept_all };
	(void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)) < 0)
		return failed("detach");
	printf("detach: ok\n");
	return 0;
}

static int two(void)
{
	int a = packet_socket();
	if (a < 0)
		return failed("socket 1");
	printf("socket 1: %d\n", a);
	fflush(stdout);
	int b = packet_socket();
	if (b < 0)
		return failed("socket 2");
	printf("two: ok %d %d\n", a, b);
	return 0;
}

static int copy(void)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	int c = dup(fd);
	if (c < 0)
		return failed("dup");
	printf("dup: ok %d\n", c);
	return 0;
}

static int member(int ifindex, int seconds)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	if (bind_to(fd, ifindex) < 0)
		return failed("bind");
	/* On a device without IFF_UNICAST_FLT (veth) a unicast address makes it promiscuous. */
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_UNICAST, .mr_alen = 6,
				  .mr_address = { 0x02, 0x5b, 0x78, 0, 0, 1 } };
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return failed("member");
	printf("member: ok\n");
	fflush(stdout);
	sleep((unsigned)seconds);
	return 0;
}

static int ring(unsigned mib)
{
	int fd = packet_socket();
	if (fd < 0)
		return failed("socket");
	struct tpacket_req tp = { .tp_block_size = 4u << 20, .tp_block_nr = mib / 4, .tp_frame_size = 2048 };
	tp.tp_frame_nr = tp.tp_block_size / tp.tp_frame_size * tp.tp_block_nr;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &tp, sizeof(tp)) < 0)
		return failed("ring");
	printf("ring: ok %u MiB\n", mib);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3 && strcmp(argv[1], "--fd") == 0) {
		given_fd = atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc == 2 && strcmp(argv[1], "dup") == 0)
		return copy();
	if (argc == 4 && strcmp(argv[1], "rebind") == 0)
		return rebind(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "send") == 0)
		return send_frame(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "detach") == 0)
		return detach();
	if (argc == 2 && strcmp(argv[1], "two") == 0)
		return two();
	if (argc == 4 && strcmp(argv[1], "member") == 0)
		return member(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "ring") == 0)
		return ring((unsigned)atoi(argv[2]));
	fprintf(stderr, "usage: capture-probe [--fd N] rebind IFINDEX SECONDS | send IFINDEX | detach | two | dup | "
			"member IFINDEX SECONDS | ring MIB\n");
	return 2;
}
