/* SPDX-License-Identifier: MIT */
/* Turning the model back into words: the policy line of a rule, `sbx policy explain`, the
 * message for a blocked call ("socket(AF_INET, SOCK_STREAM, 0)" and the line that would allow
 * it), and the policy learn mode writes. A user reading these should be able to paste the
 * suggested line into the policy unchanged. */
#include "policy-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/util.h"

static void one_action(uint8_t action, int errno_val, char *buf, size_t len)
{
	const char *n = sbx_errno_name(errno_val);
	switch (action) {
	case SBX_ACT_ERRNO:
		if (n)
			snprintf(buf, len, "errno %s", n);
		else
			snprintf(buf, len, "errno %d", errno_val);
		break;
	case SBX_ACT_LOG: snprintf(buf, len, "log"); break;
	case SBX_ACT_KILL: snprintf(buf, len, "kill"); break;
	case SBX_ACT_BROKER: snprintf(buf, len, "broker"); break;
	default: snprintf(buf, len, "allow"); break;
	}
}

const char *sbx_action_text(const struct sbx_rule *r, char *buf, size_t len)
{
	char a[32], e[32] = "";
	one_action(r->action, r->errno_val, a, sizeof(a));
	if (r->guard == SBX_GUARD_NONE) {
		snprintf(buf, len, "%s", a);
		return buf;
	}
	if (r->has_else)
		one_action(r->else_action, r->else_errno, e, sizeof(e));
	snprintf(buf, len, "%s if %s%s%s", a, sbx_resource_kind_name((enum sbx_resource_kind)r->guard),
		 r->has_else ? " else " : "", e);
	return buf;
}

void sbx_rule_format(const struct sbx_rule *r, char *buf, size_t len)
{
	char act[64];
	sbx_action_text(r, act, sizeof(act));
	bool plain = r->action == SBX_ACT_ALLOW && r->guard == SBX_GUARD_NONE;
	if (r->cond && !plain)
		snprintf(buf, len, "%s: %s -> %s", r->name, r->cond, act);
	else if (r->cond)
		snprintf(buf, len, "%s: %s", r->name, r->cond);
	else if (!plain)
		snprintf(buf, len, "%s: %s", r->name, act);
	else
		snprintf(buf, len, "%s", r->name);
}

static void fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (u < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u >= 0)
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

int sbx_policy_explain(const struct sbx_policy *p, FILE *out)
{
	char line[4096];
	bool clone3 = false;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sbx_rule *r = &p->rules[i];
		clone3 = clone3 || r->nr == SCMP_SYS(clone3);
		sbx_rule_format(r, line, sizeof(line));
		fprintf(out, "%-40s # %s:%u%s%s\n", line, r->file, r->line, r->via[0] ? " via " : "", r->via);
	}
	if (!clone3)
		fprintf(out, "%-40s # built in: clone3's flags cannot be filtered; libc falls back to clone\n",
			"clone3: errno ENOSYS");
	if (p->exec < 0)
		fprintf(out, "%-40s # built in: no exec line\n", "exec allow");
	else
		fprintf(out, "%-40s # %s:%u\n", p->exec ? "exec allow" : "exec none", p->exec_file, p->exec_line);
	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct sbx_policy_mount *m = &p->mounts[i];
		char sz[32];
		fmt_size(m->tmpfs_size, sz, sizeof(sz));
		if (m->kind == SBX_MOUNT_TMPFS)
			snprintf(line, sizeof(line), "tmpfs %s size %s", m->path, sz);
		else
			snprintf(line, sizeof(line), "%s %s", m->kind == SBX_MOUNT_RO ? "ro" : "rw", m->path);
		fprintf(out, "%-40s # %s:%u\n", line, m->file, m->line);
	}
	static const char *const names[] = { "time", "memory", "pids", "nofile", "fsize" };
	const uint64_t vals[] = { p->limits.time_ms, p->limits.memory, p->limits.pids, p->limits.nofile,
				  p->limits.fsize };
	for (size_t i = 0; i < 5; i++) {
		if (!p->limit_origin[i].set)
			continue;
		char v[32];
		if (i == 0)
			snprintf(v, sizeof(v), "%" PRIu64 "ms", vals[i]);
		else if (i == 1 || i == 4)
			fmt_size(vals[i], v, sizeof(v));
		else
			snprintf(v, sizeof(v), "%" PRIu64, vals[i]);
		snprintf(line, sizeof(line), "limit %s %s", names[i], v);
		fprintf(out, "%-40s # %s:%u\n", line, p->limit_origin[i].file, p->limit_origin[i].line);
	}
	for (size_t i = 0; i < p->n_params; i++) {
		const struct sbx_param_value *pv = &p->params[i];
		snprintf(line, sizeof(line), "param %s = %s", pv->name, pv->value ? pv->value : "(no value)");
		fprintf(out, "%-40s # %s:%u%s\n", line, pv->file ? pv->file : "?", pv->line,
			pv->from_cli ? ", set by --param" : "");
	}
	return ferror(out) ? -EIO : 0;
}

