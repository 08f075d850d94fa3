/* SPDX-License-Identifier: MIT */
/* Brokered calls (brokered.h): one row per call in calls[], each a matcher on the registers and
 * an answer. A new brokered call is a row plus its answer, never a branch in notify.c.
 *
 * Why it is safe: the packet socket is created and bound here, with the broker's CAP_NET_RAW,
 * then installed in the worker at a number the filter guards (SECCOMP_ADDFD_FLAG_SETFD +
 * _SEND, policy/fdguard.c). The worker can only transmit through it with a `tx` grant and cannot
 * copy it to an unguarded number; its bind and setsockopt come here, where the arguments in
 * memory are copied once (process_vm_readv, then SECCOMP_IOCTL_NOTIF_ID_VALID so that the copy
 * belongs to this very call) and the allowed ones are made on the broker's own reference to
 * the same socket. The call itself never continues in the worker. */
#include "brokered.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "broker/policy/policy.h"
#include "broker/resources.h"
#include "broker/worker.h"
#include "common/util.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif

/* ---- answering, refusing, auditing ---- */


/* The call's result: val, or -error. A task gone meanwhile (ENOENT) is not the listener's fault. */
static void reply(struct sbx_worker *w, int listener, const struct seccomp_notif *req, int64_t val, int error)
{
	struct seccomp_notif_resp resp = { .id = req->id, .val = error ? 0 : val, .error = error ? -error : 0 };
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		sbx_worker_kill(w);
}

/* A call that asks for more than the grant: reported like a violation (the call, the grant
 * that would allow it) and the worker killed; the call is never answered. */
static void refuse(struct sbx_worker *w, const char *name, const char *call, const char *grant, const char *why)
{
	sbx_worker_audit(w, name, call, false, EPERM, why);
	if (!w->facts.violation) {
		w->facts.violation = true;
		snprintf(w->facts.call, sizeof(w->facts.call), "%s", call);
		snprintf(w->facts.suggestion, sizeof(w->facts.suggestion), "%s", grant);
	}
	sbx_worker_kill(w);
}

/* Copy len bytes of the worker's memory at addr, then make sure the notification is still
 * pending: had the task died and its pid been reused, the copy would be another's memory. */
static int read_mem(int listener, const struct seccomp_notif *req, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EFAULT;
	uint64_t id = req->id;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -ENOENT;
	return 0;
}

/* A capture grant's socket handed over at start, guarded at its slot number (grants.c). */
static const struct sbx_brokered_socket *start_socket_at(const struct sbx_worker *w, int fd)
{
	for (unsigned i = 0; i < w->grants.n_start; i++)
		if (w->grants.start[i].target == fd)
			return &w->grants.start[i];
	return NULL;
}

static const struct sbx_brokered_socket *socket_at(const struct sbx_worker *w, uint64_t fd_arg)
{
	int fd = (int)(uint32_t)fd_arg; /* an int for the kernel */
	for (unsigned i = 0; i < w->grants.n_socks; i++)
		if (w->grants.socks[i].target == fd)
			return &w->grants.socks[i];
	return start_socket_at(w, fd);
}

static void grant_text(const struct sbx_resource *res, char *buf, size_t len)
{
	snprintf(buf, len, "capture %s=%s%s%s max %u", res->name, res->target, res->promisc ? ":promisc" : "",
		 res->tx ? ":tx" : "", sbx_grant_capture_max(res));
}

/* ---- socket(AF_PACKET, type, protocol) ---- */

static bool match_socket(struct sbx_worker *w, const struct seccomp_notif *req, char *rule, size_t len)
{
	if ((uint32_t)req->data.args[0] != AF_PACKET)
		return false;
	/* The prebuilt default filter sends nothing here; any other filter has a parsed policy. */
	return sbx_policy_brokers(w->policy, sbx_grants_kinds(&w->grants), req->data.arch, req->data.nr,
				  (const uint64_t *)req->data.args, rule, len);
}

/* The first capture grant with sockets left, or -1. */
static long grant_with_room(const struct sbx_worker *w)
{
	for (size_t i = 0; i < w->grants.n; i++)
		if (w->grants.res[i].kind == SBX_RES_CAPTURE && w->grants.sockets[i] < sbx_grant_capture_max(&w->grants.res[i]))
			return (long)i;
	return -1;
}

