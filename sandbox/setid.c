/* SPDX-License-Identifier: MIT */
/* No set-id bits from the worker (setid.h). */
#include "setid.h"

#include <endian.h>
#include <fcntl.h>
#include <stdbool.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u /* x32 calls share the arch: the same numbers with this bit */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define X32_BIT 0u
#else
#error "setid.c: name this architecture's AUDIT_ARCH"
#endif

/* The low 32 bits of argument i (a mode_t, open flags). */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define TMPFILE_BIT 020000000 /* __O_TMPFILE: O_TMPFILE without O_DIRECTORY */
#define SETID (S_ISUID | S_ISGID)

/* A call that can give a file a mode: which argument holds the mode, and which the open flags
 * that say whether the mode is used (-1: always). */
struct mode_call {
	unsigned nr;
	int mode_arg, flags_arg;
};

static const struct mode_call mode_calls[] = {
#ifdef __NR_chmod
	{ __NR_chmod, 1, -1 },
#endif
#ifdef __NR_creat
	{ __NR_creat, 1, -1 },
#endif
#ifdef __NR_mknod
	{ __NR_mknod, 1, -1 },
#endif
#ifdef __NR_open
	{ __NR_open, 2, 1 },
#endif
	{ __NR_fchmod, 1, -1 },
	{ __NR_fchmodat, 2, -1 },
	{ 452 /* fchmodat2, Linux 6.6 */, 2, -1 },
	{ __NR_mknodat, 2, -1 },
	{ __NR_openat, 3, 2 },
};

/* Calls whose mode the filter cannot see (behind a pointer, or in an io_uring submission that
 * seccomp never looks at): refused as if the kernel had none, so callers fall back. */
static const unsigned hidden_mode_calls[] = {
	437 /* openat2 */,
	425 /* io_uring_setup */,
};

#define MAX_INSNS 96

struct prog {
	struct sock_filter insns[MAX_INSNS];
	unsigned n;
	unsigned to_check[SBX_ARRAY_SIZE(mode_calls)]; /* jumps to patch: to the mode check */
	unsigned n_check;
	unsigned to_allow[SBX_ARRAY_SIZE(mode_calls)]; /* jumps to patch: to allow */
	unsigned n_allow;
};

static void emit(struct prog *p, struct sock_filter insn)
{
	if (p->n < MAX_INSNS)
		p->insns[p->n] = insn;
	p->n++;
}

/* One call: if nr matches, load its mode (when its flags create a file) and jump to the check. */
static void emit_mode_call(struct prog *p, const struct mode_call *c)
{
	bool flags = c->flags_arg >= 0;
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, c->nr, 0, flags ? 4 : 2));
	if (flags) {
		emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->flags_arg)));
		p->to_allow[p->n_allow++] = p->n;
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT | TMPFILE_BIT, 0, 0));
	}
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->mode_arg)));
	p->to_check[p->n_check++] = p->n;
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
}

int sbx_setid_forbid(void)
{
	struct prog p = { .n = 0 };
	/* Another architecture's calls (i386's int 0x80) would pass every check below under their
	 * own numbers: they end the process, with or without the policy's filter (--no-seccomp). */
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0));
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	emit(&p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT));
	for (size_t i = 0; i < SBX_ARRAY_SIZE(hidden_mode_calls); i++) {
		emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hidden_mode_calls[i], 0, 1));
		emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
	}
	for (size_t i = 0; i < SBX_ARRAY_SIZE(mode_calls); i++)
		emit_mode_call(&p, &mode_calls[i]);
	unsigned allow = p.n;
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	unsigned check = p.n;
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SETID, 0, 1));
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	if (p.n > MAX_INSNS)
		return -E2BIG;
	/* Patch the forward jumps: JA's k, and the JSET's false branch (no file created: allow). */
	for (unsigned i = 0; i < p.n_check; i++)
		p.insns[p.to_check[i]].k = check - p.to_check[i] - 1;
	for (unsigned i = 0; i < p.n_allow; i++)
		p.insns[p.to_allow[i]].jf = (unsigned char)(allow - p.to_allow[i] - 1);
	struct sock_fprog prog = { .len = (unsigned short)p.n, .filter = p.insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
