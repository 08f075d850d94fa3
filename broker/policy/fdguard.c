/* SPDX-License-Identifier: MIT */
/* The guard on the fd numbers where the broker installs packet sockets (sbx_compile_opts).
 *
 * A policy allows `write` or `bind` for every descriptor, and libseccomp lets an unconditional
 * rule replace conditional ones for the same call, so the guard cannot be a policy rule. It is a
 * short classic BPF program appended to libseccomp's, reached only where that program would
 * allow (or log) the call: each of its RET ALLOW / RET LOG becomes a jump to the guard, which
 * returns a more restrictive action or, falling through, the policy's own. So it takes nothing
 * away from the policy's refusals (a call the policy kills is still killed, not EPERM), and
 * brokers only what the policy allows. Foreign architectures never get past libseccomp's
 * program.
 *
 * The guarded numbers are the range where brokered sockets land and the start-up slots of the
 * capture grants' sockets (fd 3, 4, ... as the launch plan numbers them, broker/grants.c).
 * Packet sockets a worker gets through the request channel (sbx_client_capture) arrive at
 * numbers the kernel picks in the worker's recvmsg, so no filter can name them: they are not
 * guarded (docs/policy.md says so). Per guarded call, one block (block() below).
 * Descriptors are ints: only the low 32 bits of the argument are compared, as the kernel does. */
#include "policy-internal.h"

#include "common/util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

enum guard_kind { G_TX, G_COPY, G_BROKER };

struct guard_row {
	int nr;
	uint8_t arg;       /* which argument holds the fd */
	uint8_t kind;      /* enum guard_kind */
	bool dupfd_only;   /* fcntl: F_DUPFD and F_DUPFD_CLOEXEC only */
};

/* What a packet socket must not do in the worker's hands: transmit (unless the grant says tx),
 * be copied to a number the guard does not cover, or be rebound or reconfigured except through
 * the broker, which checks against the grant and acts on its own copy of the socket. */
static const struct guard_row rows[] = {
	{ SYS_write, 0, G_TX, false },        { SYS_writev, 0, G_TX, false },
	{ SYS_pwrite64, 0, G_TX, false },     { SYS_pwritev, 0, G_TX, false },
	{ SYS_pwritev2, 0, G_TX, false },     { SYS_sendto, 0, G_TX, false },
	{ SYS_sendmsg, 0, G_TX, false },      { SYS_sendmmsg, 0, G_TX, false },
	{ SYS_sendfile, 0, G_TX, false },     { SYS_splice, 2, G_TX, false },
	{ SYS_tee, 1, G_TX, false },          { SYS_vmsplice, 0, G_TX, false },
	{ SYS_copy_file_range, 2, G_TX, false },
	{ SYS_dup, 0, G_COPY, false },        { SYS_dup3, 0, G_COPY, false },
#ifdef SYS_dup2 /* not on aarch64 */
	{ SYS_dup2, 0, G_COPY, false },
#endif
	{ SYS_fcntl, 0, G_COPY, true },
	{ SYS_pidfd_getfd, 1, G_COPY, false },
	{ SYS_bind, 0, G_BROKER, false },     { SYS_connect, 0, G_BROKER, false },
	{ SYS_setsockopt, 0, G_BROKER, false },
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define LD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define JEQ(k, t, f) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f)))
#define JGE(k, t, f) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f)))
#define JGT(k, t, f) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (k), (t), (f)))
#define RET(k) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (k)))

static uint32_t row_action(const struct guard_row *g, bool tx)
{
	switch (g->kind) {
	case G_TX: return tx ? 0 : SECCOMP_RET_ERRNO | EPERM;
	case G_COPY: return SECCOMP_RET_ERRNO | EPERM;
	default: return SECCOMP_RET_USER_NOTIF;
	}
}

#define JA(k) ((struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (k)))

/* One row's block into out; returns its length. The guarded numbers are the brokered range
 * and each start-up packet socket's slot:
 *     ld nr;  jeq CALL ? next : end;  ld arg
 *     jge FIRST ? next : skip 1;  jgt LAST ? next : hit     (the range)
 *     jeq FD ? hit : next                                    (each start-up socket)
 *     ja end
 * hit: [ld arg1; jeq F_DUPFD ? ret : next; jeq F_DUPFD_CLOEXEC ? ret : end]   (fcntl)
 * ret: ret ACTION
 * end: */
