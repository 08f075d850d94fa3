/* SPDX-License-Identifier: MIT */
#include "resources.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <dlfcn.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker/internal.h"
#include "common/util.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif

static int open_file(const struct sbx_resource *res, struct sbx_error *err)
{
	int flags = O_CLOEXEC | O_NOCTTY;
	bool rd = res->flags & SBX_ACCESS_READ, wr = res->flags & SBX_ACCESS_WRITE;
	flags |= rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
	if (res->flags & SBX_ACCESS_CREATE)
		flags |= O_CREAT;
	if (res->flags & SBX_ACCESS_TRUNC)
		flags |= O_TRUNC;
	int fd = open(res->target, flags, 0644);
	if (fd < 0) {
		int e = errno;
		sbx_error_set(err, -e, "resource %s: open %s: %s", res->name, res->target, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		sbx_error_set(err, -EISDIR, "resource %s: %s is a directory (use a dir resource)", res->name, res->target);
		return -EISDIR;
	}
	return fd;
}

static int open_dir(const struct sbx_resource *res, struct sbx_error *err)
{
	int fd = open(res->target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		sbx_error_set(err, -e, "resource %s: directory %s: %s", res->name, res->target, strerror(e));
		return -e;
	}
	return fd;
}

/* libpcap is loaded only when a filter expression is compiled: linked in, it would bring dbus,
 * systemd and gcrypt into every launch of sbx (milliseconds of dynamic loading). */
struct pcap_api {
	pcap_t *(*open_dead)(int, int);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
	void (*freecode)(struct bpf_program *);
	char *(*geterr)(pcap_t *);
	void (*close)(pcap_t *);
};

/* The handle is kept for the life of the process, published atomically: two threads' first
 * filters may both load the library, and the one that loses the race drops its reference (the
 * same library, counted twice). A failed load is tried again next time, once it is installed. */
static void *pcap_handle(char *msg, size_t len)
{
	static void *handle;
	void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
	if (h)
		return h;
	h = dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libpcap.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(msg, len, "libpcap is needed to compile filter expressions: %s", dlerror());
		return NULL;
	}
	void *first = NULL;
	if (!__atomic_compare_exchange_n(&handle, &first, h, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		dlclose(h);
		h = first;
	}
	return h;
}

static int load_pcap(struct pcap_api *api, char *msg, size_t len)
{
	void *handle = pcap_handle(msg, len);
	if (!handle)
		return -ENOENT;
	api->open_dead = (pcap_t * (*)(int, int)) dlsym(handle, "pcap_open_dead");
	api->compile = (int (*)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32))dlsym(handle, "pcap_compile");
	api->freecode = (void (*)(struct bpf_program *))dlsym(handle, "pcap_freecode");
	api->geterr = (char *(*)(pcap_t *))dlsym(handle, "pcap_geterr");
	api->close = (void (*)(pcap_t *))dlsym(handle, "pcap_close");
	if (!api->open_dead || !api->compile || !api->freecode || !api->geterr || !api->close) {
		snprintf(msg, len, "libpcap lacks pcap_compile and friends");
		return -ENOENT;
	}
	return 0;
}

/* Compile a pcap filter expression for Ethernet into a classic BPF program we own (free
 * prog->bf_insns with free()). */
static int pcap_filter_compile(const char *expr, struct bpf_program *prog, char *msg, size_t len)
{
	struct pcap_api api;
	int r = load_pcap(&api, msg, len);
	if (r < 0)
		return r;
	pcap_t *p = api.open_dead(DLT_EN10MB, 262144);
	if (!p) {
		snprintf(msg, len, "pcap_open_dead failed");
		return -ENOMEM;
	}
	struct bpf_program tmp;
	if (api.compile(p, &tmp, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(msg, len, "%s", api.geterr(p));
		api.close(p);
		return -EINVAL;
	}
	api.close(p);
	prog->bf_len = tmp.bf_len;
	prog->bf_insns = calloc(tmp.bf_len ? tmp.bf_len : 1, sizeof(struct bpf_insn));
	if (!prog->bf_insns) {
		api.freecode(&tmp);
		return -ENOMEM;
	}
	memcpy(prog->bf_insns, tmp.bf_insns, tmp.bf_len * sizeof(struct bpf_insn));
	api.freecode(&tmp);
	return 0;
}

int sbx_capture_open(const char *iface, bool promisc, const char *filter, struct sbx_error *err)
{
	return sbx_capture_socket(iface, promisc, filter, SOCK_RAW, NULL, err);
}

int sbx_capture_socket(const char *iface, bool promisc, const char *filter, int type, int *ifindex_ret,
		       struct sbx_error *err)
{
	const char *what = iface && *iface ? iface : "any";
	/* Protocol 0: the socket receives nothing until bind() names the protocol and the
	 * interface, after the filter is attached and locked. Created with ETH_P_ALL it would queue
	 * frames of every interface, unfiltered, from the start. */
	_cleanup_close_ int fd = socket(AF_PACKET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		sbx_error_set(err, -e, "capture on %s: socket(AF_PACKET): %s%s", what, strerror(e),
			      e == EPERM ? " (the broker needs CAP_NET_RAW)" : "");
		return -e;
	}
	int ifindex = 0;
	if (iface && *iface && strcmp(iface, "any") != 0) {
		ifindex = (int)if_nametoindex(iface);
		if (ifindex == 0) {
			int e = errno;
			sbx_error_set(err, -e, "capture on %s: no such interface", what);
			return -e;
		}
	}
	/* Filter before bind, so that no frame the filter would drop is ever queued. */
	if (filter && *filter) {
		struct bpf_program prog;
		char perr[PCAP_ERRBUF_SIZE + 64];
		int pr = pcap_filter_compile(filter, &prog, perr, sizeof(perr));
		if (pr < 0) {
			sbx_error_set(err, pr, "capture on %s: filter '%s': %s", what, filter, perr);
			return pr;
		}
		struct sock_fprog fp = { .len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns };
		int r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
		int e = errno;
		free(prog.bf_insns);
		if (r < 0) {
			sbx_error_set(err, -e, "capture on %s: attaching the filter: %s", what, strerror(e));
			return -e;
		}
		/* The worker gets the socket: it must not be able to widen what it sees. */
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0) {
			e = errno;
			sbx_error_set(err, -e, "capture on %s: locking the filter: %s", what, strerror(e));
			return -e;
		}
	}
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;
		sbx_error_set(err, -e, "capture on %s: bind: %s", what, strerror(e));
		return -e;
	}
	if (promisc && ifindex) {
		struct packet_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			int e = errno;
			sbx_error_set(err, -e, "capture on %s: promiscuous mode: %s", what, strerror(e));
			return -e;
		}
	}
	if (ifindex_ret)
		*ifindex_ret = ifindex;
	return sbx_steal_fd(&fd);
}

