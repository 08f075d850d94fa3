/* SPDX-License-Identifier: MIT */
/* Compiling a policy to one seccomp filter with libseccomp.
 *
 * Arguments the kernel reads as 32-bit ints (ioctl requests, fds, socket families, open flags)
 * are compared on their low 32 bits only. libseccomp compares all 64 bits for ==, <, >..., so a
 * caller could pass 0x100005412: not equal to TIOCSTI for the filter, TIOCSTI for the kernel
 * (CVE-2019-10063). Masked equality is the one libseccomp test that can ignore the high word,
 * so every 32-bit comparison is rewritten as an OR of masked equalities:
 *   x == V          ->  x & 0xffffffff == V
 *   x != V          ->  OR over bits i:  x & (1<<i) == ~V & (1<<i)
 *   x <  V          ->  OR over set bits i of V:   x & bits[31..i] == V & bits[31..i+1]
 *   x >  V          ->  OR over clear bits i of V: x & bits[31..i] == (V & bits[31..i+1]) | 1<<i
 *   <=, >=          ->  the strict form OR x == V
 *   x & M != V      ->  OR over bits i of M:  x & (1<<i) == ~V & (1<<i)
 * Two tests of one argument joined by && intersect their patterns (libseccomp itself accepts
 * only one test per argument per rule). */
#include "policy-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/protocol.h"
#include "common/util.h"

struct pat {
	uint64_t mask, value;
};

struct patlist {
	struct pat *p;
	size_t n;
	bool native;             /* one libseccomp comparison instead of patterns */
	struct scmp_arg_cmp cmp; /* native only */
	bool used;
};

