/* SPDX-License-Identifier: MIT */
/* probe attack NAME [ARG...]: the escape suite's attacks (tests/test-escape.sh, docs/security.md).
 *
 * Each makes one real attempt, harmless when it succeeds (outside a sandbox the suite runs each
 * once as a control: it must report BROKEN there), and reports with probe.c's verdicts:
 *   "probe attack: HELD"    exit 0: the attempt failed (the errno is printed)
 *   "probe attack: BROKEN"  exit 1: the attempt succeeded
 *   exit 3: the probe could not try (e.g. the kernel lacks the call).
 * A seccomp kill (exit 159) is the suite's to judge. Arguments that name host objects (a pid, an
 * address, a port) come from the suite, which also judges the attack from the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <linux/tiocl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../probe.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* The verdict of a single call: it returned r (errno set when negative). */
static int verdict(const char *what, long r)
{
	if (r < 0) {
		/* ENOSYS too: the attack failed (a control that gets it shows it cannot work here). */
		printf("%s: %s\n", what, strerror(errno));
		return held();
	}
	printf("%s: succeeded (%ld)\n", what, r);
	return broken("%s succeeded", what);
}

static bool parse_long(const char *s, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(s, &end, 0);
	return s[0] && !*end && !errno;
}

/* ---- identity ---- */

/* euid: run after an exec of a setuid-root copy of the probe: root must not be gained. */
static int a_euid(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("uid: %d euid: %d egid: %d\n", (int)getuid(), (int)geteuid(), (int)getegid());
	if (geteuid() == 0 || getegid() == 0)
		return broken("the exec gained root");
	return held();
}

/* ---- processes ---- */

/* kill PID: SIGKILL to a host process (a canary the suite watches). */
static int a_kill(int argc, char **argv)
{
	long pid;

	if (argc != 2 || !parse_long(argv[1], &pid) || pid <= 1)
		return usage_error("PID (> 1)");
	return verdict("kill(PID, SIGKILL)", kill((pid_t)pid, SIGKILL));
}

/* ptrace PID: attach to a host process. */
static int a_ptrace(int argc, char **argv)
{
	long pid, r;

	if (argc != 2 || !parse_long(argv[1], &pid) || pid <= 1)
		return usage_error("PID (> 1)");
	printf("calling ptrace(PTRACE_SEIZE)\n");
	r = syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, (pid_t)pid, NULL, NULL);
	if (r == 0)
		syscall(SYS_ptrace, 17 /* PTRACE_DETACH */, (pid_t)pid, NULL, NULL);
	return verdict("ptrace(PTRACE_SEIZE, PID)", r);
}

/* vmread PID ADDR: read one byte of a host process's memory. */
static int a_vmread(int argc, char **argv)
{
	long pid, addr;
	char byte;
	struct iovec local = { &byte, 1 }, remote;

	if (argc != 3 || !parse_long(argv[1], &pid) || !parse_long(argv[2], &addr))
		return usage_error("PID ADDR");
	remote.iov_base = (void *)addr;
	remote.iov_len = 1;
	printf("calling process_vm_readv\n");
	return verdict("process_vm_readv(PID)", syscall(SYS_process_vm_readv, (pid_t)pid, &local, 1UL,
							&remote, 1UL, 0UL));
}

/* proc PID MARKER: the host's /proc: a host process's command line must not be readable. */
static int a_proc(int argc, char **argv)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	if (argc != 3)
		return usage_error("PID MARKER");
	snprintf(path, sizeof(path), "/proc/%s/cmdline", argv[1]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return held();
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && memmem(buf, (size_t)n, argv[2], strlen(argv[2])))
		return broken("read the host process's command line through %s", path);
	printf("%s: another process (%zd bytes, no marker)\n", path, n);
	return held();
}

/* signal-broker PID: SIGKILL and SIGSTOP to the broker (the host pid the suite passes), then to
 * our init; we must still be here under the same init. */