static int split_host_port(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	/* "HOST:PORT" or "[V6]:PORT" */
	const char *colon;
	if (s[0] == '[') {
		const char *close_br = strchr(s, ']');
		if (!close_br || close_br[1] != ':')
			return -EINVAL;
		if ((size_t)(close_br - s - 1) >= hlen)
			return -ENAMETOOLONG;
		memcpy(host, s + 1, (size_t)(close_br - s - 1));
		host[close_br - s - 1] = '\0';
		colon = close_br + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= hlen)
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	if (sbx_strlcpy(port, colon + 1, plen) >= plen || !port[0])
		return -EINVAL;
	return 0;
}

int sbx_socket_open(const char *spec, bool listen_mode, struct sbx_error *err)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (sbx_strlcpy(sun.sun_path, spec + 5, sizeof(sun.sun_path)) >= sizeof(sun.sun_path) || !spec[5]) {
			sbx_error_set(err, -EINVAL, "socket %s: bad unix path", spec);
			return -EINVAL;
		}
		_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		int r = listen_mode ? bind(fd, (struct sockaddr *)&sun, sizeof(sun)) : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (r == 0 && listen_mode)
			r = listen(fd, 64);
		if (r < 0) {
			int e = errno;
			sbx_error_set(err, -e, "socket %s: %s: %s", spec, listen_mode ? "listen" : "connect", strerror(e));
			return -e;
		}
		return sbx_steal_fd(&fd);
	}
	bool tcp = strncmp(spec, "tcp:", 4) == 0, udp = strncmp(spec, "udp:", 4) == 0;
	char host[256], port[32];
	if ((!tcp && !udp) || split_host_port(spec + 4, host, sizeof(host), port, sizeof(port)) < 0) {
		sbx_error_set(err, -EINVAL, "socket '%s': expected tcp:HOST:PORT, udp:HOST:PORT or unix:PATH", spec);
		return -EINVAL;
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (listen_mode ? AI_PASSIVE : 0);
	int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (g != 0) {
		sbx_error_set(err, -EINVAL, "socket %s: %s", spec, gai_strerror(g));
		return -EINVAL;
	}
	int e = EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int one = 1;
		int r;
		if (listen_mode) {
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			r = bind(fd, ai->ai_addr, ai->ai_addrlen);
			if (r == 0 && tcp)
				r = listen(fd, 64);
		} else {
			r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		}
		if (r == 0) {
			freeaddrinfo(res);
			return fd;
		}
		e = errno;
		close(fd);
	}
	freeaddrinfo(res);
	sbx_error_set(err, -e, "socket %s: %s: %s", spec, listen_mode ? "bind/listen" : "connect", strerror(e));
	return -e;
}

int sbx_resource_open(const struct sbx_resource *res, struct sbx_error *err)
{
	int fd;
	switch (res->kind) {
	case SBX_RES_FILE:
		return open_file(res, err);
	case SBX_RES_DIR:
		return open_dir(res, err);
	case SBX_RES_CAPTURE:
		return sbx_capture_open(res->target, res->promisc, res->filter, err);
	case SBX_RES_CONNECT:
		return sbx_socket_open(res->target, false, err);
	case SBX_RES_LISTEN:
		return sbx_socket_open(res->target, true, err);
	case SBX_RES_FD:
		fd = fcntl(res->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			int e = errno;
			sbx_error_set(err, -e, "resource %s: fd %d: %s", res->name, res->fd, strerror(e));
			return -e;
		}
		return fd;
	}
	return -EINVAL;
}
