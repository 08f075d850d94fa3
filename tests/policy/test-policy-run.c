/* SPDX-License-Identifier: MIT */
/* Compiled policies against real system calls. Each case compiles a policy exactly as the
 * launcher does (NOTIFY default, the launch_fd sendmsg rule), forks a child that sets
 * no_new_privs, loads the filter with a user-notification listener, hands the listener to the
 * parent over the launch socket, makes one call and exits with the errno it got. The parent
 * plays the broker: a notification means "not allowed" and the child is killed.
 *
 * Calls use fd -1 where they can, so an allowed call fails harmlessly with EBADF and can be
 * told apart from a filter's errno (the tests use EXFULL, which the kernel never returns for
 * these calls) and from a notification. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "broker/policy/policy-internal.h"
#include "tests/tap.h"

#define LAUNCH_FD 100

enum outcome { O_ALLOWED, O_ERRNO, O_KILLED, O_NOTIFIED, O_OTHER };

struct result {
	enum outcome o;
	int err;       /* O_ALLOWED: errno of the call (0 on success); O_ERRNO: the errno */
	int nr;        /* O_NOTIFIED: the call the broker saw */
	int sig;       /* O_KILLED */
	uint64_t args[6];
};

typedef long (*call_fn)(void *arg);

struct call {
	long nr;
	uint64_t a[6];
};

static long do_syscall(void *arg)
{
	struct call *c = arg;
	return syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

#if defined(__x86_64__)
static long do_int80_getpid(void *arg)
{
	(void)arg;
	long ret = 20; /* __NR_getpid on i386 */
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}
#endif

static void send_fd(int sock, int fd)
{
	char dummy = 'L';
	struct iovec iov = { &dummy, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		_exit(120);
}

static int recv_fd(int sock)
{
	char dummy;
	struct iovec iov = { &dummy, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static struct sbx_policy *must_parse(const char *text)
{
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	if (sbx_policy_parse("run.policy", text, strlen(text), NULL, 0, &p, &d) < 0) {
		char buf[1200];
		sbx_policy_diag_format(&d, buf, sizeof(buf));
		printf("# parse error: %s\n", buf);
		return NULL;
	}
	return p;
}

/* Run fn under the policy's filter in a child; report what happened. */
static int run_under(const struct sbx_policy *p, enum sbx_compile_mode mode, call_fn fn, void *arg, struct result *res)
{
	struct sbx_compile_opts o = { .mode = mode, .launch_fd = LAUNCH_FD };
	struct sbx_bpf bpf = { 0 };
	struct sbx_policy_diag d = { .file = "" };
	if (sbx_policy_compile(p, &o, &bpf, &d) < 0) {
		printf("# compile error: %s\n", d.message);
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(sv[1], LAUNCH_FD) < 0)
			_exit(121);
		struct sock_fprog prog = { bpf.len, bpf.insns };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(122);
		long lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (lfd < 0)
			_exit(123);
		send_fd(LAUNCH_FD, (int)lfd);
		errno = 0;
		long r = fn(arg);
		_exit(r < 0 ? (errno & 0xff) : 0);
	}
	sbx_bpf_free(&bpf);
	close(sv[1]);
	int lfd = recv_fd(sv[0]);
	close(sv[0]);
	*res = (struct result){ .o = O_OTHER };
	if (lfd >= 0) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 10000);
		if (pr > 0 && (pfd.revents & POLLIN)) {
			struct seccomp_notif req;
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
				res->o = O_NOTIFIED;
				res->nr = req.data.nr;
				memcpy(res->args, req.data.args, sizeof(res->args));
				kill(pid, SIGKILL);
			}
		}
		close(lfd);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (res->o == O_NOTIFIED)
		return 0;
	if (WIFSIGNALED(st)) {
		res->o = O_KILLED;
		res->sig = WTERMSIG(st);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) >= 120 && WEXITSTATUS(st) <= 123) {
		printf("# child setup failed at step %d\n", WEXITSTATUS(st));
		return -1;
	} else {
		res->o = O_ALLOWED; /* refined by the caller: errno may come from the filter */
		res->err = WEXITSTATUS(st);
	}
	return 0;
}