/* ---- The setup a learned policy keeps ---- */

/* A value the lexer reads back as one string: no quote, newline or ${ (which would expand). */
static bool quotable(const char *s)
{
	return !strpbrk(s, "\"\n\r") && !strstr(s, "${");
}

static void write_resource(const struct sbx_resource *res, FILE *out)
{
	fprintf(out, "resource %s %s \"%s\"", res->name, sbx_resource_kind_name(res->kind), res->target);
	if (res->kind == SBX_RES_FILE || res->kind == SBX_RES_DIR) {
		static const struct { unsigned bit; char letter; } modes[] = {
			{ SBX_ACCESS_READ, 'r' }, { SBX_ACCESS_WRITE, 'w' }, { SBX_ACCESS_CREATE, 'c' },
			{ SBX_ACCESS_TRUNC, 't' },
		};
		fputc(' ', out);
		for (size_t i = 0; i < SBX_ARRAY_SIZE(modes); i++)
			if (res->flags & modes[i].bit)
				fputc(modes[i].letter, out);
	}
	if (res->kind == SBX_RES_DIR && res->pattern)
		fprintf(out, " \"%s\"", res->pattern);
	if (res->kind == SBX_RES_CAPTURE && res->promisc)
		fputs(" promisc", out);
	if (res->kind == SBX_RES_CAPTURE && res->tx)
		fputs(" tx", out);
	if ((res->kind == SBX_RES_DIR || res->kind == SBX_RES_CAPTURE) && res->max_opens)
		fprintf(out, " max %u", res->max_opens);
	if (res->kind == SBX_RES_CAPTURE && res->filter)
		fprintf(out, " filter \"%s\"", res->filter);
	fputc('\n', out);
}

static bool resource_quotable(const struct sbx_resource *res)
{
	return quotable(res->target) && (!res->pattern || quotable(res->pattern)) &&
	       (!res->filter || quotable(res->filter));
}

/* What a `resource` line can say: a directory by an absolute path without `..` (what the
 * parser's get_path() accepts), values it can quote. */
static bool resource_writable(const struct sbx_resource *res)
{
	if (!res->target || !resource_quotable(res))
		return false;
	if (res->kind != SBX_RES_DIR)
		return true;
	if (res->target[0] != '/')
		return false;
	for (const char *s = res->target; (s = strstr(s, "/..")); s += 3)
		if (s[3] == '/' || s[3] == '\0')
			return false;
	return true;
}

/* Directory and capture grants only: they answer the brokered calls the learned policy writes,
 * and the grant merge takes the same one given again beside the policy for the policy's own
 * (grants.c). Any other kind given again would clash with its line, so it is named instead. */
