/* SPDX-License-Identifier: MIT */
/* Policy data: system call groups, named constants, argument formats. Groups are modelled on
 * systemd's (src/shared/seccomp-util.c) but never contain calls that reach outside a sandbox
 * (namespaces, mounts, module loading, ptrace): a group is something a user adds without
 * reading it, so it must not carry an escape. Names that do not exist on the running
 * architecture are skipped, so one table serves x86_64 and aarch64. */
#include "policy-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"

/* ---- Groups ---- */

#define M(...) (const char *const[]){ __VA_ARGS__, NULL }

const struct sbx_group sbx_groups[] = {
	{ "@basic-io", "reading and writing open descriptors",
	  M("_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv",
	    "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev") },
	{ "@file-system", "opening, inspecting and changing files by path",
	  M("access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate",
	    "fchdir", "fchmod", "fchmodat", "fcntl", "fcntl64", "fgetxattr", "flistxattr", "fstat",
	    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat",
	    "getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init",
	    "inotify_init1", "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr",
	    "llistxattr", "lstat", "lstat64", "mkdir", "mkdirat", "newfstatat", "open", "openat",
	    "openat2", "readlink", "readlinkat", "rename", "renameat", "renameat2", "rmdir", "stat",
	    "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "truncate", "truncate64",
	    "umask", "unlink", "unlinkat", "utime", "utimensat", "utimes") },
	{ "@io-event", "waiting for descriptors",
	  M("_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
	    "epoll_wait", "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select") },
	{ "@memory", "mapping and managing the process's own memory",
	  M("brk", "madvise", "membarrier", "mincore", "mlock", "mlock2", "mmap", "mmap2", "mprotect",
	    "mremap", "msync", "munlock", "munmap") },
	{ "@process", "creating, waiting for and signalling processes (no namespaces, no exec)",
	  M("clone", "exit", "exit_group", "fork", "getpgid", "getpgrp", "getpid", "getppid",
	    "getrusage", "getsid", "gettid", "kill", "pidfd_open", "pidfd_send_signal", "prctl",
	    "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setpgid", "setsid", "tgkill", "times", "tkill",
	    "vfork", "wait4", "waitid", "waitpid") },
	{ "@signal", "handling signals",
	  M("restart_syscall", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigreturn",
	    "rt_sigsuspend", "rt_sigtimedwait", "sigaction", "sigaltstack", "signal", "signalfd",
	    "signalfd4", "sigpending", "sigprocmask", "sigreturn", "sigsuspend") },
	{ "@time", "reading clocks, sleeping and timers (never setting the clock)",
	  M("alarm", "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer", "gettimeofday",
	    "nanosleep", "pause", "setitimer", "time", "timer_create", "timer_delete",
	    "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime",
	    "timerfd_settime") },
	{ "@network-io", "sockets: creating, connecting, sending and receiving",
	  M("accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	    "listen", "recv", "recvfrom", "recvmmsg", "recvmsg", "send", "sendmmsg", "sendmsg",
	    "sendto", "setsockopt", "shutdown", "socket", "socketcall", "socketpair") },
	{ "@sync", "flushing files to storage",
	  M("fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs") },
	{ "@pipe", "pipes and moving data between descriptors",
	  M("copy_file_range", "pipe", "pipe2", "sendfile", "sendfile64", "splice", "tee", "vmsplice") },
	{ "@credentials", "reading (not changing) user and group ids",
	  M("capget", "getegid", "geteuid", "getgid", "getgroups", "getresgid", "getresuid", "getuid") },
	{ "@system-info", "facts about the system and the process's limits",
	  M("getcpu", "getrlimit", "prlimit64", "sched_getaffinity", "sched_getparam",
	    "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "sysinfo",
	    "ugetrlimit", "uname") },
	/* sbx's own: what the dynamic loader and libc do before main(), so a policy can say what
	 * the program does rather than what its runtime needs. */
	{ "@startup", "dynamic loader and libc start-up (ld.so, static binaries, threads)",
	  M("access", "arch_prctl", "brk", "close", "exit", "exit_group", "faccessat", "fstat",
	    "futex", "getrandom", "mmap", "mprotect", "munmap", "newfstatat", "open", "openat",
	    "pread64", "prlimit64", "read", "readlink", "rseq", "rt_sigaction", "rt_sigprocmask",
	    "rt_sigreturn", "sched_getaffinity", "set_robust_list", "set_tid_address", "statx",
	    "uname") },
	{ "@threads", "threads and their synchronisation",
	  M("clone", "futex", "futex_waitv", "get_robust_list", "gettid", "membarrier", "rseq",
	    "sched_yield", "set_robust_list", "set_tid_address", "tgkill") },
	{ NULL, NULL, NULL },
};

