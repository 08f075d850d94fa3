/* SPDX-License-Identifier: MIT */
/* Parser and compiler unit tests: every construct of the language, and every error message
 * with its FILE:LINE:COL. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/policy/policy-internal.h"
#include "common/util.h"
#include "tests/tap.h"

static char tmpdir[256];

static struct sbx_policy *parse(const char *text, const struct sbx_policy_param *params, size_t n,
				char *err, size_t errlen)
{
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	int r = sbx_policy_parse("t.policy", text, strlen(text), params, n, &p, &d);
	if (r < 0) {
		sbx_policy_diag_format(&d, err, errlen);
		return NULL;
	}
	err[0] = '\0';
	return p;
}

static void expect_ok(const char *name, const char *text)
{
	char err[1200];
	struct sbx_policy *p = parse(text, NULL, 0, err, sizeof(err));
	bool ok = p != NULL;
	if (p) {
		struct sbx_compile_opts o = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = 3 };
		struct sbx_bpf bpf = { 0 };
		struct sbx_policy_diag d = { .file = "" };
		if (sbx_policy_compile(p, &o, &bpf, &d) < 0) {
			sbx_policy_diag_format(&d, err, sizeof(err));
			ok = false;
		}
		sbx_bpf_free(&bpf);
	}
	if (!tap_ok(ok, "parses and compiles: %s", name))
		printf("# %s\n", err);
	sbx_policy_free(p);
}

/* The whole formatted diagnostic must equal `want`. */
static void expect_error(const char *text, const char *want)
{
	char err[1200];
	struct sbx_policy *p = parse(text, NULL, 0, err, sizeof(err));
	bool ok = !p && strcmp(err, want) == 0;
	if (!tap_ok(ok, "error: %s", want))
		printf("# got:  %s\n", p ? "(parsed)" : err);
	sbx_policy_free(p);
}

static const struct sbx_rule *find_rule(const struct sbx_policy *p, const char *name, size_t nth)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, name) == 0 && nth-- == 0)
			return &p->rules[i];
	return NULL;
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	FILE *f = fopen(path, "we");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static int load(const char *name, const struct sbx_policy_param *params, size_t n, struct sbx_policy **p,
		char *err, size_t errlen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	struct sbx_policy_diag d = { .file = "" };
	int r = sbx_policy_load(path, params, n, p, &d);
	if (r < 0)
		sbx_policy_diag_format(&d, err, errlen);
	return r;
}