int sbx_policy_write_grants(const struct sbx_resource *res, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *kind = sbx_resource_kind_name(res[i].kind);
		if (res[i].kind != SBX_RES_DIR && res[i].kind != SBX_RES_CAPTURE)
			fprintf(out, "# resource %s (%s): not written, learn mode writes dir and capture grants only: "
				     "give it again\n", res[i].name, kind);
		else if (resource_writable(&res[i]))
			write_resource(&res[i], out);
		else
			fprintf(out, "# resource %s (%s): a value a policy cannot write (a relative path, '..', '\"', "
				     "a newline or ${): give it again\n", res[i].name, kind);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

int sbx_policy_write_setup(const struct sbx_policy *p, FILE *out)
{
	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct sbx_policy_mount *m = &p->mounts[i];
		static const char *const kinds[] = { "ro", "rw", "tmpfs" };
		if (!quotable(m->path)) {
			fprintf(out, "# %s:%u: a path this language cannot quote, left out\n", m->file, m->line);
			continue;
		}
		fprintf(out, "%s \"%s\"", kinds[m->kind], m->path);
		char sz[32];
		fmt_size(m->tmpfs_size, sz, sizeof(sz));
		fprintf(out, m->kind == SBX_MOUNT_TMPFS ? " size %s\n" : "\n", sz);
	}
	const uint64_t vals[] = { p->limits.time_ms, p->limits.memory, p->limits.pids, p->limits.nofile,
				  p->limits.fsize };
	static const char *const limits[] = { "time", "memory", "pids", "nofile", "fsize" };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(limits); i++) {
		if (!p->limit_origin[i].set)
			continue;
		char v[32];
		if (i == 1 || i == 4)
			fmt_size(vals[i], v, sizeof(v));
		else
			snprintf(v, sizeof(v), "%" PRIu64 "%s", vals[i], i == 0 ? "ms" : "");
		fprintf(out, "limit %s %s\n", limits[i], v);
	}
	for (size_t i = 0; i < p->n_resources; i++) {
		if (resource_quotable(&p->resources[i].res))
			write_resource(&p->resources[i].res, out);
		else
			fprintf(out, "# %s:%u: a resource this language cannot quote, left out\n",
				p->resources[i].file, p->resources[i].line);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

/* ---- Describing a call ---- */

struct sbuf {
	char *b;
	size_t len, pos;
};

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	if (s->pos >= s->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->b + s->pos, s->len - s->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->pos += (size_t)n < s->len - s->pos ? (size_t)n : s->len - s->pos - 1;
}

/* Flags: known names joined by '|', the rest in hex. */
static void sb_flags(struct sbuf *s, uint8_t kind, uint64_t v, uint64_t skip_mask)
{
	bool any = false;
	uint64_t rest = v & ~skip_mask;
	for (size_t i = 0; i < sbx_n_consts; i++) {
		const struct sbx_const *c = &sbx_consts[i];
		if (c->kind != kind || c->value == 0 || (c->value & (c->value - 1)) || !(rest & c->value))
			continue; /* single bits only, so combined masks are not printed twice */
		sb_printf(s, "%s%s", any ? "|" : "", c->name);
		rest &= ~c->value;
		any = true;
	}
	if (rest || !any)
		sb_printf(s, "%s%#" PRIx64, any ? "|" : "", rest);
}

static void sb_enum(struct sbuf *s, uint8_t kind, uint64_t v)
{
	const char *n = sbx_const_name(kind, v);
	if (n)
		sb_printf(s, "%s", n);
	else
		sb_printf(s, "%" PRId32, (int32_t)v);
}

static void sb_arg(struct sbuf *s, char f, uint64_t v)
{
	uint32_t lo = (uint32_t)v;
	switch (f) {
	case 'd':
	case 'i':
		sb_printf(s, "%" PRId32, (int32_t)lo);
		break;
	case 'D':
		if ((int32_t)lo == AT_FDCWD)
			sb_printf(s, "AT_FDCWD");
		else
			sb_printf(s, "%" PRId32, (int32_t)lo);
		break;
	case 'u':
		sb_printf(s, "%" PRIu64, v);
		break;
	case 'o':
		sb_printf(s, "0%" PRIo32, lo);
		break;
	case 'A':
		sb_enum(s, SBX_K_AF, lo);
		break;
	case 'T':
		sb_enum(s, SBX_K_SOCKTYPE, lo & 0xf);
		if (lo & ~0xfu) {
			sb_printf(s, "|");
			sb_flags(s, SBX_K_SOCKFLAG, lo & ~0xfu, 0);
		}
		break;
	case 'I': {
		const char *n = sbx_const_name(SBX_K_IOCTL, lo);
		if (n && v >> 32)
			sb_printf(s, "%#" PRIx64 " (%s with high bits set)", v, n);
		else if (n)
			sb_printf(s, "%s", n);
		else
			sb_printf(s, "%#" PRIx64, v);
		break;
	}
	case 'O': {
		static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
		sb_printf(s, "%s", modes[lo & O_ACCMODE]);
		if (lo & ~(uint32_t)O_ACCMODE) {
			sb_printf(s, "|");
			sb_flags(s, SBX_K_OPEN, lo, O_ACCMODE);
		}
		break;
	}
	case 'P':
		if (v == 0)
			sb_printf(s, "PROT_NONE");
		else
			sb_flags(s, SBX_K_PROT, v, 0);
		break;
	case 'M':
		sb_flags(s, SBX_K_MAP, v, 0);
		break;
	case 'F':
		sb_enum(s, SBX_K_FCNTL, lo);
		break;
	case 'R':
		sb_enum(s, SBX_K_PRCTL, lo);
		break;
	case 'S': {
		const char *n = lo < (uint32_t)NSIG ? sigabbrev_np((int)lo) : NULL;
		if (n)
			sb_printf(s, "SIG%s", n);
		else
			sb_printf(s, "%" PRId32, (int32_t)lo);
		break;
	}
	case 'C':
		sb_flags(s, SBX_K_CLONE, v & ~(uint64_t)0xff, 0);
		if (v & 0xff) {
			const char *n = sigabbrev_np((int)(v & 0xff));
			sb_printf(s, "|%s%s", n ? "SIG" : "", n ? n : "?");
		}
		break;
	case 'p':
		if (v == 0)
			sb_printf(s, "NULL");
		else
			sb_printf(s, "%#" PRIx64, v);
		break;
	default:
		sb_printf(s, "%#" PRIx64, v);
		break;
	}
}

/* Calls no suggestion should tell a user to add: each reaches outside the sandbox or into the
 * kernel's least-trodden code, and the default policy leaves them out on purpose. A violation
 * names the reason instead of a policy line. */
static const struct refused {
	const char *name;
	const char *why;
} refused[] = {
	{ "ptrace", "it reads and changes other processes' memory and registers" },
	{ "process_vm_readv", "it reads another process's memory" },
	{ "process_vm_writev", "it writes another process's memory" },
	{ "kcmp", "it compares the kernel objects of other processes" },
	{ "unshare", "new namespaces open kernel code few programs need; sbx has made the sandbox's own" },
	{ "setns", "it joins other namespaces" },
	{ "mount", "it changes the sandbox's filesystem, which sbx builds" },
	{ "umount2", "it changes the sandbox's filesystem, which sbx builds" },
	{ "pivot_root", "it changes the sandbox's filesystem, which sbx builds" },
	{ "chroot", "it changes the sandbox's filesystem, which sbx builds" },
	{ "move_mount", "it changes the sandbox's filesystem, which sbx builds" },
	{ "open_tree", "it changes the sandbox's filesystem, which sbx builds" },
	{ "fsopen", "it changes the sandbox's filesystem, which sbx builds" },
	{ "fsconfig", "it changes the sandbox's filesystem, which sbx builds" },
	{ "fsmount", "it changes the sandbox's filesystem, which sbx builds" },
	{ "fspick", "it changes the sandbox's filesystem, which sbx builds" },
	{ "mount_setattr", "it changes the sandbox's filesystem, which sbx builds" },
	{ "open_by_handle_at", "it opens files by handle, past the sandbox's mounts" },
	{ "bpf", "it loads programs into the kernel" },
	{ "perf_event_open", "it observes the kernel and other processes" },
	{ "kexec_load", "it replaces the running kernel" },
	{ "kexec_file_load", "it replaces the running kernel" },
	{ "init_module", "it loads kernel modules" },
	{ "finit_module", "it loads kernel modules" },
	{ "delete_module", "it unloads kernel modules" },
	{ "keyctl", "the kernel's keyrings are shared beyond the sandbox" },
	{ "add_key", "the kernel's keyrings are shared beyond the sandbox" },
	{ "request_key", "the kernel's keyrings are shared beyond the sandbox" },
	{ "io_uring_setup", "io_uring makes system calls the seccomp filter never sees" },
	{ "io_uring_enter", "io_uring makes system calls the seccomp filter never sees" },
	{ "io_uring_register", "io_uring makes system calls the seccomp filter never sees" },
	{ "userfaultfd", "it lets a program stall the kernel at will, a common exploit aid" },
	{ "personality", "it can turn off address-space randomisation" },
	{ "reboot", "it restarts the machine" },
	{ "swapon", "it changes the machine's swap" },
	{ "swapoff", "it changes the machine's swap" },
	{ "syslog", "it reads the kernel's log" },
	{ "acct", "it turns on process accounting for the machine" },
	{ "iopl", "it gives direct access to hardware I/O ports" },
	{ "ioperm", "it gives direct access to hardware I/O ports" },
	{ "settimeofday", "it sets the machine's clock" },
	{ "clock_settime", "it sets the machine's clock" },
};

const char *sbx_policy_refused_why(const char *name)
{
	for (size_t i = 0; i < SBX_ARRAY_SIZE(refused); i++)
		if (strcmp(refused[i].name, name) == 0)
			return refused[i].why;
	return NULL;
}

static const char *arch_name(uint32_t arch)
{
	switch (arch) {
	case SCMP_ARCH_X86_64: return "x86_64";
	case SCMP_ARCH_X86: return "i386";
	case SCMP_ARCH_X32: return "x32";
	case SCMP_ARCH_AARCH64: return "aarch64";
	case SCMP_ARCH_ARM: return "arm";
	default: return "foreign";
	}
}

void sbx_policy_describe_call(const struct sbx_policy *p, uint32_t arch, int nr, const uint64_t args[6],
			      char *call, size_t call_len, char *suggestion, size_t suggestion_len)
{
	(void)p;
	struct sbuf cs = { call, call_len, 0 }, ss = { suggestion, suggestion_len, 0 };
	if (call_len)
		call[0] = '\0';
	if (suggestion_len)
		suggestion[0] = '\0';
	bool native = arch == seccomp_arch_native() && !(nr & 0x40000000);
	_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(native ? SCMP_ARCH_NATIVE : arch, nr);
	if (!native) {
		sb_printf(&cs, "%s system call %s (%d)", arch_name(arch), name ? name : "?", nr);
		sb_printf(&ss, "(none: calls of a foreign architecture are always killed)");
		return;
	}
	if (!name) {
		sb_printf(&cs, "syscall %d(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
			  ", %#" PRIx64 ")", nr, args[0], args[1], args[2], args[3], args[4], args[5]);
		sb_printf(&ss, "(no name known for system call %d)", nr);
		return;
	}
	const char *fmt = sbx_syscall_args(name);
	sb_printf(&cs, "%s(", name);
	int known = sbx_syscall_nargs(name);
	size_t nargs = known >= 0 ? (size_t)known : 6; /* unknown: all six, since any may matter */
	for (size_t i = 0; i < nargs; i++) {
		if (i)
			sb_printf(&cs, ", ");
		sb_arg(&cs, fmt ? fmt[i] : 'x', args[i]);
	}
	sb_printf(&cs, ")");

	uint32_t lo1 = (uint32_t)args[1], lo0 = (uint32_t)args[0];
	const char *why = sbx_policy_refused_why(name);
	if (why) {
		sb_printf(&ss, "%s%s", SBX_POLICY_REFUSED, why);
	} else if (strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0) {
		sb_printf(&ss, "exec allow");
	} else if (strcmp(name, "ioctl") == 0) {
		const char *n = sbx_const_name(SBX_K_IOCTL, lo1);
		if (n)
			sb_printf(&ss, "ioctl: arg1 == %s", n);
		else
			sb_printf(&ss, "ioctl: arg1 == %#" PRIx32, lo1);
	} else if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0) {
		const char *n = sbx_const_name(SBX_K_AF, lo0);
		if (n)
			sb_printf(&ss, "%s: arg0 == %s", name, n);
		else
			sb_printf(&ss, "%s: arg0 == %" PRIu32, name, lo0);
	} else if (strcmp(name, "prctl") == 0) {
		const char *n = sbx_const_name(SBX_K_PRCTL, lo0);
		if (n)
			sb_printf(&ss, "prctl: arg0 == %s", n);
		else
			sb_printf(&ss, "prctl: arg0 == %" PRIu32, lo0);
	} else if (strcmp(name, "fcntl") == 0) {
		const char *n = sbx_const_name(SBX_K_FCNTL, lo1);
		if (n)
			sb_printf(&ss, "fcntl: arg1 == %s", n);
		else
			sb_printf(&ss, "fcntl: arg1 == %" PRIu32, lo1);
	} else {
		sb_printf(&ss, "%s", name);
	}
}