static const char *outcome_str(const struct result *r, char *buf, size_t len)
{
	switch (r->o) {
	case O_ALLOWED: snprintf(buf, len, "returned errno %d", r->err); break;
	case O_KILLED: snprintf(buf, len, "killed by signal %d", r->sig); break;
	case O_NOTIFIED: snprintf(buf, len, "notified (nr %d)", r->nr); break;
	default: snprintf(buf, len, "other"); break;
	}
	return buf;
}

/* The base every case needs: exiting. */
#define BASE "exit_group\n"

enum expect { E_ALLOW, E_ERRNO, E_KILL, E_NOTIFY };

/* want_err: for E_ALLOW the errno the kernel gives (EBADF for fd -1, 0 for success), for
 * E_ERRNO the filter's errno. */
static void check(const char *name, const char *policy_text, long nr, const uint64_t a[6], enum expect e, int want_err)
{
	char text[2048];
	snprintf(text, sizeof(text), "%s%s\n", BASE, policy_text);
	struct sbx_policy *p = must_parse(text);
	if (!p) {
		tap_ok(false, "%s", name);
		return;
	}
	struct call c = { nr, { 0 } };
	memcpy(c.a, a, sizeof(c.a));
	struct result r;
	if (run_under(p, SBX_COMPILE_ENFORCE, do_syscall, &c, &r) < 0) {
		tap_ok(false, "%s (could not run)", name);
		sbx_policy_free(p);
		return;
	}
	bool ok;
	switch (e) {
	case E_ALLOW:
	case E_ERRNO: ok = r.o == O_ALLOWED && r.err == want_err; break;
	case E_KILL: ok = r.o == O_KILLED && r.sig == SIGSYS; break;
	default: ok = r.o == O_NOTIFIED && r.nr == nr; break;
	}
	char ob[64];
	if (!tap_ok(ok, "%s", name))
		printf("#   got: %s\n", outcome_str(&r, ob, sizeof(ob)));
	sbx_policy_free(p);
}

#define A(...) ((const uint64_t[6]){ __VA_ARGS__ })
#define BADFD ((uint64_t)-1)
#define HI(x) ((uint64_t)(x) | 0x100000000ull)