static size_t block(const struct guard_row *g, const struct sbx_compile_opts *o, uint32_t action,
		    struct sock_filter *out)
{
	uint32_t first = (uint32_t)o->capture_fd_first, last = first + o->capture_fd_count - 1;
	size_t hit = 3 + 2 + o->n_capture_slot_fds + 1, ret = hit + (g->dupfd_only ? 3 : 0), end = ret + 1;
	size_t n = 0;
	out[n++] = LD(offsetof(struct seccomp_data, nr));
	out[n++] = JEQ((uint32_t)g->nr, 0, (uint8_t)(end - 2));
	out[n++] = LD(ARG_LO(g->arg));
	out[n++] = JGE(first, 0, 1);
	out[n] = JGT(last, 0, (uint8_t)(hit - n - 1));
	n++;
	for (unsigned i = 0; i < o->n_capture_slot_fds; i++, n++)
		out[n] = JEQ((uint32_t)o->capture_slot_fds[i], (uint8_t)(hit - n - 1), 0);
	out[n] = JA((uint32_t)(end - n - 1));
	n++;
	if (g->dupfd_only) {
		out[n++] = LD(ARG_LO(1));
		out[n++] = JEQ(F_DUPFD, 1, 0);
		out[n++] = JEQ(F_DUPFD_CLOEXEC, 0, 1);
	}
	out[n++] = RET(action);
	return n;
}

#define TAIL 5 /* the trampolines (5 instructions) before the guard, and its end (2) */

int sbx_fdguard_prepend(const struct sbx_compile_opts *opts, uint32_t native_arch, struct sbx_bpf *bpf)
{
	if (!opts->capture_fd_count)
		return 0;
	if (opts->n_capture_slot_fds > SBX_ARRAY_SIZE(opts->capture_slot_fds))
		return -E2BIG;
	/* [policy, its RET ALLOW/LOG now jumps] [allow: ld #ALLOW; st M0; ja guard] [log: ld #LOG;
	 * st M0] [guard: ld arch; jeq native ? 1 : 0; ja end; blocks] [end: ld M0; ret A] */
	struct sock_filter g[TAIL + 3 + SBX_ARRAY_SIZE(rows) * (10 + SBX_ARRAY_SIZE(opts->capture_slot_fds)) + 2];
	size_t n = TAIL + 3;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(rows); i++) {
		uint32_t action = row_action(&rows[i], opts->capture_tx);
		if (action)
			n += block(&rows[i], opts, action, g + n);
	}
	g[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW);
	g[1] = (struct sock_filter)BPF_STMT(BPF_ST, 0);
	g[2] = JA(2);
	g[3] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_LOG);
	g[4] = (struct sock_filter)BPF_STMT(BPF_ST, 0);
	/* Any other architecture skips the guard (the policy's program decided it already). */
	g[TAIL] = LD(offsetof(struct seccomp_data, arch));
	g[TAIL + 1] = JEQ(native_arch, 1, 0);
	g[TAIL + 2] = JA((uint32_t)(n - TAIL - 3));
	g[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_MEM, 0);
	g[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	if (n + bpf->len > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *all = malloc((bpf->len + n) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	memcpy(all, bpf->insns, bpf->len * sizeof(*all));
	memcpy(all + bpf->len, g, n * sizeof(*all));
	/* Every ALLOW (or LOG) of the policy goes through the guard; its refusals stay its own. */
	for (size_t i = 0; i < bpf->len; i++) {
		if (all[i].code != (BPF_RET | BPF_K) || (all[i].k != SECCOMP_RET_ALLOW && all[i].k != SECCOMP_RET_LOG))
			continue;
		size_t to = bpf->len + (all[i].k == SECCOMP_RET_ALLOW ? 0 : 3);
		all[i] = JA((uint32_t)(to - i - 1));
	}
	free(bpf->insns);
	bpf->insns = all;
	bpf->len = (unsigned short)(bpf->len + n);
	return 0;
}