/* ---- Learn mode ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

#define LEARN_MAX_NR 1024
#define LEARN_MAX_VALUES 256

struct valset {
	uint32_t v[LEARN_MAX_VALUES];
	size_t n;
	bool overflow;
};

static void valset_add(struct valset *s, uint32_t v)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return;
	if (s->n >= LEARN_MAX_VALUES)
		s->overflow = true;
	else
		s->v[s->n++] = v;
}

static void write_valset(FILE *out, const char *name, unsigned arg, struct valset *s, uint8_t kind)
{
	if (s->overflow) {
		fprintf(out, "%s\n", name);
		return;
	}
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_u32);
	fprintf(out, "%s: arg%u %s", name, arg, s->n == 1 ? "== " : "in {");
	for (size_t i = 0; i < s->n; i++) {
		const char *n = sbx_const_name(kind, s->v[i]);
		if (i)
			fprintf(out, ", ");
		if (n)
			fprintf(out, "%s", n);
		else
			fprintf(out, "%#" PRIx32, s->v[i]);
	}
	fprintf(out, "%s\n", s->n == 1 ? "" : "}");
}

/* The opens a directory grant answers (docs/policy.md, "Brokered opens"): each open call the run
 * made is written `broker if dir else allow`, which refines the plain rule written for it, so
 * that the learned policy still brokers them when run with the same --dir grants, and is the
 * plain rule without one. */