static void test_operators(void)
{
	/* fchdir(int fd): a 32-bit argument. fd 999, 1000 ... are not open: EBADF when allowed. */
	check("== allows the value", "fchdir: arg0 == 999", SYS_fchdir, A(999), E_ALLOW, EBADF);
	check("== refuses another value", "fchdir: arg0 == 999", SYS_fchdir, A(998), E_NOTIFY, 0);
	check("!= allows another value", "fchdir: arg0 != 999", SYS_fchdir, A(998), E_ALLOW, EBADF);
	check("!= refuses the value", "fchdir: arg0 != 999", SYS_fchdir, A(999), E_NOTIFY, 0);
	check("< allows below", "fchdir: arg0 < 1000", SYS_fchdir, A(999), E_ALLOW, EBADF);
	check("< refuses equal", "fchdir: arg0 < 1000", SYS_fchdir, A(1000), E_NOTIFY, 0);
	check("<= allows equal", "fchdir: arg0 <= 1000", SYS_fchdir, A(1000), E_ALLOW, EBADF);
	check("<= refuses above", "fchdir: arg0 <= 1000", SYS_fchdir, A(1001), E_NOTIFY, 0);
	check("> allows above", "fchdir: arg0 > 1000", SYS_fchdir, A(1001), E_ALLOW, EBADF);
	check("> refuses equal", "fchdir: arg0 > 1000", SYS_fchdir, A(1000), E_NOTIFY, 0);
	check(">= allows equal", "fchdir: arg0 >= 1000", SYS_fchdir, A(1000), E_ALLOW, EBADF);
	check(">= refuses below", "fchdir: arg0 >= 1000", SYS_fchdir, A(999), E_NOTIFY, 0);
	check("masked == allows matching bits", "fchdir: arg0 & 0xf0 == 0x30", SYS_fchdir, A(0x235), E_ALLOW, EBADF);
	check("masked == refuses other bits", "fchdir: arg0 & 0xf0 == 0x30", SYS_fchdir, A(0x245), E_NOTIFY, 0);
	check("masked != allows", "fchdir: arg0 & 1 != 0", SYS_fchdir, A(1001), E_ALLOW, EBADF);
	check("masked != refuses", "fchdir: arg0 & 1 != 0", SYS_fchdir, A(1000), E_NOTIFY, 0);
	check("in {} allows a listed value", "fchdir: arg0 in {500, 700}", SYS_fchdir, A(700), E_ALLOW, EBADF);
	check("in {} refuses an unlisted value", "fchdir: arg0 in {500, 700}", SYS_fchdir, A(600), E_NOTIFY, 0);
	check("|| allows the second alternative", "fchdir: arg0 == 500 || arg0 == 900", SYS_fchdir, A(900), E_ALLOW, EBADF);
	check("&& range allows inside", "fchdir: arg0 >= 500 && arg0 <= 600", SYS_fchdir, A(555), E_ALLOW, EBADF);
	check("&& range refuses outside", "fchdir: arg0 >= 500 && arg0 <= 600", SYS_fchdir, A(601), E_NOTIFY, 0);
	check("negative constant on an int", "fchdir: arg0 == -1", SYS_fchdir, A(BADFD), E_ALLOW, EBADF);
	check("&& across arguments", "lseek: arg0 == -1 && arg2 == SEEK_CUR", SYS_lseek, A(BADFD, 0, SEEK_CUR), E_ALLOW, EBADF);
	check("&& across arguments refuses", "lseek: arg0 == -1 && arg2 == SEEK_CUR", SYS_lseek, A(BADFD, 0, SEEK_SET), E_NOTIFY, 0);

	/* lseek(int fd, off_t offset, ...): arg1 is 64 bits wide and compared on all of them. */
	check("64-bit == ", "lseek: arg1 == 0x100000000", SYS_lseek, A(BADFD, 0x100000000ull), E_ALLOW, EBADF);
	check("64-bit == refuses the low half alone", "lseek: arg1 == 0x100000000", SYS_lseek, A(BADFD, 0), E_NOTIFY, 0);
	check("64-bit <", "lseek: arg1 < 4096", SYS_lseek, A(BADFD, 100), E_ALLOW, EBADF);
	check("64-bit < refuses high bits", "lseek: arg1 < 4096", SYS_lseek, A(BADFD, HI(100)), E_NOTIFY, 0);
	check("64-bit >=", "lseek: arg1 >= 0x100000000", SYS_lseek, A(BADFD, 0x200000000ull), E_ALLOW, EBADF);
	check("64-bit !=", "lseek: arg1 != 7", SYS_lseek, A(BADFD, HI(7)), E_ALLOW, EBADF);
	check("64-bit masked", "lseek: arg1 & 0xff00000000 == 0x1200000000", SYS_lseek, A(BADFD, 0x1200000055ull), E_ALLOW, EBADF);
}

static void test_high_bits(void)
{
	/* CVE-2019-10063: the kernel reads ioctl's request as 32 bits. */
	check("ioctl == TIOCGWINSZ matches with high bits set (the kernel sees TIOCGWINSZ)",
	      "ioctl: arg1 == TIOCGWINSZ", SYS_ioctl, A(BADFD, HI(TIOCGWINSZ)), E_ALLOW, EBADF);
	check("ioctl != TIOCSTI does not let TIOCSTI|1<<32 through", "ioctl: arg1 != TIOCSTI", SYS_ioctl,
	      A(BADFD, HI(TIOCSTI)), E_NOTIFY, 0);
	check("ioctl TIOCSTI errno rule catches TIOCSTI|1<<32",
	      "ioctl: arg1 == TIOCSTI -> errno EXFULL\nioctl: arg1 != TIOCSTI", SYS_ioctl, A(BADFD, HI(TIOCSTI)),
	      E_ERRNO, EXFULL);
	check("ioctl in {} with high bits on another request", "ioctl: arg1 in {TCGETS, FIONREAD}", SYS_ioctl,
	      A(BADFD, HI(TIOCSTI)), E_NOTIFY, 0);
	check("int > with high bits: fd 5 | 1<<32 is not > 1000", "fchdir: arg0 > 1000", SYS_fchdir, A(HI(5)), E_NOTIFY, 0);
	check("int >= with high bits", "fchdir: arg0 >= 1000", SYS_fchdir, A(HI(5)), E_NOTIFY, 0);
	check("int != with high bits", "fchdir: arg0 != 5", SYS_fchdir, A(HI(5)), E_NOTIFY, 0);
	check("socket family with high bits caught by the errno rule", "socket: arg0 == AF_INET -> errno EXFULL\n"
	      "socket: arg0 == AF_UNIX", SYS_socket, A(HI(AF_INET), SOCK_STREAM, 0), E_ERRNO, EXFULL);
}