static int a_signal_broker(int argc, char **argv)
{
	static const int sigs[] = { SIGSTOP, SIGKILL };
	long pid;
	int reached = 0;

	if (argc != 2 || !parse_long(argv[1], &pid) || pid <= 1)
		return usage_error("BROKER-PID");
	for (size_t i = 0; i < 2; i++) {
		if (kill((pid_t)pid, sigs[i]) == 0) {
			printf("kill(broker, %d): delivered\n", sigs[i]);
			reached++;
		} else {
			printf("kill(broker, %d): %s\n", sigs[i], strerror(errno));
		}
		/* The kernel drops SIGKILL and SIGSTOP sent to a pid namespace's init from inside.
		 * Outside a fresh pid namespace (the suite's control) pid 1 is the host's init. */
		if (getpid() <= 10)
			printf("kill(1, %d): %s\n", sigs[i], kill(1, sigs[i]) == 0 ? "sent" : strerror(errno));
	}
	/* An init that took the signal would have taken us with it, or stopped reaping. */
	if (getpid() <= 10 && getppid() != 1)
		return broken("our init is gone");
	if (reached)
		return broken("%d signals reached the broker", reached);
	return held();
}

/* ---- the file system ---- */

/* open PATH r|w: only open (never read or write: /proc/kmsg would consume the log and
 * /proc/sysrq-trigger act on a byte). */
static int a_open(int argc, char **argv)
{
	int fd, flags = O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	if (argc != 3 || (strcmp(argv[2], "r") && strcmp(argv[2], "w")))
		return usage_error("PATH r|w");
	flags |= argv[2][0] == 'w' ? O_WRONLY : O_RDONLY;
	fd = open(argv[1], flags);
	if (fd >= 0)
		close(fd);
	return verdict(argv[2][0] == 'w' ? "open for writing" : "open for reading", fd);
}

/* handle PATH: name_to_handle_at, then open_by_handle_at (the "shocker" escape: a handle is
 * opened without a path, past every mount, with CAP_DAC_READ_SEARCH of the host). */
static int a_handle(int argc, char **argv)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mount_id, mfd, fd;

	if (argc != 2)
		return usage_error("PATH");
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	printf("calling name_to_handle_at\n");
	if (name_to_handle_at(AT_FDCWD, argv[1], &h.fh, &mount_id, 0) < 0)
		return verdict("name_to_handle_at", -1);
	mfd = open(argv[1], O_PATH | O_CLOEXEC);
	if (mfd < 0)
		return cannot("open %s: %s", argv[1], strerror(errno));
	printf("calling open_by_handle_at\n");
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	close(mfd);
	if (fd >= 0)
		close(fd);
	return verdict("open_by_handle_at", fd);
}

/* plant PATH SECONDS [MARKER]: write PATH, then stay (the victim of one sandbox against another). */
static int a_plant(int argc, char **argv)
{
	struct timespec ts = { 0, 0 };
	long secs;
	int fd;

	if (argc < 3 || !parse_long(argv[2], &secs))
		return usage_error("PATH SECONDS [MARKER]");
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "planted\n", 8) != 8)
		return cannot("%s: %s", argv[1], strerror(errno));
	close(fd);
	printf("ready\n");
	fflush(stdout);
	ts.tv_sec = secs;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/* hold [MARKER]: say "ready" and read stdin until EOF: read and write are all it needs, so it
 * runs under every policy while the suite looks at it from the host. */
static int a_hold(int argc, char **argv)
{
	char buf[64];

	(void)argc, (void)argv;
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return held();
}

/* ---- the network ---- */

/* tcp PORT: connect to a host listener on 127.0.0.1. */
static int a_tcp(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	long port;
	int s;

	if (argc != 2 || !parse_long(argv[1], &port) || port < 1 || port > 65535)
		return usage_error("PORT");
	printf("calling socket(AF_INET)\n");
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return verdict("socket(AF_INET)", -1);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return verdict("connect(127.0.0.1)", connect(s, (struct sockaddr *)&sin, sizeof(sin)));
}