static void learn_write_brokered_opens(const bool *used, FILE *out)
{
	static const char *const opens[] = { "open", "openat", "creat" };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(opens); i++) {
		int nr = seccomp_syscall_resolve_name(opens[i]);
		if (nr >= 0 && nr < LEARN_MAX_NR && used[nr])
			fprintf(out, "%s: broker if dir else allow\n", opens[i]);
	}
}

/* Packet sockets are the broker's to answer (docs/policy.md, "Brokered calls"): the worker holds
 * no CAP_NET_RAW, so a plain allow would learn a rule that only ever fails. The other families
 * the run used are allowed as seen, and AF_PACKET is written as the default policy writes it:
 * brokered under a capture grant, refused with an error the program can report without one.
 * The two conditions are disjoint, as rules for one call must be. */
static void learn_write_sockets(struct valset *families, FILE *out)
{
	bool packet = families->overflow;
	for (size_t i = 0; i < families->n; i++) {
		if (families->v[i] != AF_PACKET)
			continue;
		families->v[i] = families->v[--families->n];
		packet = true;
		break;
	}
	if (families->overflow)
		fprintf(out, "socket: arg0 != AF_PACKET\n");
	else if (families->n)
		write_valset(out, "socket", 0, families, SBX_K_AF);
	if (packet)
		fprintf(out, "socket: arg0 == AF_PACKET -> broker if capture else errno EACCES\n");
}