static int pl_add(struct patlist *l, uint64_t mask, uint64_t value)
{
	if (l->n >= SBX_POLICY_MAX_FILTER_RULES)
		return -E2BIG;
	struct pat *np = realloc(l->p, (l->n + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	l->p = np;
	l->p[l->n++] = (struct pat){ mask, value & mask };
	return 0;
}

/* Patterns for one comparison; returns 1 when only a native comparison can express it. */
static int cmp_patterns(const struct sbx_cmp *c, struct patlist *l)
{
	const uint64_t full = c->int_sized ? 0xffffffffu : UINT64_MAX;
	const unsigned width = c->int_sized ? 32 : 64;
	uint64_t v = c->value & full;
	int r = 0;
	switch (c->op) {
	case SBX_OP_EQ:
		return pl_add(l, full, v);
	case SBX_OP_MASKED_EQ:
		return pl_add(l, c->mask & full, v);
	case SBX_OP_MASKED_NE:
		for (unsigned i = 0; i < width && r >= 0; i++)
			if (c->mask & full & ((uint64_t)1 << i))
				r = pl_add(l, (uint64_t)1 << i, ~v & ((uint64_t)1 << i));
		return r;
	default:
		break;
	}
	if (!c->int_sized)
		return 1;
	switch (c->op) {
	case SBX_OP_NE:
		for (unsigned i = 0; i < 32 && r >= 0; i++)
			r = pl_add(l, (uint64_t)1 << i, ~v & ((uint64_t)1 << i));
		return r;
	case SBX_OP_LE:
		r = pl_add(l, full, v);
		/* fall through */
	case SBX_OP_LT:
		for (int i = 31; i >= 0 && r >= 0; i--)
			if (v & ((uint64_t)1 << i)) {
				uint64_t m = (full << i) & full, above = (full << (i + 1)) & full;
				r = pl_add(l, m, v & above);
			}
		return r;
	case SBX_OP_GE:
		r = pl_add(l, full, v);
		/* fall through */
	case SBX_OP_GT:
		for (int i = 31; i >= 0 && r >= 0; i--)
			if (!(v & ((uint64_t)1 << i))) {
				uint64_t m = (full << i) & full, above = (full << (i + 1)) & full;
				r = pl_add(l, m, (v & above) | ((uint64_t)1 << i));
			}
		return r;
	default:
		return -EINVAL;
	}
}

static enum scmp_compare native_op(uint8_t op)
{
	switch (op) {
	case SBX_OP_NE: return SCMP_CMP_NE;
	case SBX_OP_LT: return SCMP_CMP_LT;
	case SBX_OP_LE: return SCMP_CMP_LE;
	case SBX_OP_GT: return SCMP_CMP_GT;
	case SBX_OP_GE: return SCMP_CMP_GE;
	default: return SCMP_CMP_EQ;
	}
}

static int pl_intersect(struct patlist *a, const struct patlist *b)
{
	struct patlist out = { 0 };
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++) {
			const struct pat *x = &a->p[i], *y = &b->p[j];
			if ((x->value ^ y->value) & x->mask & y->mask)
				continue; /* contradictory bits: this pair never matches */
			int r = pl_add(&out, x->mask | y->mask, x->value | y->value);
			if (r < 0) {
				free(out.p);
				return r;
			}
		}
	free(a->p);
	a->p = out.p;
	a->n = out.n;
	return 0;
}

int sbx_conj_expand(const struct sbx_conj *conj, sbx_emit_fn emit, void *userdata, char *err, size_t err_len)
{
	struct patlist lists[6] = { 0 };
	int r = 0;
	if (err && err_len)
		err[0] = '\0';
	for (size_t i = 0; i < conj->n && r >= 0; i++) {
		const struct sbx_cmp *c = &conj->c[i];
		struct patlist *l = &lists[c->arg];
		struct patlist one = { 0 };
		r = cmp_patterns(c, &one);
		if (r < 0) {
			free(one.p);
			if (r == -E2BIG)
				snprintf(err, err_len, "condition expands to too many filter rules (at most %u)",
					 SBX_POLICY_MAX_FILTER_RULES);
			else
				snprintf(err, err_len, "cannot compile the condition: %s", strerror(-r));
			break;
		}
		bool native = r == 1;
		r = 0;
		if (l->used && (native || l->native)) {
			free(one.p);
			snprintf(err, err_len, "arg%u is tested twice in one alternative with an operator that "
				 "cannot be combined (a 64-bit argument takes one of <, <=, >, >=, != per "
				 "alternative); split the test with '||'", c->arg);
			r = -EINVAL;
			break;
		}
		if (native) {
			l->native = true;
			l->cmp = (struct scmp_arg_cmp){ c->arg, native_op(c->op), c->value, 0 };
		} else if (!l->used) {
			l->p = one.p;
			l->n = one.n;
		} else {
			r = pl_intersect(l, &one);
			free(one.p);
		}
		l->used = true;
	}
	/* The number of libseccomp rules is the product of the per-argument alternatives. */
	size_t total = 1;
	for (unsigned a = 0; a < 6 && r >= 0; a++) {
		if (!lists[a].used || lists[a].native)
			continue;
		if (lists[a].n == 0)
			total = 0; /* a contradiction (arg0 == 1 && arg0 == 2): never matches */
		else if (total > SBX_POLICY_MAX_FILTER_RULES / lists[a].n)
			total = SIZE_MAX;
		else
			total *= lists[a].n;
	}
	if (r >= 0 && total > SBX_POLICY_MAX_FILTER_RULES) {
		snprintf(err, err_len, "condition expands to too many filter rules (at most %u)",
			 SBX_POLICY_MAX_FILTER_RULES);
		r = -E2BIG;
	}
	if (r >= 0 && emit) {
		size_t idx[6] = { 0 };
		for (size_t k = 0; k < total && r >= 0; k++) {
			struct scmp_arg_cmp cmps[6];
			unsigned n = 0;
			for (unsigned a = 0; a < 6; a++) {
				const struct patlist *l = &lists[a];
				if (!l->used)
					continue;
				if (l->native) {
					cmps[n++] = l->cmp;
					continue;
				}
				const struct pat *pt = &l->p[idx[a]];
				if (pt->mask == UINT64_MAX)
					cmps[n++] = (struct scmp_arg_cmp){ a, SCMP_CMP_EQ, pt->value, 0 };
				else
					cmps[n++] = (struct scmp_arg_cmp){ a, SCMP_CMP_MASKED_EQ, pt->mask, pt->value };
			}
			r = emit(cmps, n, userdata);
			/* Advance the mixed-radix counter over the pattern lists. */
			for (unsigned a = 0; a < 6; a++) {
				if (!lists[a].used || lists[a].native)
					continue;
				if (++idx[a] < lists[a].n)
					break;
				idx[a] = 0;
			}
		}
	}
	for (unsigned a = 0; a < 6; a++)
		free(lists[a].p);
	if (r < 0 && err && !err[0])
		snprintf(err, err_len, "cannot add the rule: %s", strerror(-r));
	return r < 0 ? r : 0;
}

struct emit_ctx {
	scmp_filter_ctx ctx;
	uint32_t action;
	int nr;
};

static int emit_rule(const struct scmp_arg_cmp *cmps, unsigned n, void *userdata)
{
	struct emit_ctx *e = userdata;
	int r = seccomp_rule_add_array(e->ctx, e->action, e->nr, n, cmps);
	return r == -EEXIST ? 0 : r;
}

bool sbx_rule_effective(const struct sbx_rule *r, unsigned grants, uint8_t *action, int *errno_val)
{
	if (r->guard == SBX_GUARD_NONE || (grants & (1u << r->guard))) {
		*action = r->action;
		*errno_val = r->errno_val;
		return true;
	}
	*action = r->else_action;
	*errno_val = r->else_errno;
	return r->has_else;
}

/* A comparison on the registers the kernel reported, as the filter would have made it. */
static bool cmp_holds(const struct sbx_cmp *c, const uint64_t args[6])
{
	uint64_t x = args[c->arg], v = c->value;
	if (c->int_sized) {
		x &= 0xffffffffu;
		v &= 0xffffffffu;
	}
	switch (c->op) {
	case SBX_OP_EQ: return x == v;
	case SBX_OP_NE: return x != v;
	case SBX_OP_LT: return x < v;
	case SBX_OP_LE: return x <= v;
	case SBX_OP_GT: return x > v;
	case SBX_OP_GE: return x >= v;
	case SBX_OP_MASKED_EQ: return (x & c->mask) == (v & c->mask);
	case SBX_OP_MASKED_NE: return (x & c->mask) != (v & c->mask);
	default: return false;
	}
}

static bool rule_holds(const struct sbx_rule *r, const uint64_t args[6])
{
	if (!r->n_alts)
		return true;
	for (size_t a = 0; a < r->n_alts; a++) {
		bool all = true;
		for (size_t i = 0; i < r->alts[a].n && all; i++)
			all = cmp_holds(&r->alts[a].c[i], args);
		if (all)
			return true;
	}
	return false;
}

bool sbx_policy_brokers(const struct sbx_policy *p, unsigned grants, uint32_t arch, int nr, const uint64_t args[6],
			char *rule, size_t rule_len)
{
	if (!p || arch != seccomp_arch_native())
		return false;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sbx_rule *r = &p->rules[i];
		uint8_t action;
		int errno_val;
		if (r->nr != nr || !sbx_rule_effective(r, grants, &action, &errno_val) || action != SBX_ACT_BROKER ||
		    !rule_holds(r, args))
			continue;
		char line[256];
		sbx_rule_format(r, line, sizeof(line));
		snprintf(rule, rule_len, "%s (%s:%u)", line, r->file, r->line);
		return true;
	}
	return false;
}