/* abstract NAME: connect to a host's abstract unix socket. */
static int a_abstract(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int s;

	if (argc != 2 || (len = strlen(argv[1])) + 1 >= sizeof(sun.sun_path))
		return usage_error("NAME");
	memcpy(sun.sun_path + 1, argv[1], len);
	printf("calling socket(AF_UNIX)\n");
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return verdict("socket(AF_UNIX)", -1);
	return verdict("connect(@NAME)", connect(s, (struct sockaddr *)&sun,
						 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)));
}

/* packet: a raw packet socket (sniffing and injecting on the host's interfaces). */
static int a_packet(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling socket(AF_PACKET)\n");
	return verdict("socket(AF_PACKET, SOCK_RAW)", socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
							     htons(ETH_P_ALL)));
}

/* netlink: dump the links rtnetlink shows; any but lo means a namespace not our own. */
static int a_netlink(int argc, char **argv)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = { .nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		  .ifi = { .ifi_family = AF_UNSPEC } };
	static char buf[65536];
	int s, others = 0;
	bool done = false;

	(void)argc, (void)argv;
	printf("calling socket(AF_NETLINK)\n");
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return verdict("socket(AF_NETLINK)", -1);
	if (send(s, &req, sizeof(req), 0) < 0)
		return verdict("send(RTM_GETLINK)", -1);
	while (!done) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n <= 0)
			return cannot("recv: %s", n < 0 ? strerror(errno) : "EOF");
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(nh);
			int len = (int)IFLA_PAYLOAD(nh);

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				if (a->rta_type != IFLA_IFNAME)
					continue;
				printf("link: %s\n", (char *)RTA_DATA(a));
				others += strcmp(RTA_DATA(a), "lo") != 0;
			}
		}
	}
	close(s);
	if (others)
		return broken("%d links of another network namespace", others);
	return held();
}

/* ---- the kernel's surface ---- */

static int a_io_uring(int argc, char **argv)
{
	struct io_uring_params p = { 0 };

	(void)argc, (void)argv;
	printf("calling io_uring_setup\n");
	return verdict("io_uring_setup", syscall(SYS_io_uring_setup, 2, &p));
}

static int a_bpf(int argc, char **argv)
{
	union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
				.max_entries = 1 };

	(void)argc, (void)argv;
	printf("calling bpf(BPF_MAP_CREATE)\n");
	return verdict("bpf(BPF_MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static int a_perf(int argc, char **argv)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
					.config = PERF_COUNT_SW_TASK_CLOCK, .disabled = 1,
					.exclude_kernel = 1, .exclude_hv = 1 };

	(void)argc, (void)argv;
	printf("calling perf_event_open\n");
	return verdict("perf_event_open(self)", syscall(SYS_perf_event_open, &attr, 0, -1, -1,
							 (unsigned long)PERF_FLAG_FD_CLOEXEC));
}

static int a_userfaultfd(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling userfaultfd\n");
	return verdict("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
}

/* keyctl: a key in our own process keyring (gone with us). */
static int a_keyctl(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling add_key\n");
	return verdict("add_key(user, process keyring)",
		       syscall(SYS_add_key, "user", "sbx-probe", "x", 1UL,
			       (long)KEY_SPEC_PROCESS_KEYRING));
}

/* kexec, module: calls that only root of the host may make. The arguments are invalid, so a
 * call that passes the permission check fails with EINVAL or EFAULT: that is the success. */
static int past_permission(const char *what, long r)
{
	if (r < 0 && (errno == EPERM || errno == EACCES))
		return verdict(what, r);
	if (r < 0 && errno == ENOSYS)
		return verdict(what, r);
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "succeeded");
	return broken("%s passed the permission check", what);
}