static void answer_socket(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *rule)
{
	uint32_t type = (uint32_t)req->data.args[1], base = type & 0xf, proto = (uint32_t)req->data.args[2];
	char call[160], why[256];
	snprintf(call, sizeof(call), "socket(AF_PACKET, %s%s%s, htons(0x%x))",
		 base == SOCK_RAW ? "SOCK_RAW" : base == SOCK_DGRAM ? "SOCK_DGRAM" : "?", type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
		 type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "", ntohs((uint16_t)proto));
	long g = grant_with_room(w);
	if ((base != SOCK_RAW && base != SOCK_DGRAM) || (type & ~(0xfu | SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return refuse(w, "socket", call, "a packet socket of type SOCK_RAW or SOCK_DGRAM", "unknown socket type");
	if (g < 0 || w->grants.n_socks >= SBX_CAPTURE_FD_COUNT) {
		char grant[160] = "--capture NAME=IFACE (or `resource NAME capture IFACE` in the policy)";
		for (size_t i = 0; i < w->grants.n; i++)
			if (w->grants.res[i].kind == SBX_RES_CAPTURE) {
				snprintf(grant, sizeof(grant), "max %u to the capture grant %s",
					 sbx_grant_capture_max(&w->grants.res[i]) + 1, w->grants.res[i].name);
				break;
			}
		snprintf(why, sizeof(why), "%s; no capture grant has packet sockets left", rule);
		return refuse(w, "socket", call, grant, why);
	}
	const struct sbx_resource *res = &w->grants.res[g];
	__attribute__((cleanup(sbx_error_free))) struct sbx_error err = SBX_ERROR_INIT;
	int ifindex = 0;
	_cleanup_close_ int fd = sbx_capture_socket(res->target, res->promisc, res->filter, (int)base, &ifindex, &err);
	if (fd >= 0 && (type & SOCK_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		sbx_close(&fd); /* not overwritten while open: the cleanup closes only what fd holds */
		fd = -e;
	}
	grant_text(res, why, sizeof(why));
	if (fd < 0) {
		sbx_worker_audit(w, "socket", call, false, -fd, err.message ? err.message : why);
		return reply(w, listener, req, 0, -fd);
	}
	int target = SBX_CAPTURE_FD_FIRST + (int)w->grants.n_socks;
	struct seccomp_notif_addfd add = { .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND,
					   .srcfd = (uint32_t)fd, .newfd = (uint32_t)target,
					   .newfd_flags = (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0 };
	/* With _SEND the installation is the answer: the call returns the new number. */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) {
		int e = errno;
		sbx_worker_audit(w, "socket", call, false, e, why);
		if (e != ENOENT)
			reply(w, listener, req, 0, e == EBADF ? EMFILE : e);
		return;
	}
	w->grants.sockets[g]++;
	w->grants.socks[w->grants.n_socks++] = (struct sbx_brokered_socket){ sbx_steal_fd(&fd), target, (size_t)g, ifindex };
	char target_text[200];
	snprintf(target_text, sizeof(target_text), "%s = fd %d", call, target);
	sbx_worker_audit(w, "socket", target_text, true, 0, why);
}

/* ---- bind(fd, sockaddr_ll, len) on a brokered socket ---- */

static void ifname(int ifindex, char *buf)
{
	if (!if_indextoname((unsigned)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
}

static void answer_bind(struct sbx_worker *w, int listener, const struct seccomp_notif *req,
			const struct sbx_brokered_socket *s)
{
	const struct sbx_resource *res = &w->grants.res[s->grant];
	struct sockaddr_ll sll;
	uint64_t len = req->data.args[2];
	char call[200], grant[160], name[IF_NAMESIZE];
	grant_text(res, grant, sizeof(grant));
	if (len < sizeof(sll) || len > sizeof(struct sockaddr_storage)) {
		sbx_worker_audit(w, "bind", "bind on a packet socket with a bad length", false, EINVAL, grant);
		return reply(w, listener, req, 0, EINVAL);
	}
	int r = read_mem(listener, req, req->data.args[1], &sll, sizeof(sll));
	if (r < 0) {
		sbx_worker_audit(w, "bind", "bind on a packet socket: unreadable address", false, -r, grant);
		return r == -ENOENT ? (void)0 : reply(w, listener, req, 0, EFAULT);
	}
	ifname(sll.sll_ifindex, name);
	snprintf(call, sizeof(call), "bind(%d, {sll_family=%u, sll_protocol=htons(0x%x), sll_ifindex=%d (%s)}, %llu)",
		 s->target, sll.sll_family, ntohs(sll.sll_protocol), sll.sll_ifindex, name, (unsigned long long)len);
	/* Another interface, or all of them (ifindex 0), is more than a grant for one. */
	if (sll.sll_family != AF_PACKET || (s->ifindex && sll.sll_ifindex != s->ifindex)) {
		char sug[160];
		snprintf(sug, sizeof(sug), "--capture NAME=%s", name);
		return refuse(w, "bind", call, sug, grant);
	}
	r = bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? errno : 0;
	sbx_worker_audit(w, "bind", call, r == 0, r, grant);
	reply(w, listener, req, 0, r);
}

/* ---- setsockopt(fd, level, name, value, len) on a brokered socket ---- */

enum opt_rule { OPT_COPY, OPT_TX, OPT_MEMBERSHIP, OPT_FILTER, OPT_NONE };

/* The options a capture needs, none of which checks a capability (the broker makes them with
 * its own credentials, so SO_RCVBUFFORCE, SO_MARK, SO_PRIORITY and the like are never here). */
static const struct {
	int level, name;
	const char *text;
	uint8_t rule;
} opts[] = {
	{ SOL_PACKET, PACKET_VERSION, "PACKET_VERSION", OPT_COPY },
	{ SOL_PACKET, PACKET_RESERVE, "PACKET_RESERVE", OPT_COPY },
	{ SOL_PACKET, PACKET_RX_RING, "PACKET_RX_RING", OPT_COPY },
	{ SOL_PACKET, PACKET_AUXDATA, "PACKET_AUXDATA", OPT_COPY },
	{ SOL_PACKET, PACKET_TIMESTAMP, "PACKET_TIMESTAMP", OPT_COPY },
	{ SOL_PACKET, PACKET_ORIGDEV, "PACKET_ORIGDEV", OPT_COPY },
	{ SOL_PACKET, PACKET_COPY_THRESH, "PACKET_COPY_THRESH", OPT_COPY },
	{ SOL_PACKET, PACKET_TX_RING, "PACKET_TX_RING", OPT_TX },
	{ SOL_PACKET, PACKET_LOSS, "PACKET_LOSS", OPT_TX },
	{ SOL_PACKET, PACKET_QDISC_BYPASS, "PACKET_QDISC_BYPASS", OPT_TX },
	{ SOL_PACKET, PACKET_ADD_MEMBERSHIP, "PACKET_ADD_MEMBERSHIP", OPT_MEMBERSHIP },
	{ SOL_PACKET, PACKET_DROP_MEMBERSHIP, "PACKET_DROP_MEMBERSHIP", OPT_MEMBERSHIP },
	{ SOL_SOCKET, SO_ATTACH_FILTER, "SO_ATTACH_FILTER", OPT_FILTER },
	{ SOL_SOCKET, SO_DETACH_FILTER, "SO_DETACH_FILTER", OPT_COPY },
	{ SOL_SOCKET, SO_LOCK_FILTER, "SO_LOCK_FILTER", OPT_COPY },
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", OPT_COPY },
	{ SOL_SOCKET, SO_TIMESTAMP, "SO_TIMESTAMP", OPT_COPY },
	{ SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS", OPT_COPY },
};

#define OPT_MAX 64 /* bytes: the largest option above is struct tpacket_req3 */

/* A membership on another interface, or promiscuous mode the grant does not give, is refused
 * (1) or, for promiscuous mode on the granted interface, answered without effect (2): libpcap
 * asks for it by default and a capture of the host's own traffic still works. 0: make it.
 * Without `promisc` every membership type is answered without effect, not only PROMISC and
 * ALLMULTI: a UNICAST or MULTICAST address on a device without IFF_UNICAST_FLT (veth, many
 * drivers) makes the kernel fall back to promiscuous mode (__dev_set_rx_mode), so each one would
 * be promiscuous mode by another name. */
static int check_membership(const struct sbx_brokered_socket *s, const struct sbx_resource *res,
			    const struct packet_mreq *mr)
{
	if (s->ifindex && mr->mr_ifindex != s->ifindex)
		return 1;
	if (!res->promisc)
		return 2;
	return 0;
}

/* The most kernel memory one packet ring may take: the broker makes the ring, so the worker's
 * memory cgroup is not charged for it, and the kernel alone allows up to 4 GiB per ring. 64 MiB
 * is 32 times tcpdump's default buffer (-B 2048). */
#define RING_MAX (64ull << 20)

/* PACKET_RX_RING and PACKET_TX_RING: 0, or -ENOMEM for a ring larger than RING_MAX. The
 * struct tpacket_req of every TPACKET version starts with tp_block_size and tp_block_nr. */
static int check_ring(int level, int name, const uint8_t *val, uint64_t len)
{
	if (level != SOL_PACKET || (name != PACKET_RX_RING && name != PACKET_TX_RING))
		return 0;
	struct tpacket_req tp;
	if (len < sizeof(tp))
		return -EINVAL;
	memcpy(&tp, val, sizeof(tp));
	return (uint64_t)tp.tp_block_size * tp.tp_block_nr > RING_MAX ? -ENOMEM : 0;
}

/* Copy a classic BPF program out of the worker: the struct, then its instructions. */
static int read_filter(int listener, const struct seccomp_notif *req, const uint8_t *val, uint64_t len,
		       struct sock_filter **insns, unsigned short *n)
{
	struct sock_fprog fp;
	if (len != sizeof(fp))
		return -EINVAL;
	memcpy(&fp, val, sizeof(fp));
	if (fp.len == 0 || fp.len > BPF_MAXINSNS)
		return -EINVAL;
	*insns = calloc(fp.len, sizeof(**insns));
	if (!*insns)
		return -ENOMEM;
	*n = fp.len;
	return read_mem(listener, req, (uint64_t)(uintptr_t)fp.filter, *insns, fp.len * sizeof(**insns));
}

static int make_option(int listener, const struct seccomp_notif *req, const struct sbx_brokered_socket *s,
		       int level, int name, uint8_t rule, const uint8_t *val, uint64_t len)
{
	if (rule != OPT_FILTER)
		return setsockopt(s->fd, level, name, val, (socklen_t)len) < 0 ? -errno : 0;
	_cleanup_free_ struct sock_filter *insns = NULL;
	unsigned short n = 0;
	int r = read_filter(listener, req, val, len, &insns, &n);
	if (r < 0)
		return r;
	struct sock_fprog fp = { .len = n, .filter = insns };
	return setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ? -errno : 0;
}

/* A filter of the program's own on a socket where the grant's filter is locked: the kernel
 * would refuse it (EPERM) and libpcap then gives up the capture. The locked filter already
 * bounds what the socket receives, so the call is answered without effect, like promiscuous
 * mode without a grant; detaching stays refused by the kernel. */
static void filter_over_lock(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *call)
{
	sbx_worker_audit(w, "setsockopt", call, true, 0, "the grant's filter is locked: answered, not applied");
	reply(w, listener, req, 0, 0);
}

static void answer_setsockopt(struct sbx_worker *w, int listener, const struct seccomp_notif *req,
			      const struct sbx_brokered_socket *s)
{
	const struct sbx_resource *res = &w->grants.res[s->grant];
	int level = (int)(uint32_t)req->data.args[1], name = (int)(uint32_t)req->data.args[2];
	uint64_t len = req->data.args[4];
	char call[200], grant[160];
	grant_text(res, grant, sizeof(grant));
	size_t i = 0;
	while (i < SBX_ARRAY_SIZE(opts) && (opts[i].level != level || opts[i].name != name))
		i++;
	uint8_t rule = i < SBX_ARRAY_SIZE(opts) ? opts[i].rule : OPT_NONE;
	snprintf(call, sizeof(call), "setsockopt(%d, %s, %s, ..., %llu)", s->target,
		 level == SOL_PACKET ? "SOL_PACKET" : level == SOL_SOCKET ? "SOL_SOCKET" : "?",
		 rule != OPT_NONE ? opts[i].text : "?", (unsigned long long)len);
	if (rule == OPT_NONE || (rule == OPT_TX && !res->tx))
		return refuse(w, "setsockopt", call, rule == OPT_TX ? "tx to the capture grant" : "(none: not a capture option)",
			      grant);
	uint8_t val[OPT_MAX] = { 0 };
	int r = len > sizeof(val) ? -EINVAL : len ? read_mem(listener, req, req->data.args[3], val, len) : 0;
	if (r == -ENOENT)
		return;
	if (r == 0 && rule == OPT_MEMBERSHIP) {
		struct packet_mreq mr = { 0 };
		memcpy(&mr, val, len < sizeof(mr) ? len : sizeof(mr));
		int m = check_membership(s, res, &mr);
		if (m == 1)
			return refuse(w, "setsockopt", call, "a capture grant for that interface", grant);
		if (m == 2) {
			sbx_worker_audit(w, "setsockopt", call, true, 0, "membership without promisc: answered, not applied");
			return reply(w, listener, req, 0, 0);
		}
	}
	if (r == 0 && rule == OPT_FILTER && res->filter)
		return filter_over_lock(w, listener, req, call);
	if (r == 0 && (r = check_ring(level, name, val, len)) < 0) {
		sbx_worker_audit(w, "setsockopt", call, false, -r, "a packet ring larger than 64 MiB is not made");
		return reply(w, listener, req, 0, -r);
	}
	if (r == 0)
		r = make_option(listener, req, s, level, name, rule, val, len);
	if (r == -ENOENT)
		return;
	sbx_worker_audit(w, "setsockopt", call, r == 0, -r, grant);
	reply(w, listener, req, 0, -r);
}

/* ---- the table ---- */

static void answer_on_socket(struct sbx_worker *w, int listener, const struct seccomp_notif *req)
{
	const struct sbx_brokered_socket *s = socket_at(w, req->data.args[0]);
	if (!s) {
		/* A guarded number that holds no brokered socket: the worker's own business. */
		sbx_worker_audit(w, seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr) ?: "?",
		      "a guarded fd number without a brokered socket", false, EBADF, "capture fd guard");
		return reply(w, listener, req, 0, EBADF);
	}
	if (req->data.nr == SYS_bind)
		return answer_bind(w, listener, req, s);
	if (req->data.nr == SYS_setsockopt)
		return answer_setsockopt(w, listener, req, s);
	/* connect: a packet socket has no peer. */
	sbx_worker_audit(w, "connect", "connect on a packet socket", false, EOPNOTSUPP, "capture fd guard");
	reply(w, listener, req, 0, EOPNOTSUPP);
}

static bool match_guarded(struct sbx_worker *w, const struct seccomp_notif *req, char *rule, size_t len)
{
	(void)rule;
	(void)len;
	uint32_t fd = (uint32_t)req->data.args[0];
	return req->data.arch == seccomp_arch_native() && sbx_grants_kinds(&w->grants) &&
	       ((fd >= SBX_CAPTURE_FD_FIRST && fd < SBX_CAPTURE_FD_FIRST + SBX_CAPTURE_FD_COUNT) ||
		start_socket_at(w, (int)fd));
}

static void answer_guarded_row(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *rule)
{
	(void)rule;
	answer_on_socket(w, listener, req);
}

static const struct brokered_call {
	int nr;
	/* From the registers only: is this notification this brokered call? rule receives what
	 * allows it, for the audit. */
	bool (*match)(struct sbx_worker *w, const struct seccomp_notif *req, char *rule, size_t len);
	void (*answer)(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *rule);
} calls[] = {
	{ SYS_socket, match_socket, answer_socket },          /* a policy rule `-> broker` */
	{ SYS_bind, match_guarded, answer_guarded_row },          /* the capture fd guard */
	{ SYS_setsockopt, match_guarded, answer_guarded_row },
	{ SYS_connect, match_guarded, answer_guarded_row },
	{ SYS_openat, sbx_brokered_open_match, sbx_brokered_open_answer }, /* brokered_open.c */
#ifdef SYS_open /* not on aarch64, which has openat only */
	{ SYS_open, sbx_brokered_open_match, sbx_brokered_open_answer },
	{ SYS_creat, sbx_brokered_open_match, sbx_brokered_open_answer },
#endif
};

bool sbx_brokered_answer(struct sbx_worker *w, int listener, const struct seccomp_notif *req)
{
	if (req->data.arch != seccomp_arch_native())
		return false;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(calls); i++) {
		char rule[320] = "";
		if (calls[i].nr == req->data.nr && calls[i].match(w, req, rule, sizeof(rule))) {
			calls[i].answer(w, listener, req, rule);
			return true;
		}
	}
	return false;
}

void sbx_brokered_reply(struct sbx_worker *w, int listener, const struct seccomp_notif *req, int64_t val, int error)
{
	reply(w, listener, req, val, error);
}

void sbx_brokered_refuse(struct sbx_worker *w, const char *name, const char *call, const char *grant, const char *why)
{
	refuse(w, name, call, grant, why);
}