static void test_constructs(void)
{
	char err[1200];
	expect_ok("plain list with comments", "# comment\nread write\n\nclose # trailing\n  exit_group\n");
	expect_ok("groups", "@basic-io @file-system\n@io-event @memory @process @signal @time @network-io\n"
			    "@sync @pipe @credentials @system-info @startup @threads\n");
	expect_ok("every comparison operator",
		  "fchdir: arg0 == 1 || arg0 != 2 || arg0 < 3 || arg0 <= 4 || arg0 > 5 || arg0 >= 6\n"
		  "lseek: arg1 == 1 || arg1 != 2 || arg1 < 3 || arg1 <= 4 || arg1 > 5 || arg1 >= 6\n");
	expect_ok("masked tests", "mmap mprotect: arg2 & PROT_EXEC == 0\nfchdir: arg0 & 0xf0 != 0x30\n");
	expect_ok("in, && and ||", "ioctl: arg0 == 1 && arg1 in {TCGETS, FIONREAD} || arg1 == SIOCGIFINDEX\n");
	expect_ok("actions", "socket: errno EACCES\ngetpid: log\nptrace: kill\nread: allow\n"
			     "openat: arg2 & O_ACCMODE != O_RDONLY -> errno EROFS\nopenat: arg2 & O_ACCMODE == O_RDONLY\n");
	expect_ok("errno by number", "socket: errno 13\n");
	expect_ok("constant combinations", "openat: arg2 == O_RDONLY|O_CLOEXEC\nmmap: arg2 == PROT_READ | PROT_WRITE\n");
	expect_ok("line continuation", "read \\\n  write \\\n  close\nioctl: arg1 in {TCGETS, \\\n TIOCGWINSZ}\n");
	expect_ok("range on one 32-bit argument", "fchdir: arg0 >= 10 && arg0 <= 20\n");
	expect_ok("exec none", "exec none\n");
	expect_ok("filesystem and limits", "ro /usr /etc/ssl\nrw /tmp/out\ntmpfs /tmp size 16M\ntmpfs /run\n"
					   "limit time 10s\nlimit memory 256M\nlimit pids 16\nlimit nofile 64\n"
					   "limit fsize 1G\n");
	expect_ok("include a shipped base", "include base/stdio\nwrite\n");
	expect_ok("quoted path", "ro \"/opt/my dir\"\n");
	expect_ok("signal and errno constants", "kill: arg1 == SIGTERM\n");
	expect_ok("overlap with a group is not a duplicate", "@basic-io\nread\n");
	expect_ok("portable names for other architectures", "arm_fadvise64_64 read\n");
	expect_ok("empty policy", "");
	expect_ok("no trailing newline", "read");

	struct sbx_policy *p = parse("ioctl: arg1 == TCGETS\nmmap: arg2 & PROT_EXEC == 0\nfchdir: arg0 in {1, 2}\n"
				     "socket: errno EACCES\n", NULL, 0, err, sizeof(err));
	if (tap_ok(p != NULL, "model: parse")) {
		const struct sbx_rule *r = find_rule(p, "ioctl", 0);
		tap_ok(r && r->n_alts == 1 && r->alts[0].n == 1 && r->alts[0].c[0].arg == 1 &&
			       r->alts[0].c[0].int_sized && r->alts[0].c[0].value == 0x5401,
		       "model: ioctl request is int-sized and decoded");
		r = find_rule(p, "mmap", 0);
		tap_ok(r && r->alts[0].c[0].op == SBX_OP_MASKED_EQ && r->alts[0].c[0].mask == PROT_EXEC &&
			       !r->alts[0].c[0].int_sized,
		       "model: mmap prot mask is a 64-bit masked test");
		r = find_rule(p, "fchdir", 0);
		tap_ok(r && r->n_alts == 2, "model: in {} expands to alternatives");
		r = find_rule(p, "socket", 0);
		tap_ok(r && r->action == SBX_ACT_ERRNO && r->errno_val == EACCES, "model: errno EACCES");
		tap_ok(r && r->line == 4 && r->col == 1, "model: rule origin line and column");
	}
	sbx_policy_free(p);

	p = parse("read\nexec none\n", NULL, 0, err, sizeof(err));
	tap_ok(p && !sbx_policy_exec_allowed(p), "exec none: exec not allowed");
	sbx_policy_free(p);
	p = parse("read\n", NULL, 0, err, sizeof(err));
	tap_ok(p && sbx_policy_exec_allowed(p), "no exec line: exec allowed");
	sbx_policy_free(p);
	p = parse("execve read\n", NULL, 0, err, sizeof(err));
	tap_ok(p && sbx_policy_exec_allowed(p) && !find_rule(p, "execve", 0), "plain execve means exec allow");
	sbx_policy_free(p);

	p = parse("ro /usr\nrw /tmp/out/\ntmpfs /tmp size 16M\nlimit time 1500ms\nlimit memory 64M\n"
		  "limit pids 8\nlimit nofile 32\nlimit fsize 1K\n", NULL, 0, err, sizeof(err));
	if (tap_ok(p != NULL, "filesystem and limits parse")) {
		const struct sbx_policy_mount *m;
		size_t n = sbx_policy_mounts(p, &m);
		tap_ok(n == 3 && m[0].kind == SBX_MOUNT_RO && strcmp(m[0].path, "/usr") == 0 &&
			       m[1].kind == SBX_MOUNT_RW && strcmp(m[1].path, "/tmp/out") == 0 &&
			       m[2].kind == SBX_MOUNT_TMPFS && m[2].tmpfs_size == 16u << 20 && m[2].line == 3,
		       "mounts: kinds, paths, size, line");
		struct sbx_policy_limits l;
		sbx_policy_limits(p, &l);
		tap_ok(l.time_ms == 1500 && l.memory == 64u << 20 && l.pids == 8 && l.nofile == 32 && l.fsize == 1024,
		       "limits: values");
	}
	sbx_policy_free(p);
	p = parse("read\n", NULL, 0, err, sizeof(err));
	struct sbx_policy_limits l;
	sbx_policy_limits(p, &l);
	tap_ok(l.time_ms == UINT64_MAX && l.memory == UINT64_MAX && l.pids == UINT64_MAX, "limits: unset is UINT64_MAX");
	sbx_policy_free(p);
}

static void test_params(void)
{
	char err[1200];
	const char *text = "param input = /data/in.pcap\nparam fd = 3\nro ${input}\nread: arg0 == ${fd}\n";
	struct sbx_policy *p = parse(text, NULL, 0, err, sizeof(err));
	const struct sbx_policy_mount *m = NULL;
	tap_ok(p && sbx_policy_mounts(p, &m) == 1 && strcmp(m[0].path, "/data/in.pcap") == 0,
	       "param: default value used");
	sbx_policy_free(p);
	struct sbx_policy_param pp[] = { { "input", "/srv/x.pcap" }, { "fd", "7" } };
	p = parse(text, pp, 2, err, sizeof(err));
	tap_ok(p && sbx_policy_mounts(p, &m) == 1 && strcmp(m[0].path, "/srv/x.pcap") == 0 &&
		       find_rule(p, "read", 0)->alts[0].c[0].value == 7,
	       "param: --param overrides the default");
	sbx_policy_free(p);
	struct sbx_policy_param flags[] = { { "flags", "O_RDONLY|O_CLOEXEC" } };
	p = parse("param flags\nopenat: arg2 == ${flags}\n", flags, 1, err, sizeof(err));
	tap_ok(p && find_rule(p, "openat", 0)->alts[0].c[0].value == (O_RDONLY | O_CLOEXEC),
	       "param: value may combine constants");
	sbx_policy_free(p);
	struct sbx_policy_param bogus[] = { { "nope", "1" } };
	p = parse("read\n", bogus, 1, err, sizeof(err));
	tap_ok(!p && strcmp(err, "t.policy: --param nope: the policy has no parameter 'nope'") == 0,
	       "error: --param for an undeclared parameter");
	if (p || strcmp(err, "t.policy: --param nope: the policy has no parameter 'nope'"))
		printf("# got: %s\n", err);
	sbx_policy_free(p);
	expect_error("ro ${where}\n", "t.policy:1:4: unknown parameter 'where' (declare it first: param where = DEFAULT)");
	expect_error("param where\nro ${where}\n", "t.policy:2:4: parameter 'where' has no value: pass --param where=VALUE");
	expect_error("param a = 1\nparam a = 2\n", "t.policy:2:7: parameter 'a' is already declared at t.policy:1");
	expect_error("ro ${bad name}\n", "t.policy:1:4: bad parameter reference (write ${name})");
}

