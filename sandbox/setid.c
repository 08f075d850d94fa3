/* SPDX-License-Identifier: MIT */
/* No set-id bits from the worker (setid.h). */
#include "setid.h"

#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u /* x32 calls share the arch: the same numbers with this bit */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define X32_BIT 0u
#else
#error "setid.c: name this architecture's AUDIT_ARCH"
#endif

/* The low 32 bits of argument i (a mode_t). */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
/* nr == n: load the mode (argument i) and go to the check, else the next pair. */
#define MODE_AT(n, i) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), BPF_JUMP(BPF_JMP | BPF_JA, (i), 0, 0)

int sbx_setid_forbid(void)
{
	/* Another architecture's calls: the policy's filter kills them. chmod's mode is argument
	 * 1, the *at forms' argument 2; the jumps land on the loads at the end. */
	struct sock_filter insns[] = {
		LOAD(offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		LOAD(offsetof(struct seccomp_data, nr)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT),
#ifdef __NR_chmod
		MODE_AT(__NR_chmod, 7),
#else
		MODE_AT(~0u, 7),
#endif
		MODE_AT(__NR_fchmod, 5),
		MODE_AT(__NR_fchmodat, 5),
		MODE_AT(452 /* fchmodat2, Linux 6.6 */, 3),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* the targets: */
		LOAD(ARG_LO(1)),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		LOAD(ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