int sbx_policy_learn_write(const struct sbx_learned_call *calls, size_t n, FILE *out)
{
	_cleanup_free_ bool *used = calloc(LEARN_MAX_NR, sizeof(bool));
	_cleanup_free_ struct valset *ioctls = calloc(1, sizeof(struct valset));
	_cleanup_free_ struct valset *families = calloc(1, sizeof(struct valset));
	_cleanup_free_ struct valset *pairfam = calloc(1, sizeof(struct valset));
	if (!used || !ioctls || !families || !pairfam)
		return -ENOMEM;
	uint32_t native = seccomp_arch_native();
	unsigned execs = 0;
	fprintf(out, "# Written by sbx --learn from one run: every system call the program made.\n"
		     "# Review it before use: a run that did not take a code path did not record it.\n\n");
	for (size_t i = 0; i < n; i++) {
		const struct sbx_learned_call *c = &calls[i];
		if (c->arch != native || c->nr < 0 || c->nr >= LEARN_MAX_NR) {
			_cleanup_free_ char *nm = seccomp_syscall_resolve_num_arch(c->arch, c->nr);
			fprintf(out, "# %s call %s (%d) seen: foreign architectures are always killed\n",
				arch_name(c->arch), nm ? nm : "?", c->nr);
			continue;
		}
		if (c->nr == SCMP_SYS(execve) || c->nr == SCMP_SYS(execveat)) {
			execs++;
			continue;
		}
		/* clone3 fails with ENOSYS under the strict filter and libc then uses clone. */
		int nr = c->nr == SCMP_SYS(clone3) ? SCMP_SYS(clone) : c->nr;
		used[nr] = true;
		if (nr == SCMP_SYS(ioctl))
			valset_add(ioctls, (uint32_t)c->args[1]);
		else if (nr == SCMP_SYS(socket))
			valset_add(families, (uint32_t)c->args[0]);
		else if (nr == SCMP_SYS(socketpair))
			valset_add(pairfam, (uint32_t)c->args[0]);
	}
	/* The first exec is the launcher's own exec of the program. */
	fprintf(out, "exec %s\n\n", execs > 1 ? "allow" : "none");

	/* Whole groups first: a group whose every member (on this architecture) was used. The
	 * calls that get argument conditions below never come from a group. */
	int conditional[] = { SCMP_SYS(ioctl), SCMP_SYS(socket), SCMP_SYS(socketpair) };
	_cleanup_free_ bool *covered = calloc(LEARN_MAX_NR, sizeof(bool));
	if (!covered)
		return -ENOMEM;
	for (const struct sbx_group *g = sbx_groups; g->name; g++) {
		bool all = true, any = false;
		for (const char *const *m = g->members; *m && all; m++) {
			bool elsewhere;
			int nr = sbx_syscall_lookup(*m, &elsewhere);
			if (nr < 0 || nr >= LEARN_MAX_NR)
				continue;
			for (size_t k = 0; k < SBX_ARRAY_SIZE(conditional); k++)
				if (nr == conditional[k])
					all = false;
			all = all && used[nr];
			any = true;
		}
		if (!all || !any)
			continue;
		fprintf(out, "%s\n", g->name);
		for (const char *const *m = g->members; *m; m++) {
			bool elsewhere;
			int nr = sbx_syscall_lookup(*m, &elsewhere);
			if (nr >= 0 && nr < LEARN_MAX_NR)
				covered[nr] = true;
		}
	}
	const char *names[LEARN_MAX_NR];
	size_t nn = 0;
	char *owned[LEARN_MAX_NR];
	for (int nr = 0; nr < LEARN_MAX_NR; nr++) {
		if (!used[nr] || covered[nr] || nr == SCMP_SYS(ioctl) || nr == SCMP_SYS(socket) ||
		    nr == SCMP_SYS(socketpair))
			continue;
		char *nm = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (!nm)
			continue;
		owned[nn] = nm;
		names[nn++] = nm;
	}
	qsort(names, nn, sizeof(names[0]), cmp_str);
	size_t col = 0;
	for (size_t i = 0; i < nn; i++) {
		size_t l = strlen(names[i]);
		if (col && col + 1 + l > 78) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%s%s", col ? " " : "", names[i]);
		col += (col ? 1 : 0) + l;
	}
	if (col)
		fputc('\n', out);
	for (size_t i = 0; i < nn; i++)
		free(owned[i]);
	if (used[SCMP_SYS(ioctl)])
		write_valset(out, "ioctl", 1, ioctls, SBX_K_IOCTL);
	/* Whether stdin, stdout and stderr are terminals decides what a program asks of them: the
	 * same program probes a pipe with TCGETS once and a terminal for its size too. A policy
	 * learned with stdout a pipe must still run with stdout a terminal or a file, so these
	 * read-only queries on fds 0 to 2 are always part of it. */
	fprintf(out, "ioctl: arg0 <= 2 && arg1 in {TCGETS, TIOCGWINSZ} # terminal queries on stdio\n");
	if (used[SCMP_SYS(socket)])
		learn_write_sockets(families, out);
	if (used[SCMP_SYS(socketpair)])
		write_valset(out, "socketpair", 0, pairfam, SBX_K_AF);
	learn_write_brokered_opens(used, out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