static void test_errors(void)
{
	expect_error("read\nopne\n", "t.policy:2:1: unknown system call 'opne' (did you mean 'open'?)");
	expect_error("read wirte\n", "t.policy:1:6: unknown system call 'wirte' (did you mean 'write'?)");
	expect_error("frobnicate_everything\n", "t.policy:1:1: unknown system call 'frobnicate_everything'");
	expect_error("inclde base/stdio\n", "t.policy:1:1: unknown keyword or system call 'inclde' (did you mean 'include'?)");
	expect_error("[syscalls]\n", "t.policy:1:1: unknown section '[syscalls]': a policy has no [sections]; use the "
				     "keywords include, param, exec, ro, rw, tmpfs, limit");
	expect_error("@basic-i0\n", "t.policy:1:1: unknown group '@basic-i0' (did you mean '@basic-io'?)");
	expect_error("ioctl: arg1 == TCGEST\n", "t.policy:1:16: unknown constant 'TCGEST' (did you mean 'TCGETS'?)");
	expect_error("mmap: arg2 & PROT_EXCE == 0\n", "t.policy:1:14: unknown constant 'PROT_EXCE' (did you mean 'PROT_EXEC'?)");
	expect_error("socket: arg0 = AF_INET\n", "t.policy:1:14: bad operator '=' (did you mean '=='?)");
	expect_error("socket: arg0 ~ 1\n", "t.policy:1:14: bad operator '~' (use ==, !=, <, <=, >, >=, '& MASK ==' or 'in {...}')");
	expect_error("socket: arg0 ! 1\n", "t.policy:1:14: unexpected '!' (the only operator with '!' is '!=')");
	expect_error("socket: arg0 AF_INET\n", "t.policy:1:14: bad operator 'AF_INET' (use ==, !=, <, <=, >, >=, '& MASK ==' or 'in {...}')");
	expect_error("mmap: arg2 & PROT_EXEC < 1\n", "t.policy:1:24: bad operator '<' after a mask: a masked test uses "
						 "'==' or '!=' (e.g. 'arg2 & PROT_EXEC == 0')");
	expect_error("read: arg6 == 1\n", "t.policy:1:7: argument index out of range: 'arg6' (a system call has arg0 to arg5)");
	expect_error("socket: arg3 == 1\n", "t.policy:1:9: argument index out of range: 'socket' has 3 arguments (arg0 to arg2), not arg3");
	expect_error("socket: fd == 1\n", "t.policy:1:9: expected an argument (arg0 to arg5), found 'fd'");
	expect_error("read\nread\n", "t.policy:2:1: duplicate rule for 'read': 'allow' here, 'allow' at t.policy:1");
	expect_error("socket\nsocket: errno EACCES\n", "t.policy:2:1: conflicting rule for 'socket': 'errno EACCES' here, "
						  "'allow' at t.policy:1");
	expect_error("socket: arg0 == AF_UNIX\nsocket: errno EACCES\n", "t.policy:2:1: conflicting rule (a system call has "
		     "either one unconditional rule or conditional ones) for 'socket': 'errno EACCES' here, 'allow' at t.policy:1");
	expect_error("ioctl: arg1 == TCGETS\nioctl: arg1 == TCGETS -> kill\n",
		     "t.policy:2:1: conflicting rule for 'ioctl': 'kill' here, 'allow' at t.policy:1");
	expect_error("ioctl: arg1 == TCGETS\nioctl: arg1 == TCGETS\n",
		     "t.policy:2:1: duplicate rule for 'ioctl': 'allow' here, 'allow' at t.policy:1");
	expect_error("socket: errno EACCESS\n", "t.policy:1:15: unknown error name 'EACCESS' (did you mean 'EACCES'?)");
	expect_error("socket: errno\n", "t.policy:1:14: expected an error name after 'errno' (e.g. EACCES), found end of line");
	expect_error("socket: errno 5000\n", "t.policy:1:15: errno number out of range: '5000' (1 to 4095)");
	expect_error("socket:\n", "t.policy:1:8: expected a condition or an action after ':'");
	expect_error("socket: arg0 == 1 errno EPERM\n", "t.policy:1:19: unexpected 'errno' after the condition (join "
						  "comparisons with '&&' or '||', give an action with '-> ACTION')");
	expect_error("socket: arg0 == 1 -> deny\n", "t.policy:1:22: expected an action (allow, errno NAME, log, kill), found 'deny'");
	expect_error("ioctl: arg1 == 0x100005412\n", "t.policy:1:8: value does not fit in 32 bits: arg1 of 'ioctl' is an int");
	expect_error("ioctl: arg1 in {TCGETS, TIOCGWINSZ\n", "t.policy:1:35: expected ',' or '}' in the value list, found end of line");
	expect_error("@basic-io: arg0 == 1\n", "t.policy:1:1: argument conditions apply to single system calls, not to group '@basic-io'");
	expect_error("write: arg2 > 1 && arg2 < 10\n", "t.policy:1:8: arg2 is tested twice in one alternative with an "
						 "operator that cannot be combined (a 64-bit argument takes one of <, <=, >, >=, != per "
						 "alternative); split the test with '||'");
	expect_error("mmap: arg2 & 1 == 2\n", "t.policy:1:16: the value has bits outside the mask, so the test can never be true");
	expect_error("read exec none\n", "t.policy:1:6: 'exec' is a keyword and must start its own line");
	expect_error("exec none\nexecve\n", "t.policy:2:1: conflicting rule: exec is allowed here but none at t.policy:1");
	expect_error("exec sometimes\n", "t.policy:1:6: expected 'none' or 'allow' after 'exec', found 'sometimes'");
	expect_error("execve: arg0 == 0\n", "t.policy:1:1: 'execve' is governed by the exec keyword: write 'exec allow' or 'exec none'");
	expect_error("ro usr\n", "t.policy:1:4: path must be absolute: 'usr'");
	expect_error("rw /tmp/../etc\n", "t.policy:1:4: path must not contain '..': '/tmp/../etc'");
	expect_error("ro\n", "t.policy:1:1: expected one or more absolute paths after 'ro'");
	expect_error("ro /usr\nrw /usr\n", "t.policy:2:4: '/usr' is already in the filesystem at t.policy:1");
	expect_error("tmpfs /tmp size lots\n", "t.policy:1:17: bad size 'lots' (e.g. 512K, 64M, 1G)");
	expect_error("limit tiem 1s\n", "t.policy:1:7: unknown limit 'tiem' (did you mean 'time'?)");
	expect_error("limit time soon\n", "t.policy:1:12: bad value 'soon' for limit time (e.g. 500ms, 10s, 5m, 1h)");
	expect_error("limit pids 0\n", "t.policy:1:12: bad value '0' for limit pids (a positive number)");
	expect_error("limit pids 4\nlimit pids 5\n", "t.policy:2:7: duplicate rule: limit pids is already set at t.policy:1");
	expect_error("ro \"/unterminated\n", "t.policy:1:4: unterminated string");
	expect_error("read \\ write\n", "t.policy:1:6: a backslash continues a line only as the line's last character");
	expect_error("read\x01\n", "t.policy:1:5: unexpected control character 0x01");
	expect_error("include base/nothing-here\n", "t.policy:1:9: cannot find policy 'base/nothing-here' to include "
						"(looked in <builtin> and the policy directories)");
	expect_error(": read\n", "t.policy:1:1: unexpected ':' at the start of a line");
	expect_error("socket: arg0 != \n", "t.policy:1:17: expected a number or a constant, found end of line");
	expect_error("fchdir: arg0 == 12abc\n", "t.policy:1:17: bad number '12abc'");
}