static void test_actions(void)
{
	check("unlisted call goes to the broker (NOTIFY)", "read", SYS_fchdir, A(999), E_NOTIFY, 0);
	check("allow", "fchdir", SYS_fchdir, A(999), E_ALLOW, EBADF);
	check("errno EACCES on socket", "socket: errno EACCES", SYS_socket, A(AF_INET, SOCK_STREAM, 0), E_ERRNO, EACCES);
	check("errno with a condition", "socket: arg0 == AF_INET -> errno EXFULL\nsocket: arg0 == AF_UNIX",
	      SYS_socket, A(AF_INET, SOCK_STREAM, 0), E_ERRNO, EXFULL);
	check("conditional allow next to an errno rule", "socket: arg0 == AF_INET -> errno EXFULL\nsocket: arg0 == AF_UNIX",
	      SYS_socket, A(AF_UNIX, SOCK_STREAM, 0), E_ALLOW, 0);
	check("log lets the call through", "fchdir: log", SYS_fchdir, A(999), E_ALLOW, EBADF);
	check("kill kills the process with SIGSYS", "fchdir: kill", SYS_fchdir, A(999), E_KILL, 0);
	check("kill with a condition", "fchdir: arg0 == 999 -> kill\nfchdir: arg0 != 999", SYS_fchdir, A(999), E_KILL, 0);
	check("clone3 fails with ENOSYS unless allowed", "read", SYS_clone3, A(0, 0), E_ERRNO, ENOSYS);
	check("clone3 allowed explicitly", "clone3", SYS_clone3, A(0, 0), E_ALLOW, EINVAL);
	check("exec none: execve goes to the broker", "exec none", SYS_execve, A(0, 0, 0), E_NOTIFY, 0);
	check("exec allow: execve runs", "exec allow", SYS_execve, A(0, 0, 0), E_ALLOW, EFAULT);
	check("no exec line: execveat runs", "read", SYS_execveat, A(BADFD, 0, 0, 0, 0), E_ALLOW, EFAULT);
	check("sendmsg only on the launch fd", "read", SYS_sendmsg, A(1, 0, 0), E_NOTIFY, 0);
#ifdef SYS_poll
	check("group: @io-event", "@io-event", SYS_poll, A(0, 0, 0), E_ALLOW, 0);
#else /* aarch64: ppoll only */
	check("group: @io-event", "@io-event", SYS_eventfd2, A(0, O_CLOEXEC), E_ALLOW, 0);
#endif
}