static uint32_t scmp_action(uint8_t action, int errno_val)
{
	switch (action) {
	case SBX_ACT_ERRNO: return SCMP_ACT_ERRNO((uint32_t)errno_val);
	case SBX_ACT_LOG: return SCMP_ACT_LOG;
	case SBX_ACT_KILL: return SCMP_ACT_KILL_PROCESS;
	default: return SCMP_ACT_ALLOW;
	}
}

static void release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int sbx_policy_build_ctx(const struct sbx_policy *p, const struct sbx_compile_opts *opts,
			 scmp_filter_ctx *ret, struct sbx_policy_diag *diag)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (!ctx) {
		sbx_policy_diag_set(diag, p->file, 0, 0, "seccomp_init failed");
		return -ENOMEM;
	}
	int r;
	/* Foreign ABIs (i386 int 0x80, x32) see other numbers for the same names: kill them rather
	 * than filter them. No-new-privs is the launcher's step, so libseccomp must not set it. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) {
		sbx_policy_diag_set(diag, p->file, 0, 0, "cannot set filter attributes: %s", strerror(-r));
		return r;
	}
	if (opts->mode == SBX_COMPILE_ENFORCE) {
		bool clone3_ruled = false;
		for (size_t i = 0; i < p->n_rules; i++) {
			const struct sbx_rule *rule = &p->rules[i];
			if (rule->nr == SCMP_SYS(clone3))
				clone3_ruled = true;
			if (opts->launch_fd >= 0 && (rule->nr == SCMP_SYS(sendmsg) || rule->nr == SCMP_SYS(ppoll)) &&
			    !rule->n_alts &&
			    rule->action != SBX_ACT_ALLOW) {
				/* An unconditional rule would replace the launcher's own sendmsg rule. */
				sbx_policy_diag_set(diag, rule->file, rule->line, rule->col,
						    "an unconditional non-allow rule for %s would block the "
						    "launcher's channel; give it a condition (e.g. arg0 != 3)", rule->name);
				return -EINVAL;
			}
			uint8_t action;
			int errno_val;
			/* A brokered call is the default action's notification; the broker tells it
			 * from a violation by the policy's rules (sbx_policy_brokers). */
			if (!sbx_rule_effective(rule, opts->grants, &action, &errno_val) || action == SBX_ACT_BROKER)
				continue;
			struct emit_ctx e = { ctx, scmp_action(action, errno_val), rule->nr };
			if (!rule->n_alts) {
				r = seccomp_rule_add(ctx, e.action, rule->nr, 0);
				if (r == -EEXIST)
					r = 0;
			}
			char err[256] = "";
			for (size_t a = 0; a < rule->n_alts && r >= 0; a++)
				r = sbx_conj_expand(&rule->alts[a], emit_rule, &e, err, sizeof(err));
			if (r < 0) {
				sbx_policy_diag_set(diag, rule->file, rule->line, rule->col, "cannot compile the rule for '%s': %s",
						    rule->name, err[0] ? err : strerror(-r));
				return r;
			}
		}
		/* clone3's flags live in memory a filter cannot read, so it could create namespaces
		 * unseen; libc falls back to clone() on ENOSYS. */
		if (!clone3_ruled && (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0) {
			sbx_policy_diag_set(diag, p->file, 0, 0, "cannot add the clone3 rule: %s", strerror(-r));
			return r;
		}
		/* Without exec, execve/execveat stay with the default action: the broker lets the
		 * launcher's own exec of the program through once and treats any later one as a
		 * violation. */
		if (p->exec != 0) {
			/* All but a ready worker's held exec (SBX_READY_EXEC_FLAGS, which the default
			 * action sends to the broker), so that it reaches the broker under every policy.
			 * The broker lets any other call with those flags through, as the policy would. */
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0)) < 0 ||
			    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 1,
						  SCMP_A4(SCMP_CMP_NE, (scmp_datum_t)SBX_READY_EXEC_FLAGS))) < 0) {
				sbx_policy_diag_set(diag, p->file, 0, 0, "cannot add the exec rules: %s", strerror(-r));
				return r;
			}
		}
	}
	if (opts->launch_fd >= 0) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)opts->launch_fd));
		/* The launcher waits for the broker to take the listener (sandbox/launch.c):
		 * ppoll() of one fd, no timeout, no mask. It reads nothing. */
		if (r >= 0 || r == -EEXIST)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ppoll), 3, SCMP_A1(SCMP_CMP_EQ, 1),
					     SCMP_A2(SCMP_CMP_EQ, 0), SCMP_A3(SCMP_CMP_EQ, 0));
		if (r < 0 && r != -EEXIST) {
			sbx_policy_diag_set(diag, p->file, 0, 0, "cannot add the launcher's channel rules: %s", strerror(-r));
			return r;
		}
	}
	*ret = ctx;
	ctx = NULL;
	return 0;
}