const struct sbx_group *sbx_group_find(const char *name)
{
	for (const struct sbx_group *g = sbx_groups; g->name; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* ---- Constants ---- */

#define C(k, x) { #x, (uint64_t)(x), SBX_K_##k }

const struct sbx_const sbx_consts[] = {
	C(PROT, PROT_NONE), C(PROT, PROT_READ), C(PROT, PROT_WRITE), C(PROT, PROT_EXEC),
	C(PROT, PROT_GROWSDOWN), C(PROT, PROT_GROWSUP),
	C(MAP, MAP_SHARED), C(MAP, MAP_PRIVATE), C(MAP, MAP_SHARED_VALIDATE), C(MAP, MAP_FIXED),
	C(MAP, MAP_ANONYMOUS), C(MAP, MAP_GROWSDOWN), C(MAP, MAP_DENYWRITE), C(MAP, MAP_EXECUTABLE),
	C(MAP, MAP_LOCKED), C(MAP, MAP_NORESERVE), C(MAP, MAP_POPULATE), C(MAP, MAP_NONBLOCK),
	C(MAP, MAP_STACK), C(MAP, MAP_HUGETLB), C(MAP, MAP_FIXED_NOREPLACE),
	C(OPEN, O_RDONLY), C(OPEN, O_WRONLY), C(OPEN, O_RDWR), C(OPEN, O_ACCMODE), C(OPEN, O_CREAT),
	C(OPEN, O_EXCL), C(OPEN, O_NOCTTY), C(OPEN, O_TRUNC), C(OPEN, O_APPEND), C(OPEN, O_NONBLOCK),
	C(OPEN, O_DSYNC), C(OPEN, O_ASYNC), C(OPEN, O_DIRECT), C(OPEN, O_LARGEFILE),
	C(OPEN, O_DIRECTORY), C(OPEN, O_NOFOLLOW), C(OPEN, O_NOATIME), C(OPEN, O_CLOEXEC),
	C(OPEN, O_SYNC), C(OPEN, O_PATH), C(OPEN, O_TMPFILE),
	C(AF, AF_UNSPEC), C(AF, AF_UNIX), C(AF, AF_INET), C(AF, AF_INET6), C(AF, AF_NETLINK),
	C(AF, AF_PACKET), C(AF, AF_BLUETOOTH), C(AF, AF_ALG), C(AF, AF_VSOCK), C(AF, AF_CAN),
	C(AF, AF_KEY), C(AF, AF_XDP), C(AF, AF_TIPC), C(AF, AF_RDS), C(AF, AF_X25), C(AF, AF_AX25),
	C(AF, AF_APPLETALK), C(AF, AF_NFC), C(AF, AF_QIPCRTR), C(AF, AF_SMC), C(AF, AF_MCTP),
	C(AF, AF_LOCAL),
	C(SOCKTYPE, SOCK_STREAM), C(SOCKTYPE, SOCK_DGRAM), C(SOCKTYPE, SOCK_RAW),
	C(SOCKTYPE, SOCK_RDM), C(SOCKTYPE, SOCK_SEQPACKET), C(SOCKTYPE, SOCK_PACKET),
	C(SOCKFLAG, SOCK_NONBLOCK), C(SOCKFLAG, SOCK_CLOEXEC),
	/* ioctl requests: terminals, generic descriptors, network interfaces, files */
	C(IOCTL, TCGETS), C(IOCTL, TCSETS), C(IOCTL, TCSETSW), C(IOCTL, TCSETSF), C(IOCTL, TCGETA),
	C(IOCTL, TCSETA), C(IOCTL, TCSETAW), C(IOCTL, TCSETAF), C(IOCTL, TCSBRK), C(IOCTL, TCSBRKP),
	C(IOCTL, TCXONC), C(IOCTL, TCFLSH), C(IOCTL, TIOCEXCL), C(IOCTL, TIOCNXCL),
	C(IOCTL, TIOCSCTTY), C(IOCTL, TIOCGPGRP), C(IOCTL, TIOCSPGRP), C(IOCTL, TIOCOUTQ),
	C(IOCTL, TIOCSTI), C(IOCTL, TIOCGWINSZ), C(IOCTL, TIOCSWINSZ), C(IOCTL, TIOCMGET),
	C(IOCTL, TIOCMBIS), C(IOCTL, TIOCMBIC), C(IOCTL, TIOCMSET), C(IOCTL, TIOCGSOFTCAR),
	C(IOCTL, TIOCSSOFTCAR), C(IOCTL, FIONREAD), C(IOCTL, TIOCLINUX), C(IOCTL, TIOCCONS),
	C(IOCTL, TIOCGSERIAL), C(IOCTL, TIOCSSERIAL), C(IOCTL, TIOCPKT), C(IOCTL, FIONBIO),
	C(IOCTL, TIOCNOTTY), C(IOCTL, TIOCSETD), C(IOCTL, TIOCGETD), C(IOCTL, TIOCSBRK),
	C(IOCTL, TIOCCBRK), C(IOCTL, TIOCGSID), C(IOCTL, TIOCGPTN), C(IOCTL, TIOCSPTLCK),
	C(IOCTL, TIOCGDEV), C(IOCTL, TIOCSIG), C(IOCTL, TIOCVHANGUP), C(IOCTL, TIOCGPKT),
	C(IOCTL, TIOCGPTLCK), C(IOCTL, TIOCGEXCL), C(IOCTL, TIOCGPTPEER), C(IOCTL, FIONCLEX),
	C(IOCTL, FIOCLEX), C(IOCTL, FIOASYNC), C(IOCTL, FIOQSIZE), C(IOCTL, TIOCGLCKTRMIOS),
	C(IOCTL, TIOCSLCKTRMIOS), C(IOCTL, FIOSETOWN), C(IOCTL, FIOGETOWN),
	C(IOCTL, SIOCGPGRP), C(IOCTL, SIOCATMARK), C(IOCTL, SIOCGIFNAME), C(IOCTL, SIOCGIFCONF),
	C(IOCTL, SIOCGIFFLAGS), C(IOCTL, SIOCSIFFLAGS), C(IOCTL, SIOCGIFADDR), C(IOCTL, SIOCGIFMTU),
	C(IOCTL, SIOCGIFHWADDR), C(IOCTL, SIOCGIFINDEX), C(IOCTL, SIOCGIFNETMASK),
	C(IOCTL, SIOCGIFBRDADDR), C(IOCTL, SIOCETHTOOL), C(IOCTL, SIOCOUTQ), C(IOCTL, SIOCINQ),
	C(IOCTL, FIGETBSZ), C(IOCTL, FIBMAP), C(IOCTL, FS_IOC_GETFLAGS), C(IOCTL, FS_IOC_SETFLAGS),
	C(IOCTL, FICLONE), C(IOCTL, FICLONERANGE), C(IOCTL, FIDEDUPERANGE), C(IOCTL, BLKGETSIZE64),
	C(IOCTL, BLKSSZGET),
	C(FCNTL, F_DUPFD), C(FCNTL, F_GETFD), C(FCNTL, F_SETFD), C(FCNTL, F_GETFL), C(FCNTL, F_SETFL),
	C(FCNTL, F_GETLK), C(FCNTL, F_SETLK), C(FCNTL, F_SETLKW), C(FCNTL, F_SETOWN),
	C(FCNTL, F_GETOWN), C(FCNTL, F_SETSIG), C(FCNTL, F_GETSIG), C(FCNTL, F_OFD_GETLK),
	C(FCNTL, F_OFD_SETLK), C(FCNTL, F_OFD_SETLKW), C(FCNTL, F_DUPFD_CLOEXEC),
	C(FCNTL, F_SETPIPE_SZ), C(FCNTL, F_GETPIPE_SZ), C(FCNTL, F_ADD_SEALS), C(FCNTL, F_GET_SEALS),
	C(FCNTL, F_SETLEASE), C(FCNTL, F_GETLEASE), C(FCNTL, F_NOTIFY),
	C(MISC, FD_CLOEXEC),
	C(PRCTL, PR_SET_PDEATHSIG), C(PRCTL, PR_GET_PDEATHSIG), C(PRCTL, PR_GET_DUMPABLE),
	C(PRCTL, PR_SET_DUMPABLE), C(PRCTL, PR_SET_NAME), C(PRCTL, PR_GET_NAME),
	C(PRCTL, PR_GET_SECCOMP), C(PRCTL, PR_SET_SECCOMP), C(PRCTL, PR_CAPBSET_READ),
	C(PRCTL, PR_CAPBSET_DROP), C(PRCTL, PR_SET_NO_NEW_PRIVS), C(PRCTL, PR_GET_NO_NEW_PRIVS),
	C(PRCTL, PR_SET_TIMERSLACK), C(PRCTL, PR_GET_TIMERSLACK), C(PRCTL, PR_SET_MM),
	C(PRCTL, PR_SET_PTRACER), C(PRCTL, PR_SET_CHILD_SUBREAPER), C(PRCTL, PR_GET_CHILD_SUBREAPER),
	C(PRCTL, PR_SET_VMA), C(PRCTL, PR_GET_TID_ADDRESS), C(PRCTL, PR_SET_THP_DISABLE),
	C(PRCTL, PR_GET_THP_DISABLE), C(PRCTL, PR_CAP_AMBIENT), C(PRCTL, PR_SET_KEEPCAPS),
	C(PRCTL, PR_GET_KEEPCAPS), C(PRCTL, PR_SET_SECUREBITS), C(PRCTL, PR_GET_SECUREBITS),
	C(CLONE, CLONE_VM), C(CLONE, CLONE_FS), C(CLONE, CLONE_FILES), C(CLONE, CLONE_SIGHAND),
	C(CLONE, CLONE_PIDFD), C(CLONE, CLONE_PTRACE), C(CLONE, CLONE_VFORK), C(CLONE, CLONE_PARENT),
	C(CLONE, CLONE_THREAD), C(CLONE, CLONE_NEWNS), C(CLONE, CLONE_SYSVSEM), C(CLONE, CLONE_SETTLS),
	C(CLONE, CLONE_PARENT_SETTID), C(CLONE, CLONE_CHILD_CLEARTID), C(CLONE, CLONE_DETACHED),
	C(CLONE, CLONE_UNTRACED), C(CLONE, CLONE_CHILD_SETTID), C(CLONE, CLONE_NEWCGROUP),
	C(CLONE, CLONE_NEWUTS), C(CLONE, CLONE_NEWIPC), C(CLONE, CLONE_NEWUSER), C(CLONE, CLONE_NEWPID),
	C(CLONE, CLONE_NEWNET), C(CLONE, CLONE_IO),
	C(AT, AT_FDCWD), C(MISC, AT_EMPTY_PATH), C(MISC, AT_SYMLINK_NOFOLLOW), C(MISC, AT_REMOVEDIR),
	C(MISC, AT_SYMLINK_FOLLOW), C(MISC, AT_EACCESS),
	C(MISC, SOL_SOCKET), C(MISC, SO_REUSEADDR), C(MISC, SO_RCVBUF), C(MISC, SO_SNDBUF),
	C(MISC, SO_KEEPALIVE), C(MISC, SO_ERROR), C(MISC, SO_TYPE), C(MISC, SO_PEERCRED),
	C(MISC, MADV_NORMAL), C(MISC, MADV_RANDOM), C(MISC, MADV_SEQUENTIAL), C(MISC, MADV_WILLNEED),
	C(MISC, MADV_DONTNEED), C(MISC, MADV_FREE), C(MISC, MADV_HUGEPAGE), C(MISC, MADV_NOHUGEPAGE),
	C(MISC, MADV_DONTFORK), C(MISC, MADV_DOFORK),
	C(MISC, STDIN_FILENO), C(MISC, STDOUT_FILENO), C(MISC, STDERR_FILENO),
	C(MISC, SEEK_SET), C(MISC, SEEK_CUR), C(MISC, SEEK_END),
};
const size_t sbx_n_consts = SBX_ARRAY_SIZE(sbx_consts);

int sbx_errno_lookup(const char *name)
{
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -1;
}

const char *sbx_errno_name(int e)
{
	return e > 0 ? strerrorname_np(e) : NULL;
}

static int signal_lookup(const char *name)
{
	if (strncmp(name, "SIG", 3) != 0)
		return -1;
	for (int s = 1; s < NSIG; s++) {
		const char *n = sigabbrev_np(s);
		if (n && strcmp(n, name + 3) == 0)
			return s;
	}
	return -1;
}

int sbx_const_lookup(const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < sbx_n_consts; i++)
		if (strcmp(sbx_consts[i].name, name) == 0) {
			*ret = sbx_consts[i].value;
			return 0;
		}
	int v = signal_lookup(name);
	if (v < 0 && name[0] == 'E')
		v = sbx_errno_lookup(name);
	if (v < 0)
		return -ENOENT;
	*ret = (uint64_t)v;
	return 0;
}

const char *sbx_const_name(uint8_t kind, uint64_t value)
{
	for (size_t i = 0; i < sbx_n_consts; i++)
		if (sbx_consts[i].kind == kind && sbx_consts[i].value == value)
			return sbx_consts[i].name;
	return NULL;
}

/* ---- Argument formats ---- */

struct sbx_argfmt {
	const char *name;
	const char *fmt;
};

static const struct sbx_argfmt argfmts[] = {
	{ "accept", "dpp" }, { "accept4", "dppi" }, { "access", "po" }, { "alarm", "i" },
	{ "bind", "dpi" }, { "brk", "p" }, { "chdir", "p" }, { "chmod", "po" }, { "chown", "pii" },
	{ "clock_gettime", "ip" }, { "clock_nanosleep", "iipp" }, { "clone", "Cppp" },
	{ "clone3", "pu" }, { "close", "d" }, { "close_range", "ddi" }, { "connect", "dpi" },
	{ "creat", "po" }, { "dup", "d" }, { "dup2", "dd" }, { "dup3", "ddO" },
	{ "epoll_create1", "i" }, { "epoll_ctl", "didp" }, { "epoll_pwait", "dpiipu" },
	{ "epoll_wait", "dpii" }, { "eventfd2", "ii" }, { "execve", "ppp" }, { "execveat", "Dpppi" },
	{ "exit", "i" }, { "exit_group", "i" }, { "faccessat", "Dpo" }, { "faccessat2", "Dpoi" },
	{ "fadvise64", "duui" }, { "fallocate", "diuu" }, { "fchdir", "d" }, { "fchmod", "do" },
	{ "fchmodat", "Dpo" }, { "fchown", "dii" }, { "fchownat", "Dpiii" }, { "fcntl", "dFx" },
	{ "fdatasync", "d" }, { "flock", "di" }, { "fstat", "dp" }, { "fstatfs", "dp" },
	{ "fsync", "d" }, { "ftruncate", "du" }, { "futex", "pixppi" }, { "getcwd", "pu" },
	{ "getdents64", "dpu" }, { "getpgid", "d" }, { "getpeername", "dpp" }, { "getrandom", "pui" },
	{ "getsockname", "dpp" }, { "getsockopt", "diipp" }, { "ioctl", "dIx" }, { "kill", "dS" },
	{ "lseek", "dxi" }, { "lstat", "pp" }, { "madvise", "pui" }, { "memfd_create", "pi" },
	{ "mkdir", "po" }, { "mkdirat", "Dpo" }, { "mmap", "puPMdx" }, { "mprotect", "puP" },
	{ "mremap", "puuxp" }, { "munmap", "pu" }, { "nanosleep", "pp" }, { "newfstatat", "Dppi" },
	{ "open", "pOo" }, { "openat", "DpOo" }, { "openat2", "Dppu" }, { "pipe2", "pO" },
	{ "poll", "pui" }, { "ppoll", "puppu" }, { "prctl", "Rxxxx" }, { "pread64", "dpux" },
	{ "prlimit64", "dipp" }, { "pwrite64", "dpux" }, { "read", "dpu" }, { "readlink", "ppu" },
	{ "readlinkat", "Dppu" }, { "readv", "dpi" }, { "recvfrom", "dpuipp" }, { "recvmsg", "dpi" },
	{ "rename", "pp" }, { "renameat", "DpDp" }, { "renameat2", "DpDpi" }, { "rmdir", "p" },
	{ "rt_sigaction", "Sppu" }, { "rt_sigprocmask", "ippu" }, { "sendmsg", "dpi" },
	{ "sendto", "dpuipi" }, { "setpgid", "dd" }, { "setsockopt", "diipi" }, { "shutdown", "di" },
	{ "socket", "ATi" }, { "socketpair", "ATip" }, { "stat", "pp" }, { "statfs", "pp" },
	{ "statx", "Dpiip" }, { "symlink", "pp" }, { "symlinkat", "pDp" }, { "tgkill", "ddS" },
	{ "tkill", "dS" }, { "truncate", "pu" }, { "umask", "o" }, { "unlink", "p" },
	{ "unlinkat", "Dpi" }, { "utimensat", "Dppi" }, { "wait4", "dpip" }, { "waitid", "idpip" },
	{ "write", "dpu" }, { "writev", "dpi" },
	{ "bpf", "ipu" }, { "personality", "x" }, { "ptrace", "iddp" }, { "setns", "di" },
	{ "unshare", "C" }, { "userfaultfd", "i" }, { "mount", "pppxp" }, { "umount2", "pi" },
	{ "io_uring_setup", "up" }, { "perf_event_open", "pddi" },
};

const char *sbx_syscall_args(const char *name)
{
	for (size_t i = 0; i < SBX_ARRAY_SIZE(argfmts); i++)
		if (strcmp(argfmts[i].name, name) == 0)
			return argfmts[i].fmt;
	return NULL;
}

/* How many arguments the other calls take (the n of the kernel's SYSCALL_DEFINEn), so that a
 * blocked call is shown with its own arguments and no others. One space-separated list per
 * count. The calls the kernel does not implement (tuxcall, vserver ...) are not listed. */
static const char *const nargs_lists[7] = {
	[0] = " fork getegid geteuid getgid getpgrp getpid getppid gettid getuid inotify_init munlockall"
		" pause restart_syscall rt_sigreturn sched_yield setsid sync vfork vhangup ",
	[1] = " _sysctl acct adjtimex chroot epoll_create eventfd get_thread_area getsid inotify_init1"
		" io_destroy iopl memfd_secret mlockall mq_unlink pipe pkey_free sched_get_priority_max"
		" sched_get_priority_min sched_getscheduler set_thread_area set_tid_address setfsgid"
		" setfsuid setgid setuid shmdt swapoff syncfs sysinfo time timer_delete timer_getoverrun"
		" times uname uselib ",
	[2] = " arch_prctl capget capset clock_adjtime clock_getres clock_settime create_module"
		" delete_module fanotify_init fremovexattr fsopen getgroups getitimer getpriority"
		" getrlimit getrusage gettimeofday inotify_rm_watch io_setup ioprio_get"
		" landlock_restrict_self link listen lremovexattr mlock mq_notify msgget munlock"
		" pidfd_open pivot_root pkey_alloc process_mrelease removexattr rt_sigpending"
		" rt_sigsuspend sched_getparam sched_rr_get_interval sched_setparam set_robust_list"
		" setdomainname setgroups sethostname setregid setreuid setrlimit settimeofday sigaltstack"
		" swapon timer_gettime timerfd_create timerfd_gettime ustat utime utimes ",
	[3] = " finit_module flistxattr fsmount fspick futimesat get_robust_list getcpu getdents"
		" getresgid getresuid init_module inotify_add_watch io_cancel io_submit ioperm ioprio_set"
		" landlock_create_ruleset lchown listxattr llistxattr lookup_dcookie map_shadow_stack"
		" membarrier mincore mknod mlock2 modify_ldt mq_getsetattr msgctl msync open_by_handle_at"
		" open_tree pidfd_getfd readahead rt_sigqueueinfo sched_getaffinity sched_setaffinity"
		" sched_setattr sched_setscheduler seccomp semget semop set_mempolicy setitimer setresgid"
		" setpriority setresuid shmat shmctl shmget signalfd sysfs syslog timer_create ",
	[4] = " cachestat fchmodat2 fgetxattr futex_requeue futex_wake getxattr io_uring_register"
		" kexec_load landlock_add_rule lgetxattr migrate_pages mknodat mq_open msgsnd"
		" pidfd_send_signal pkey_mprotect quotactl quotactl_fd reboot request_key rseq"
		" rt_sigtimedwait rt_tgsigqueueinfo sched_getattr semctl semtimedop sendfile sendmmsg"
		" set_mempolicy_home_node signalfd4 sync_file_range tee timer_settime timerfd_settime"
		" vmsplice ",
	[5] = " add_key fanotify_mark fsconfig fsetxattr futex_waitv get_mempolicy io_getevents kcmp"
		" kexec_file_load keyctl linkat lsetxattr mount_setattr move_mount mq_timedreceive"
		" mq_timedsend msgrcv name_to_handle_at preadv process_madvise pwritev recvmmsg"
		" remap_file_pages select setxattr ",
	[6] = " copy_file_range epoll_pwait2 futex_wait io_pgetevents io_uring_enter mbind move_pages"
		" preadv2 process_vm_readv process_vm_writev pselect6 pwritev2 splice ",

};

int sbx_syscall_nargs(const char *name)
{
	const char *fmt = sbx_syscall_args(name);
	if (fmt)
		return (int)strlen(fmt);
	char key[72];
	if ((size_t)snprintf(key, sizeof(key), " %s ", name) >= sizeof(key))
		return -1;
	for (int n = 0; n < (int)SBX_ARRAY_SIZE(nargs_lists); n++)
		if (strstr(nargs_lists[n], key))
			return n;
	return -1;
}

bool sbx_arg_is_int(const char *syscall, unsigned arg)
{
	const char *fmt = sbx_syscall_args(syscall);
	if (!fmt || arg >= strlen(fmt))
		return false;
	return strchr("dDioATIOFRS", fmt[arg]) != NULL;
}

/* ---- Names and suggestions ---- */

int sbx_syscall_lookup(const char *name, bool *known_elsewhere)
{
	*known_elsewhere = false;
	int nr = seccomp_syscall_resolve_name(name);
	/* libseccomp returns negative pseudo numbers for calls this architecture lacks. */
	if (nr >= 0)
		return nr;
	static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, SCMP_ARCH_X86,
					   SCMP_ARCH_ARM, SCMP_ARCH_RISCV64, SCMP_ARCH_PPC64LE,
					   SCMP_ARCH_S390X };
	for (size_t i = 0; i < SBX_ARRAY_SIZE(arches); i++)
		if (seccomp_syscall_resolve_name_arch(arches[i], name) >= 0)
			*known_elsewhere = true;
	return -1;
}