static void test_arch_and_learn(void)
{
	struct sbx_policy *p = must_parse(BASE "getpid\n");
	struct result r;
#if defined(__x86_64__)
	if (run_under(p, SBX_COMPILE_ENFORCE, do_int80_getpid, NULL, &r) == 0) {
		if (r.o == O_KILLED && r.sig == SIGSEGV)
			tap_skip("i386 int 0x80: the kernel has no IA32 emulation");
		else
			tap_ok(r.o == O_KILLED && r.sig == SIGSYS, "i386 int 0x80 getpid is killed (foreign ABI)");
	} else {
		tap_ok(false, "i386 int 0x80 (could not run)");
	}
	struct call x32 = { 39 | 0x40000000, { 0 } }; /* x32 getpid */
	if (run_under(p, SBX_COMPILE_ENFORCE, do_syscall, &x32, &r) == 0)
		tap_ok(r.o == O_KILLED && r.sig == SIGSYS, "x32 getpid is killed (foreign ABI)");
	else
		tap_ok(false, "x32 (could not run)");
#else
	tap_skip("i386 int 0x80: not x86_64");
	tap_skip("x32: not x86_64");
#endif
	struct call gp = { SYS_getpid, { 0 } };
	if (run_under(p, SBX_COMPILE_ENFORCE, do_syscall, &gp, &r) == 0)
		tap_ok(r.o == O_ALLOWED && r.err == 0, "native getpid allowed");
	if (run_under(p, SBX_COMPILE_LEARN, do_syscall, &gp, &r) == 0)
		tap_ok(r.o == O_NOTIFIED && r.nr == SYS_getpid, "learn mode: an allowed call goes to the broker");
	/* The broker's message for a blocked call. */
	struct call sock = { SYS_socket, { AF_INET, SOCK_DGRAM, 0 } };
	if (run_under(p, SBX_COMPILE_ENFORCE, do_syscall, &sock, &r) == 0 && r.o == O_NOTIFIED) {
		char call[256], sug[256];
		sbx_policy_describe_call(p, seccomp_arch_native(), r.nr, r.args, call, sizeof(call), sug, sizeof(sug));
		tap_ok(strcmp(call, "socket(AF_INET, SOCK_DGRAM, 0)") == 0 && strcmp(sug, "socket: arg0 == AF_INET") == 0,
		       "describe a real notification: %s -> %s", call, sug);
		/* ... and the suggested line makes the same call pass. */
		char text[512];
		snprintf(text, sizeof(text), "%sgetpid\n%s\n", BASE, sug);
		struct sbx_policy *q = must_parse(text);
		if (q && run_under(q, SBX_COMPILE_ENFORCE, do_syscall, &sock, &r) == 0)
			tap_ok(r.o == O_ALLOWED && r.err == 0, "the suggested line allows the call");
		else
			tap_ok(false, "the suggested line allows the call");
		sbx_policy_free(q);
	} else {
		tap_ok(false, "socket is notified");
	}
	sbx_policy_free(p);
}

struct shell_arg {
	const char *cmd;
};

static long do_shell(void *arg)
{
	struct shell_arg *s = arg;
	char *const argv[] = { (char *)"sh", (char *)"-c", (char *)s->cmd, NULL };
	char *const envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };
	return execve("/bin/sh", argv, envp);
}

static void test_default_policy_runs(void)
{
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	if (sbx_policy_default(&p, &d) < 0) {
		tap_ok(false, "default policy loads");
		return;
	}
	static const char *const cmds[][2] = {
		{ "a pipeline", "echo hello | tr a-z A-Z | wc -c >/dev/null" },
		{ "ls, cat, sort, head", "ls -la / >/dev/null && cat /etc/passwd | sort | head -n 2 >/dev/null" },
		{ "date, test, sleep", "x=$(date +%s) && test -n \"$x\" && sleep 0.01" },
		{ "mktemp, grep, rm", "t=$(mktemp) && printf 'a\\nb\\n' >\"$t\" && grep -c b \"$t\" >/dev/null && rm -f \"$t\"" },
		{ "python socket() gets EACCES",
		  "command -v python3 >/dev/null || exit 0; python3 -c 'import socket\ntry:\n socket.socket()\n"
		  "except PermissionError: raise SystemExit(0)\nraise SystemExit(3)'" },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct shell_arg s = { cmds[i][1] };
		struct result r;
		if (run_under(p, SBX_COMPILE_ENFORCE, do_shell, &s, &r) < 0) {
			tap_ok(false, "default policy runs: %s (could not run)", cmds[i][0]);
			continue;
		}
		bool ok = r.o == O_ALLOWED && r.err == 0;
		if (!tap_ok(ok, "default policy runs: %s", cmds[i][0]) && r.o == O_NOTIFIED) {
			char call[256], sug[256];
			sbx_policy_describe_call(p, seccomp_arch_native(), r.nr, r.args, call, sizeof(call), sug, sizeof(sug));
			printf("#   blocked %s; add: %s\n", call, sug);
		}
	}
	sbx_policy_free(p);
}

int main(void)
{
	/* Probe: can this kernel and this process load a filter with a listener? */
	struct sbx_policy *p = must_parse(BASE "getpid\n");
	struct call gp = { SYS_getpid, { 0 } };
	struct result r;
	if (!p || run_under(p, SBX_COMPILE_ENFORCE, do_syscall, &gp, &r) < 0) {
		tap_skip("cannot load a seccomp filter with a user-notification listener here");
		sbx_policy_free(p);
		return tap_done();
	}
	sbx_policy_free(p);
	test_operators();
	test_high_bits();
	test_actions();
	test_arch_and_learn();
	test_default_policy_runs();
	return tap_done();
}