static void test_includes(void)
{
	char err[1200];
	struct sbx_policy *p = NULL;
	write_file("inc/a.policy", "include b\nread\n");
	write_file("inc/b.policy", "include a\n");
	int r = load("inc/a.policy", NULL, 0, &p, err, sizeof(err));
	char want[1024];
	snprintf(want, sizeof(want), "%s/inc/b.policy:1:9: include cycle: '%s/inc/a.policy' is already being read",
		 tmpdir, tmpdir);
	if (!tap_ok(r < 0 && strcmp(err, want) == 0, "error: include cycle"))
		printf("# got:  %s\n# want: %s\n", err, want);

	write_file("inc/self.policy", "include ./self.policy\n");
	r = load("inc/self.policy", NULL, 0, &p, err, sizeof(err));
	tap_ok(r < 0 && strstr(err, "include cycle"), "error: a file including itself");

	for (int i = 0; i < 12; i++) {
		char name[64], text[64];
		snprintf(name, sizeof(name), "deep/d%d.policy", i);
		snprintf(text, sizeof(text), "include d%d\n", i + 1);
		write_file(name, text);
	}
	write_file("deep/d12.policy", "read\n");
	r = load("deep/d0.policy", NULL, 0, &p, err, sizeof(err));
	if (!tap_ok(r < 0 && strstr(err, "includes nested too deeply (at most 8 levels)"), "error: include depth limit"))
		printf("# got: %s\n", err);

	write_file("ok/main.policy", "include lib/common\nparam out = /tmp/o\nrw ${out}\nlimit pids 4\n");
	write_file("ok/lib/common.policy", "read write\nlimit pids 100\nlimit nofile 9\n");
	r = load("ok/main.policy", NULL, 0, &p, err, sizeof(err));
	if (tap_ok(r == 0, "include: relative to the including file")) {
		struct sbx_policy_limits l;
		sbx_policy_limits(p, &l);
		tap_ok(l.pids == 4 && l.nofile == 9, "include: the including file's limits override");
		const struct sbx_rule *rr = find_rule(p, "read", 0);
		snprintf(want, sizeof(want), "%s/ok/lib/common.policy", tmpdir);
		tap_ok(rr && strcmp(rr->file, want) == 0 && rr->line == 1, "include: rule origin names the included file");
		sbx_policy_free(p);
	} else {
		printf("# %s\n", err);
	}
	write_file("ok/err.policy", "read\ninclude lib/bad\n");
	write_file("ok/lib/bad.policy", "\n  wrte\n");
	r = load("ok/err.policy", NULL, 0, &p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s/ok/lib/bad.policy:2:3: unknown system call 'wrte' (did you mean 'write'?)", tmpdir);
	if (!tap_ok(r < 0 && strcmp(err, want) == 0, "error in an included file names that file"))
		printf("# got: %s\n", err);

	write_file("ok/uses-base.policy", "include base/stdio\n");
	r = load("ok/uses-base.policy", NULL, 0, &p, err, sizeof(err));
	tap_ok(r == 0 && find_rule(p, "exit_group", 0), "include base/stdio from a file on disk");
	if (r == 0)
		sbx_policy_free(p);
}

static void test_shipped(void)
{
	char err[1200];
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	int r = sbx_policy_default(&p, &d);
	sbx_policy_diag_format(&d, err, sizeof(err));
	if (!tap_ok(r == 0, "built-in default policy parses"))
		printf("# %s\n", err);
	if (r < 0)
		return;
	struct sbx_compile_opts o = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = 3 };
	struct sbx_bpf bpf = { 0 };
	r = sbx_policy_compile(p, &o, &bpf, &d);
	tap_ok(r == 0 && bpf.len > 0, "default policy compiles (%u instructions)", bpf.len);
	sbx_bpf_free(&bpf);
	static const char *const forbidden[] = {
		"io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "keyctl",
		"add_key", "request_key", "userfaultfd", "ptrace", "mount", "umount2", "pivot_root", "fsopen",
		"fsmount", "move_mount", "open_tree", "mount_setattr", "unshare", "setns", "kexec_load",
		"kexec_file_load", "init_module", "finit_module", "delete_module", "personality",
		"open_by_handle_at", "process_vm_readv", "process_vm_writev", "clone3",
	};
	bool clean = true;
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (find_rule(p, forbidden[i], 0)) {
			printf("# default policy allows %s\n", forbidden[i]);
			clean = false;
		}
	tap_ok(clean, "default policy contains none of the forbidden calls");
	/* Without a capture grant every socket rule is `errno EACCES`; with one, packet sockets
	 * are brokered (the live-capture rules are guarded `if capture`). */
	bool socket_eacces = find_rule(p, "socket", 0) != NULL;
	for (size_t i = 0; i < p->n_rules; i++) {
		uint8_t act;
		int ev;
		if (strcmp(p->rules[i].name, "socket") == 0)
			socket_eacces = socket_eacces && sbx_rule_effective(&p->rules[i], 0, &act, &ev) &&
					act == SBX_ACT_ERRNO && ev == EACCES;
	}
	tap_ok(socket_eacces, "default policy: socket fails with EACCES");
	bool ioctl_safe = true, ioctl_any = false;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sbx_rule *r2 = &p->rules[i];
		if (strcmp(r2->name, "ioctl"))
			continue;
		ioctl_any = true;
		if (!r2->n_alts)
			ioctl_safe = false;
		for (size_t a = 0; a < r2->n_alts; a++)
			for (size_t c = 0; c < r2->alts[a].n; c++) {
				uint64_t v = r2->alts[a].c[c].value;
				if (r2->alts[a].c[c].op != SBX_OP_EQ || v == 0x5412 /* TIOCSTI */ ||
				    v == 0x541C /* TIOCLINUX */ || v == 0x5423 /* TIOCSETD */)
					ioctl_safe = false;
			}
	}
	tap_ok(ioctl_any && ioctl_safe, "default policy: ioctl limited to a list without TIOCSTI/TIOCLINUX/TIOCSETD");
	tap_ok(sbx_policy_exec_allowed(p), "default policy: exec allowed");
	sbx_policy_free(p);

	/* Every shipped policy file loads by name and compiles. */
	static const char *const shipped[] = { "default", "pcap", "base/stdio", "base/files", "base/threads" };
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		p = NULL;
		r = sbx_policy_load(shipped[i], NULL, 0, &p, &d);
		if (r == 0)
			r = sbx_policy_compile(p, &o, &bpf, &d);
		sbx_policy_diag_format(&d, err, sizeof(err));
		if (!tap_ok(r == 0, "shipped policy '%s' loads by name and compiles", shipped[i]))
			printf("# %s\n", err);
		sbx_bpf_free(&bpf);
		sbx_policy_free(p);
	}

	/* Groups are data: every member must be a real system call somewhere. */
	bool all_known = true;
	for (const struct sbx_group *g = sbx_groups; g->name; g++)
		for (const char *const *m = g->members; *m; m++) {
			bool elsewhere;
			if (sbx_syscall_lookup(*m, &elsewhere) < 0 && !elsewhere) {
				printf("# %s: unknown member %s\n", g->name, *m);
				all_known = false;
			}
		}
	tap_ok(all_known, "every group member is a known system call");
	static const char *const never_in_groups[] = { "execve", "execveat", "clone3", "unshare", "setns", "ptrace",
						       "mount", "bpf", "personality", "ioctl" };
	bool groups_safe = true;
	for (const struct sbx_group *g = sbx_groups; g->name; g++)
		for (const char *const *m = g->members; *m; m++)
			for (size_t i = 0; i < sizeof(never_in_groups) / sizeof(never_in_groups[0]); i++)
				if (strcmp(*m, never_in_groups[i]) == 0) {
					printf("# %s contains %s\n", g->name, *m);
					groups_safe = false;
				}
	tap_ok(groups_safe, "no group contains exec, clone3, namespaces, ptrace, mount, bpf, personality or ioctl");
}

