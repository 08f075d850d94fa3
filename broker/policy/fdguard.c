/* SPDX-License-Identifier: MIT */
/* The guard on the fd numbers where the broker installs packet sockets (sbx_compile_opts).
 *
 * A policy allows `write` or `bind` for every descriptor, and libseccomp lets an unconditional
 * rule replace conditional ones for the same call, so the guard cannot be a policy rule. It is a
 * short classic BPF program run before libseccomp's: it only ever returns an action more
 * restrictive than ALLOW or falls through, so it can take nothing away from the policy's
 * own refusals. Foreign architectures fall through to libseccomp's program, which kills them.
 *
 * Per guarded call, one block:
 *     ld  nr;    jeq CALL ? next : skip block
 *     ld  arg;   jge FIRST ? next : skip;   jgt LAST ? skip : next
 *    [ld  arg1;  jeq F_DUPFD ? ret : next;  jeq F_DUPFD_CLOEXEC ? ret : skip]   (fcntl)
 *     ret ACTION
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
	{ SYS_dup, 0, G_COPY, false },        { SYS_dup2, 0, G_COPY, false },
	{ SYS_dup3, 0, G_COPY, false },       { SYS_fcntl, 0, G_COPY, true },
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

/* One row's block into out; returns its length. */
static size_t block(const struct guard_row *g, uint32_t first, uint32_t last, uint32_t action, struct sock_filter *out)
{
	size_t n = 0;
	uint8_t len = g->dupfd_only ? 9 : 6; /* instructions in the block */
	out[n++] = LD(offsetof(struct seccomp_data, nr));
	out[n++] = JEQ((uint32_t)g->nr, 0, len - 2);
	out[n++] = LD(ARG_LO(g->arg));
	out[n++] = JGE(first, 0, len - 4);
	out[n++] = JGT(last, len - 5, 0);
	if (g->dupfd_only) {
		out[n++] = LD(ARG_LO(1));
		out[n++] = JEQ(F_DUPFD, 1, 0);
		out[n++] = JEQ(F_DUPFD_CLOEXEC, 0, 1);
	}
	out[n++] = RET(action);
	return n;
}

int sbx_fdguard_prepend(const struct sbx_compile_opts *opts, uint32_t native_arch, struct sbx_bpf *bpf)
{
	if (!opts->capture_fd_count)
		return 0;
	struct sock_filter pre[2 + SBX_ARRAY_SIZE(rows) * 9];
	size_t n = 2;
	uint32_t first = (uint32_t)opts->capture_fd_first, last = first + opts->capture_fd_count - 1;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(rows); i++) {
		uint32_t action = row_action(&rows[i], opts->capture_tx);
		if (action)
			n += block(&rows[i], first, last, action, pre + n);
	}
	/* Any other architecture skips the guard: libseccomp's program kills it. */
	pre[0] = LD(offsetof(struct seccomp_data, arch));
	if (n - 2 > 255)
		return -E2BIG;
	pre[1] = JEQ(native_arch, 0, (uint8_t)(n - 2));
	if (n + bpf->len > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *all = malloc((n + bpf->len) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	memcpy(all, pre, n * sizeof(*all));
	memcpy(all + n, bpf->insns, bpf->len * sizeof(*all));
	free(bpf->insns);
	bpf->insns = all;
	bpf->len = (unsigned short)(n + bpf->len);
	return 0;
}