static int a_kexec(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling kexec_load\n");
	return past_permission("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL));
}

static int a_module(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling init_module\n");
	return past_permission("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
}

/* personality: READ_IMPLIES_EXEC turns every readable mapping executable. */
static int a_personality(int argc, char **argv)
{
	long r;

	(void)argc, (void)argv;
	printf("calling personality(READ_IMPLIES_EXEC)\n");
	r = syscall(SYS_personality, (unsigned long)READ_IMPLIES_EXEC);
	if (r < 0)
		return verdict("personality", r);
	r = syscall(SYS_personality, 0xffffffffUL);
	printf("personality: 0x%lx\n", r);
	if (r >= 0 && (r & READ_IMPLIES_EXEC))
		return broken("READ_IMPLIES_EXEC set");
	return held();
}

/* wx: memory writable and executable, directly and through mprotect. */
static int a_wx(int argc, char **argv)
{
	void *p;

	(void)argc, (void)argv;
	printf("calling mmap(PROT_READ|PROT_WRITE|PROT_EXEC)\n");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		return broken("mmap gave W+X memory");
	printf("mmap W+X: %s\n", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return cannot("mmap: %s", strerror(errno));
	printf("calling mprotect(PROT_READ|PROT_WRITE|PROT_EXEC)\n");
	return verdict("mprotect W+X", mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
}

/* ---- filter bypasses on a terminal (fd 0 a pseudo-terminal: tests/pty-run.py) ---- */

/* tiocsti-high: TIOCSTI with bits above 32 set: the kernel ignores them (the command is an
 * unsigned int), a filter comparing 64 bits must not take it for another command. */
static int a_tiocsti_high(int argc, char **argv)
{
	static const char inject[] = "echo SBX-INJECTED\n";
	unsigned long cmd = (1UL << 32) | TIOCSTI;
	int injected = 0;

	(void)argc, (void)argv;
	if (!isatty(0))
		return cannot("fd 0 is not a terminal");
	printf("calling ioctl(0, 1<<32 | TIOCSTI)\n");
	fflush(stdout);
	for (size_t i = 0; i < sizeof(inject) - 1; i++)
		if (syscall(SYS_ioctl, 0, cmd, &inject[i]) == 0)
			injected++;
		else if (i == 0)
			printf("TIOCSTI|1<<32: %s\n", strerror(errno));
	if (injected)
		return broken("injected %d bytes", injected);
	return held();
}

/* tioclinux: TIOCLINUX paste-selection pushes the console's selection into the input. */
static int a_tioclinux(int argc, char **argv)
{
	char sub = TIOCL_PASTESEL;

	(void)argc, (void)argv;
	if (!isatty(0))
		return cannot("fd 0 is not a terminal");
	printf("calling ioctl(0, TIOCLINUX, TIOCL_PASTESEL)\n");
	fflush(stdout);
	return verdict("TIOCLINUX", ioctl(0, TIOCLINUX, &sub));
}

/* ---- leaks ---- */

/* fd-read N: an fd of the caller's must not be there to read. */
static int a_fd_read(int argc, char **argv)
{
	char buf[64];
	long fd;

	if (argc != 2 || !parse_long(argv[1], &fd))
		return usage_error("FD");
	return verdict("read(FD)", read((int)fd, buf, sizeof(buf)));
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} attacks[] = {
	{ "euid", a_euid },
	{ "kill", a_kill },
	{ "ptrace", a_ptrace },
	{ "vmread", a_vmread },
	{ "proc", a_proc },
	{ "signal-broker", a_signal_broker },
	{ "open", a_open },
	{ "handle", a_handle },
	{ "plant", a_plant },
	{ "hold", a_hold },
	{ "tcp", a_tcp },
	{ "abstract", a_abstract },
	{ "packet", a_packet },
	{ "netlink", a_netlink },
	{ "io_uring", a_io_uring },
	{ "bpf", a_bpf },
	{ "perf", a_perf },
	{ "userfaultfd", a_userfaultfd },
	{ "keyctl", a_keyctl },
	{ "kexec", a_kexec },
	{ "module", a_module },
	{ "personality", a_personality },
	{ "wx", a_wx },
	{ "tiocsti-high", a_tiocsti_high },
	{ "tioclinux", a_tioclinux },
	{ "fd-read", a_fd_read },
};

int cmd_attack(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
			printf("%s\n", attacks[i].name);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(attacks) / sizeof(attacks[0]); i++)
		if (strcmp(argv[1], attacks[i].name) == 0)
			return attacks[i].fn(argc - 1, argv + 1);
	return usage_error("NAME [ARG...] (probe attack list)");
}