static void test_explain_describe(void)
{
	char err[1200];
	struct sbx_policy *p = parse("read\n@sync\nioctl: arg1 in {TCGETS, FIONREAD}\nsocket: errno EACCES\n"
				     "openat: arg2 & O_ACCMODE != O_RDONLY -> errno EROFS\nexec none\ntmpfs /tmp size 8M\n"
				     "limit time 2s\n", NULL, 0, err, sizeof(err));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sbx_policy_explain(p, f);
	fclose(f);
	tap_ok(strstr(buf, "read                                     # t.policy:1\n") != NULL, "explain: plain rule and origin");
	tap_ok(strstr(buf, "fsync                                    # t.policy:2 via @sync\n") != NULL, "explain: group member");
	tap_ok(strstr(buf, "ioctl: arg1 in {TCGETS, FIONREAD}        # t.policy:3\n") != NULL, "explain: condition as written");
	tap_ok(strstr(buf, "socket: errno EACCES                     # t.policy:4\n") != NULL, "explain: action");
	tap_ok(strstr(buf, "openat: arg2 & O_ACCMODE != O_RDONLY -> errno EROFS # t.policy:5\n") != NULL,
	       "explain: condition with action");
	tap_ok(strstr(buf, "exec none                                # t.policy:6\n") != NULL, "explain: exec");
	tap_ok(strstr(buf, "tmpfs /tmp size 8M") && strstr(buf, "limit time 2000ms"), "explain: mounts and limits");
	tap_ok(strstr(buf, "clone3: errno ENOSYS") != NULL, "explain: built-in clone3 rule");
	if (tap_failed)
		printf("# explain output:\n%s", buf);
	free(buf);

	char call[256], sug[256];
	uint64_t a_sock[6] = { AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(socket), a_sock, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)") == 0 && strcmp(sug, "socket: arg0 == AF_INET") == 0,
	       "describe: socket -> %s / %s", call, sug);
	uint64_t a_ioctl[6] = { 0, 0x5412 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(ioctl), a_ioctl, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "ioctl(0, TIOCSTI, 0)") == 0 && strcmp(sug, "ioctl: arg1 == TIOCSTI") == 0,
	       "describe: ioctl -> %s / %s", call, sug);
	uint64_t a_ioctl_hi[6] = { 0, 0x100005412ull };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(ioctl), a_ioctl_hi, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "ioctl(0, 0x100005412 (TIOCSTI with high bits set), 0)") == 0, "describe: high bits -> %s", call);
	uint64_t a_open[6] = { (uint64_t)AT_FDCWD, 0x7f0000001000, O_WRONLY | O_CREAT | O_CLOEXEC, 0644 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(openat), a_open, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "openat(AT_FDCWD, 0x7f0000001000, O_WRONLY|O_CREAT|O_CLOEXEC, 0644)") == 0 &&
		       strcmp(sug, "openat") == 0, "describe: openat -> %s", call);
	uint64_t a_mmap[6] = { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(mmap), a_mmap, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)") == 0,
	       "describe: mmap -> %s", call);
	uint64_t a_kill[6] = { 1, SIGKILL };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(kill), a_kill, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "kill(1, SIGKILL)") == 0 && strcmp(sug, "kill") == 0, "describe: kill -> %s", call);
	uint64_t a_exec[6] = { 0x1000, 0x2000, 0x3000 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(execve), a_exec, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(sug, "exec allow") == 0, "describe: execve suggests 'exec allow'");
	uint64_t z[6] = { 0 };
	sbx_policy_describe_call(p, SCMP_ARCH_X86, 102, z, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "i386 system call socketcall (102)") == 0 && strstr(sug, "foreign") != NULL,
	       "describe: foreign architecture -> %s", call);
	/* Only the arguments the call has, from the format table or the table of counts. */
	uint64_t six[6] = { 1, 2, 3, 4, 5, 6 };
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(getpid), six, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "getpid()") == 0 && strcmp(sug, "getpid") == 0, "describe: getpid has no arguments -> %s", call);
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(sethostname), six, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "sethostname(0x1, 0x2)") == 0, "describe: sethostname has two -> %s", call);
	sbx_policy_describe_call(p, seccomp_arch_native(), SCMP_SYS(splice), six, call, sizeof(call), sug, sizeof(sug));
	tap_ok(strcmp(call, "splice(0x1, 0x2, 0x3, 0x4, 0x5, 0x6)") == 0, "describe: splice has six -> %s", call);
	/* Refused by design: the reason, never a line to add. */
	static const char *const by_design[] = { "ptrace", "unshare", "setns", "mount", "umount2", "pivot_root",
						 "bpf", "perf_event_open", "kexec_load", "init_module",
						 "finit_module", "delete_module", "keyctl", "add_key", "request_key",
						 "io_uring_setup", "io_uring_enter", "userfaultfd", "process_vm_readv",
						 "process_vm_writev", "open_by_handle_at", "personality", "reboot",
						 "swapon", "swapoff" };
	for (size_t i = 0; i < sizeof(by_design) / sizeof(by_design[0]); i++) {
		sbx_policy_describe_call(p, seccomp_arch_native(), seccomp_syscall_resolve_name(by_design[i]), six, call,
					 sizeof(call), sug, sizeof(sug));
		tap_ok(strncmp(sug, "refused by design: ", 19) == 0 && strlen(sug) > 25,
		       "describe: %s -> %s", by_design[i], sug);
	}
	/* The suggestion must itself be a valid policy line. */
	char text[300];
	snprintf(text, sizeof(text), "%s\n", "ioctl: arg1 == TIOCSTI");
	struct sbx_policy *q = parse(text, NULL, 0, err, sizeof(err));
	tap_ok(q != NULL, "describe: the suggested line parses");
	sbx_policy_free(q);
	sbx_policy_free(p);
}