void sbx_bpf_free(struct sbx_bpf *bpf)
{
	if (!bpf)
		return;
	free(bpf->insns);
	bpf->insns = NULL;
	bpf->len = 0;
}

/* libseccomp 2.5 can only export to an fd: export into a memfd and read it back. */
static int export_bpf(scmp_filter_ctx ctx, struct sbx_bpf *ret)
{
	_cleanup_close_ int fd = memfd_create("sbx-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
	    (size_t)size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *insns = malloc((size_t)size);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, (size_t)size, 0) != size) {
		free(insns);
		return -EIO;
	}
	ret->insns = insns;
	ret->len = (unsigned short)((size_t)size / sizeof(struct sock_filter));
	return 0;
}

int sbx_policy_compile(const struct sbx_policy *p, const struct sbx_compile_opts *opts,
		       struct sbx_bpf *ret, struct sbx_policy_diag *diag)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	int r = sbx_policy_build_ctx(p, opts, &ctx, diag);
	if (r < 0)
		return r;
	r = export_bpf(ctx, ret);
	if (r == 0 && opts->mode == SBX_COMPILE_ENFORCE && (r = sbx_fdguard_prepend(opts, seccomp_arch_native(), ret)) < 0)
		sbx_bpf_free(ret);
	if (r < 0)
		sbx_policy_diag_set(diag, p->file, 0, 0, "cannot export the filter: %s%s", strerror(-r),
				    r == -E2BIG ? " (more than 4096 instructions: simplify the conditions)" : "");
	return r;
}

int sbx_policy_export_pfc(const struct sbx_policy *p, const struct sbx_compile_opts *opts, int fd,
			  struct sbx_policy_diag *diag)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	int r = sbx_policy_build_ctx(p, opts, &ctx, diag);
	if (r < 0)
		return r;
	r = seccomp_export_pfc(ctx, fd);
	if (r < 0)
		sbx_policy_diag_set(diag, p->file, 0, 0, "cannot export the filter: %s", strerror(-r));
	return r;
}