/* Optimal string alignment distance: insertions, deletions, substitutions and transpositions
 * of neighbours each cost one, so "opne" is one step from "open". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return SIZE_MAX;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

struct suggest_state {
	const char *word;
	const char *best;
	size_t best_d;
};

static void suggest_try(struct suggest_state *s, const char *cand)
{
	if (!cand)
		return;
	size_t d = edit_distance(s->word, cand);
	if (d < s->best_d) {
		s->best_d = d;
		s->best = cand;
	}
}

static const char *suggest_result(const struct suggest_state *s)
{
	/* Close enough to be a typo: a third of the word, at least one edit. */
	size_t limit = strlen(s->word) / 3;
	if (limit < 1)
		limit = 1;
	return s->best_d <= limit ? s->best : NULL;
}

/* The names are stable strings for the life of the process: libseccomp returns copies, so
 * keep one table of them, built once on first use. Policies are parsed in any thread (sbx.h):
 * pthread_once makes the first two parses wait for one table rather than race to build it. */
static char *syscall_names[1024];

static void load_syscall_names(void)
{
	for (int nr = 0; nr < (int)SBX_ARRAY_SIZE(syscall_names); nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

const char *sbx_suggest_syscall(const char *word)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	(void)pthread_once(&once, load_syscall_names);
	struct suggest_state s = { word, NULL, SIZE_MAX };
	for (size_t nr = 0; nr < SBX_ARRAY_SIZE(syscall_names); nr++)
		suggest_try(&s, syscall_names[nr]);
	return suggest_result(&s);
}

const char *sbx_suggest_const(const char *word)
{
	struct suggest_state s = { word, NULL, SIZE_MAX };
	for (size_t i = 0; i < sbx_n_consts; i++)
		suggest_try(&s, sbx_consts[i].name);
	return suggest_result(&s);
}

const char *sbx_suggest_group(const char *word)
{
	struct suggest_state s = { word, NULL, SIZE_MAX };
	for (const struct sbx_group *g = sbx_groups; g->name; g++)
		suggest_try(&s, g->name);
	return suggest_result(&s);
}

const char *sbx_suggest(const char *word, const char *const *extra)
{
	struct suggest_state s = { word, NULL, SIZE_MAX };
	for (; extra && *extra; extra++)
		suggest_try(&s, *extra);
	return suggest_result(&s);
}