static void test_learn(void)
{
	uint32_t arch = seccomp_arch_native();
	struct sbx_learned_call calls[64];
	size_t n = 0;
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(execve), { 0 } };
	static const char *const sync_members[] = { "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs" };
	for (size_t i = 0; i < 6; i++)
		calls[n++] = (struct sbx_learned_call){ arch, seccomp_syscall_resolve_name(sync_members[i]), { 0 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(read), { 0 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(write), { 1 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(ioctl), { 1, 0x5401 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(ioctl), { 1, 0x5413 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(ioctl), { 1, 0x5401 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(socket), { AF_UNIX, SOCK_STREAM } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(clone3), { 0 } };
	calls[n++] = (struct sbx_learned_call){ SCMP_ARCH_X86, 20, { 0 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(exit_group), { 0 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = sbx_policy_learn_write(calls, n, f);
	fclose(f);
	tap_ok(r == 0, "learn: writes");
	tap_ok(strstr(buf, "exec none\n") != NULL, "learn: only the launcher's exec -> exec none");
	tap_ok(strstr(buf, "\n@sync\n") != NULL, "learn: a fully used group is written as the group");
	if (!tap_ok(strstr(buf, "ioctl: arg1 in {TCGETS, TIOCGWINSZ}\n") != NULL, "learn: ioctl requests as a condition"))
		printf("# policy:\n%s", buf);
	tap_ok(strstr(buf, "socket: arg0 == AF_UNIX\n") != NULL, "learn: socket family as a condition");
	tap_ok(strstr(buf, "clone ") != NULL && strstr(buf, "clone3") == NULL, "learn: clone3 becomes clone");
	tap_ok(strstr(buf, "# i386 call getpid (20) seen") != NULL, "learn: foreign calls as comments");
	char err[1200];
	struct sbx_policy *p = parse(buf, NULL, 0, err, sizeof(err));
	if (!tap_ok(p != NULL, "learn: the written policy parses"))
		printf("# %s\n# policy:\n%s", err, buf);
	tap_ok(p && !sbx_policy_exec_allowed(p) && find_rule(p, "fsync", 0) && find_rule(p, "read", 0),
	       "learn: the written policy allows what was recorded");
	sbx_policy_free(p);
	free(buf);

	n = 0;
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(execve), { 0 } };
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(execve), { 0 } };
	f = open_memstream(&buf, &len);
	sbx_policy_learn_write(calls, n, f);
	fclose(f);
	tap_ok(strstr(buf, "exec allow\n") != NULL, "learn: a second exec -> exec allow");
	free(buf);
}

/* What learn mode writes for a packet socket: brokered under a capture grant, refused without
 * one, never a plain allow (the worker holds no CAP_NET_RAW); the other families as seen. */
static char *learn_sockets(const uint32_t *families, size_t n_fam)
{
	uint32_t arch = seccomp_arch_native();
	static struct sbx_learned_call calls[400];
	size_t n = 0;
	calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(execve), { 0 } };
	for (size_t i = 0; i < n_fam && n < SBX_ARRAY_SIZE(calls); i++)
		calls[n++] = (struct sbx_learned_call){ arch, SCMP_SYS(socket), { families[i], SOCK_RAW } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = sbx_policy_learn_write(calls, n, f);
	fclose(f);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_learn_sockets(void)
{
	static const char packet[] = "socket: arg0 == AF_PACKET -> broker if capture else errno EACCES\n";
	const uint32_t both[] = { AF_PACKET, AF_NETLINK, AF_PACKET }, only[] = { AF_PACKET };
	char *buf = learn_sockets(both, SBX_ARRAY_SIZE(both));
	tap_ok(buf && strstr(buf, "socket: arg0 == AF_NETLINK\n") && strstr(buf, packet) &&
		       !strstr(buf, "AF_NETLINK, AF_PACKET") && !strstr(buf, "AF_PACKET, AF_NETLINK"),
	       "learn: AF_PACKET is written brokered, apart from the families allowed as seen");
	if (buf)
		expect_ok("the learned brokered packet socket", buf);
	free(buf);
	buf = learn_sockets(only, 1);
	tap_ok(buf && strstr(buf, packet) && !strstr(buf, "socket: arg0 == AF_PACKET\n"),
	       "learn: only AF_PACKET: only the brokered rule");
	char err[1200];
	struct sbx_policy *p = buf ? parse(buf, NULL, 0, err, sizeof(err)) : NULL;
	const uint64_t args[6] = { AF_PACKET, SOCK_RAW };
	char rule[256];
	tap_ok(p && sbx_policy_brokers(p, 1u << SBX_RES_CAPTURE, seccomp_arch_native(), SCMP_SYS(socket), args, rule,
				       sizeof(rule)) &&
		       !sbx_policy_brokers(p, 0, seccomp_arch_native(), SCMP_SYS(socket), args, rule, sizeof(rule)),
	       "learn: the learned rule brokers a packet socket under a capture grant only");
	sbx_policy_free(p);
	free(buf);
	/* More families than the writer keeps (a program trying numbers): still never AF_PACKET plainly. */
	uint32_t many[300];
	for (size_t i = 0; i < SBX_ARRAY_SIZE(many); i++)
		many[i] = (uint32_t)(1000 + i);
	buf = learn_sockets(many, SBX_ARRAY_SIZE(many));
	tap_ok(buf && strstr(buf, "socket: arg0 != AF_PACKET\n") && strstr(buf, packet),
	       "learn: too many families: every one but AF_PACKET, and AF_PACKET brokered");
	if (buf)
		expect_ok("the learned sockets past the family limit", buf);
	free(buf);
}

/* `broker if dir`: the brokered opens (docs/policy.md, "Brokered opens"). */
static void test_brokered_opens(void)
{
	static const char *const orders[] = { "@file-system\nopen openat creat: broker if dir else allow\n",
					       "open openat creat: broker if dir else allow\n@file-system\n" };
	for (size_t k = 0; k < 2; k++) {
		char err[1200];
		struct sbx_policy *p = parse(orders[k], NULL, 0, err, sizeof(err));
		const struct sbx_rule *r = p ? find_rule(p, "openat", 0) : NULL;
		uint8_t with = 0, without = 0;
		int e;
		bool ok = r && !find_rule(p, "openat", 1) && r->guard == SBX_RES_DIR &&
			  sbx_rule_effective(r, 1u << SBX_RES_DIR, &with, &e) && with == SBX_ACT_BROKER &&
			  sbx_rule_effective(r, 0, &without, &e) && without == SBX_ACT_ALLOW &&
			  sbx_rule_effective(r, 1u << SBX_RES_CAPTURE, &with, &e) && with == SBX_ACT_ALLOW;
		uint64_t args[6] = { (uint64_t)-100, 0, 0, 0, 0, 0 };
		ok = ok && sbx_policy_brokers(p, 1u << SBX_RES_DIR, seccomp_arch_native(), r->nr, args, NULL, 0) &&
		     !sbx_policy_brokers(p, 0, seccomp_arch_native(), r->nr, args, NULL, 0);
		if (!tap_ok(ok, "'openat: broker if dir else allow' refines @file-system's openat (%s first)",
			    k ? "the guarded rule" : "the group"))
			printf("# %s\n", err);
		sbx_policy_free(p);
	}
	expect_ok("brokered opens beside @file-system", "@file-system\nopen openat creat: broker if dir else allow\n");
	expect_error("@file-system\nopenat: broker if dir else errno EACCES\n",
		     "t.policy:2:1: conflicting rule for 'openat': 'broker if dir else errno EACCES' here, 'allow' at "
		     "t.policy:1");
	/* Refused whichever comes first: the guarded rule that refines the unconditional one is
	 * checked against the conditional one too. */
	expect_error("openat\nopenat: arg2 == 0\nopenat: broker if dir else allow\n",
		     "t.policy:3:1: conflicting rule (a system call has either one unconditional rule or conditional "
		     "ones) for 'openat': 'broker if dir else allow' here, 'allow' at t.policy:2");
	expect_error("openat: broker if dir else allow\nopenat: arg2 == 0\nopenat\n",
		     "t.policy:2:1: conflicting rule (a system call has either one unconditional rule or conditional "
		     "ones) for 'openat': 'allow' here, 'broker if dir else allow' at t.policy:1");
	expect_error("read: broker if dir\n", "t.policy:1:1: 'broker' answers socket (a packet socket from a capture "
		     "grant) and open, openat, creat (a file from a directory grant) only, not 'read'");
	expect_error("openat: allow if file\n", "t.policy:1:18: expected a grant kind after 'if' (capture, dir), found 'file'");
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sbx-policy-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_constructs();
	test_params();
	test_errors();
	test_includes();
	test_shipped();
	test_explain_describe();
	test_learn();
	test_learn_sockets();
	test_brokered_opens();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
