/* SPDX-License-Identifier: MIT */
/* probe: runs inside the sandbox and checks one promise of sbx per subcommand, or tries what an
 * attacker would. Linked against libc only, so the sandbox's /usr is all it needs.
 *
 * Output is machine-checkable: detail lines "key: value", then one verdict line
 *   "probe NAME: HELD"  or  "probe NAME: BROKEN: reason".
 * Exit status:
 *   check subcommands (caps, uid, ...):   0 the promise held, 1 it was broken
 *   action subcommands (read, write, ls): 0 the action succeeded, 1 it failed
 *   2 usage error, 3 the probe itself could not run the check (e.g. /proc missing)
 * Subcommands that make a call the seccomp layer must kill print "calling NAME" first; when
 * the call returns instead, they report BROKEN and exit 1.
 *
 * Run it outside the sandbox once to see each check report the broken promise.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

extern char **environ;

static const char *probe_name = "?";

int held(void)
{
	printf("probe %s: HELD\n", probe_name);
	fflush(stdout);
	return 0;
}

int broken(const char *fmt, ...)
{
	va_list ap;

	printf("probe %s: BROKEN: ", probe_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return 1;
}

int cannot(const char *fmt, ...)
{
	va_list ap;

	printf("probe %s: ERROR: ", probe_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return 3;
}

int usage_error(const char *usage)
{
	fprintf(stderr, "usage: probe %s %s\n", probe_name, usage);
	return 2;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1024ULL * 1024 * 1024, end++;
	if (*end)
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*ret = v * mult;
	return true;
}

/* Reads "Key:\tvalue" from a /proc status file. Returns false when the key is absent. */
static bool status_field(const char *file, const char *key, char *buf, size_t size)
{
	FILE *f = fopen(file, "re");
	char line[512];
	size_t klen = strlen(key);
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(buf, size, "%s", v);
			buf[strcspn(buf, "\n")] = '\0';
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static char *read_file(const char *path, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len_ret)
		*len_ret = len;
	return buf;
}

/* ---- credentials and privileges ---- */

static int cmd_caps(int argc, char **argv)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	int bad = 0;

	(void)argc, (void)argv;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char v[64];

		if (!status_field("/proc/self/status", keys[i], v, sizeof(v)))
			return cannot("no %s in /proc/self/status", keys[i]);
		printf("%s: %s\n", keys[i], v);
		if (strtoull(v, NULL, 16) != 0)
			bad++;
	}
	/* Also ask the kernel directly: the bounding set through prctl. */
	for (int cap = 0; cap <= 63; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;
		if (r == 1) {
			printf("bounding set has capability %d\n", cap);
			bad++;
		}
	}
	if (bad)
		return broken("%d capability sets or bits not empty", bad);
	return held();
}

static int cmd_securebits(int argc, char **argv)
{
	static const struct {
		int bit;
		const char *name;
	} want[] = {
		{ SECBIT_NOROOT_LOCKED, "SECBIT_NOROOT_LOCKED" },
		{ SECBIT_NO_SETUID_FIXUP_LOCKED, "SECBIT_NO_SETUID_FIXUP_LOCKED" },
		{ SECBIT_KEEP_CAPS_LOCKED, "SECBIT_KEEP_CAPS_LOCKED" },
		{ SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, "SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED" },
	};
	int bits, missing = 0;

	(void)argc, (void)argv;
	bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits < 0)
		return cannot("PR_GET_SECUREBITS: %s", strerror(errno));
	printf("securebits: 0x%x\n", (unsigned)bits);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!(bits & want[i].bit)) {
			printf("missing: %s\n", want[i].name);
			missing++;
		}
	}
	if (missing)
		return broken("%d *_LOCKED securebits not set", missing);
	return held();
}

static int cmd_nnp(int argc, char **argv)
{
	char v[32];
	int r;

	(void)argc, (void)argv;
	r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	printf("PR_GET_NO_NEW_PRIVS: %d\n", r);
	if (!status_field("/proc/self/status", "NoNewPrivs", v, sizeof(v)))
		return cannot("no NoNewPrivs in /proc/self/status");
	printf("NoNewPrivs: %s\n", v);
	if (r != 1 || strcmp(v, "1") != 0)
		return broken("no_new_privs is not set");
	return held();
}

/* probe seccomp-mode [EXPECTED]: EXPECTED defaults to 2 (filter). */
static int cmd_seccomp_mode(int argc, char **argv)
{
	const char *want = argc > 1 ? argv[1] : "2";
	char v[32];

	if (!status_field("/proc/self/status", "Seccomp", v, sizeof(v)))
		return cannot("no Seccomp in /proc/self/status");
	printf("Seccomp: %s\n", v);
	if (strcmp(v, want) != 0)
		return broken("seccomp mode %s, expected %s", v, want);
	return held();
}

/* probe uid [EXPECTED_UID]: the process is not root, all its ids agree, and uid_map is a
 * single line mapping the uid to the same host uid with a range of 1. */
static int cmd_uid(int argc, char **argv)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	char *map;
	unsigned long inside, outside, count;
	int n, consumed = 0;
	uint64_t want = 0;
	bool have_want = argc > 1;

	if (have_want && !parse_u64(argv[1], &want))
		return usage_error("[EXPECTED_UID]");
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return cannot("getresuid: %s", strerror(errno));
	printf("uid: %u %u %u\n", r, e, s);
	printf("gid: %u %u %u\n", rg, eg, sg);
	map = read_file("/proc/self/uid_map", NULL);
	if (!map)
		return cannot("/proc/self/uid_map: %s", strerror(errno));
	printf("uid_map: %s", map);
	n = sscanf(map, " %lu %lu %lu %n", &inside, &outside, &count, &consumed);
	if (n != 3) {
		free(map);
		return broken("cannot parse uid_map");
	}
	if (map[consumed] != '\0') {
		free(map);
		return broken("uid_map has more than one line");
	}
	free(map);
	if (r != e || e != s)
		return broken("real, effective and saved uid differ");
	if (r == 0 || outside == 0)
		return broken("uid 0 inside or mapped to host uid 0");
	if (rg == 0 || eg == 0 || sg == 0)
		return broken("gid 0");
	if (inside != r || outside != r || count != 1)
		return broken("uid_map is not '%u %u 1'", r, r);
	if (have_want && r != want)
		return broken("uid %u, expected %" PRIu64, r, want);
	return held();
}

/* Trying to become root must fail. */
static int cmd_become_root(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (setresgid(0, 0, 0) == 0)
		return broken("setresgid(0, 0, 0) succeeded");
	printf("setresgid(0): %s\n", strerror(errno));
	if (setresuid(0, 0, 0) == 0)
		return broken("setresuid(0, 0, 0) succeeded");
	printf("setresuid(0): %s\n", strerror(errno));
	if (setgroups(0, NULL) == 0)
		printf("setgroups(0, NULL): succeeded\n");
	else
		printf("setgroups(0, NULL): %s\n", strerror(errno));
	return held();
}

/* ---- namespaces ---- */

static int cmd_hostname(int argc, char **argv)
{
	const char *want = argc > 1 ? argv[1] : "sbx";
	struct utsname u;

	if (uname(&u) < 0)
		return cannot("uname: %s", strerror(errno));
	printf("nodename: %s\n", u.nodename);
	if (strcmp(u.nodename, want) != 0)
		return broken("hostname is '%s', expected '%s'", u.nodename, want);
	return held();
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The program is pid 2, its parent is pid 1, and the pid namespace holds nothing else. */
static int cmd_pid1(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	int others = 0;
	bool have1 = false;

	(void)argc, (void)argv;
	printf("pid: %d\nppid: %d\n", (int)getpid(), (int)getppid());
	d = opendir("/proc");
	if (!d)
		return cannot("/proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		printf("process: %s %s\n", de->d_name, comm);
		if (strcmp(de->d_name, "1") == 0)
			have1 = true;
		else if (atoi(de->d_name) != getpid())
			others++;
	}
	closedir(d);
	if (getpid() != 2)
		return broken("the program is pid %d, not 2", (int)getpid());
	if (getppid() != 1)
		return broken("the parent is pid %d, not 1", (int)getppid());
	if (!have1)
		return broken("no pid 1 in /proc");
	if (others)
		return broken("%d other processes visible", others);
	return held();
}

/* Every cgroup path in /proc/self/cgroup is "/": the cgroup namespace hides the host tree. */
static int cmd_cgroupns(int argc, char **argv)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	int bad = 0;

	(void)argc, (void)argv;
	if (!f)
		return cannot("/proc/self/cgroup: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		line[strcspn(line, "\n")] = '\0';
		printf("cgroup: %s\n", line);
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || strcmp(p + 1, "/") != 0)
			bad++;
	}
	fclose(f);
	if (bad)
		return broken("%d cgroup paths are not '/'", bad);
	return held();
}

/* No System V IPC object of the host is visible. */
static int cmd_sysvipc(int argc, char **argv)
{
	static const char *const files[] = { "/proc/sysvipc/shm", "/proc/sysvipc/msg",
					     "/proc/sysvipc/sem" };
	int rows = 0;

	(void)argc, (void)argv;
	for (size_t i = 0; i < 3; i++) {
		FILE *f = fopen(files[i], "re");
		char line[512];
		int n = 0;

		if (!f)
			return cannot("%s: %s", files[i], strerror(errno));
		while (fgets(line, sizeof(line), f))
			if (n++ > 0) {
				printf("%s: %s", files[i], line);
				rows++;
			}
		fclose(f);
	}
	if (rows)
		return broken("%d System V IPC objects visible", rows);
	return held();
}

/* probe net [PORT [ABSTRACT_NAME]]: the network namespace is empty. Needs socket(), so run it
 * with --no-seccomp (with seccomp, socket() itself is killed).
 * - only "lo" in /proc/net/dev
 * - TCP connect to 127.0.0.1:PORT (a host listener) fails
 * - a UDP connect (no packet sent) to 192.0.2.1 finds no route
 * - connect to the abstract unix socket ABSTRACT_NAME (a host listener) fails */
static int cmd_net(int argc, char **argv)
{
	FILE *f;
	char line[512];
	int n = 0, bad = 0, s;
	uint64_t port = 0;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (argc > 1 && (!parse_u64(argv[1], &port) || port > 65535))
		return usage_error("[PORT [ABSTRACT_NAME]]");
	/* Every check runs even after one failed, so each broken promise is reported. */
	f = fopen("/proc/net/dev", "re");
	if (!f)
		return cannot("/proc/net/dev: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (n++ < 2)
			continue;
		if (sscanf(line, " %63[^:]:", name) == 1) {
			printf("interface: %s\n", name);
			if (strcmp(name, "lo") != 0) {
				printf("broken: interface %s\n", name);
				bad++;
			}
		}
	}
	fclose(f);

	if (port) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return cannot("socket: %s", strerror(errno));
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			printf("broken: connected to 127.0.0.1:%" PRIu64 "\n", port);
			bad++;
		} else {
			printf("tcp connect 127.0.0.1:%" PRIu64 ": %s\n", port, strerror(errno));
		}
		close(s);
	}

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return cannot("socket: %s", strerror(errno));
	sin.sin_port = htons(9);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	/* A UDP connect only looks up a route; nothing leaves the machine. */
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		printf("broken: found a route to 192.0.2.1\n");
		bad++;
	} else {
		printf("udp connect 192.0.2.1: %s\n", strerror(errno));
	}
	close(s);

	if (argc > 2) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		size_t len = strlen(argv[2]);

		if (len + 1 >= sizeof(sun.sun_path))
			return usage_error("[PORT [ABSTRACT_NAME]]");
		memcpy(sun.sun_path + 1, argv[2], len);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return cannot("socket(AF_UNIX): %s", strerror(errno));
		if (connect(s, (struct sockaddr *)&sun,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0) {
			printf("broken: connected to the abstract socket @%s\n", argv[2]);
			bad++;
		} else {
			printf("abstract connect @%s: %s\n", argv[2], strerror(errno));
		}
		close(s);
	}
	if (bad)
		return broken("%d ways out of the network namespace", bad);
	return held();
}

/* unshare(CLONE_NEWUSER) must fail (with seccomp it is killed). */
static int cmd_userns(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("calling unshare(CLONE_NEWUSER)\n");
	fflush(stdout);
	if (unshare(CLONE_NEWUSER) == 0)
		return broken("unshare(CLONE_NEWUSER) succeeded");
	printf("unshare(CLONE_NEWUSER): %s\n", strerror(errno));
	return held();
}

/* clone(CLONE_NEWUSER) must fail: a policy that allows clone() must not allow this. */
static int cmd_userns_clone(int argc, char **argv)
{
	long r;

	(void)argc, (void)argv;
	printf("calling clone(CLONE_NEWUSER)\n");
	fflush(stdout);
	r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, NULL, NULL, 0UL);
	if (r == 0)
		_exit(0);
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		return broken("clone(CLONE_NEWUSER) succeeded");
	}
	printf("clone(CLONE_NEWUSER): %s\n", strerror(errno));
	return held();
}

/* ---- the file system ---- */

/* probe mounts: lists visible mount points ("mount: POINT FSTYPE OPTIONS") and checks that
 * every one is nosuid, every one outside /dev is nodev, and the root is read-only. */
static int cmd_mounts(int argc, char **argv)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int not_nosuid = 0, not_nodev = 0;
	bool root_ro = false, saw_root = false;

	(void)argc, (void)argv;
	if (!f)
		return cannot("/proc/self/mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char point[1024], opts[512], rest[2048];
		char *sep, fstype[128] = "?", superopts[1024] = "";

		if (sscanf(line, "%*d %*d %*s %*s %1023s %511s %2047[^\n]", point, opts, rest) != 3)
			continue;
		/* Optional fields, then "- FSTYPE SOURCE SUPEROPTS". */
		sep = strncmp(rest, "- ", 2) == 0 ? rest : strstr(rest, " - ");
		if (sep)
			sscanf(sep, " - %127s %*s %1023s", fstype, superopts);
		printf("mount: %s %s %s\n", point, fstype, opts);
		/* Device nodes bound into /dev cannot be nodev; everything else can. */
		if (strncmp(point, "/dev/", 5) != 0 && !strstr(opts, "nodev")) {
			printf("not nodev: %s\n", point);
			not_nodev++;
		}
		if (strcmp(point, "/") == 0) {
			saw_root = true;
			root_ro = strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || !opts[2]);
		}
		if (!strstr(opts, "nosuid")) {
			printf("not nosuid: %s\n", point);
			not_nosuid++;
		}
	}
	fclose(f);
	if (!saw_root)
		return broken("no root mount in mountinfo");
	if (!root_ro)
		return broken("the root is not read-only");
	if (not_nosuid)
		return broken("%d mounts without nosuid", not_nosuid);
	if (not_nodev)
		return broken("%d mounts outside /dev without nodev", not_nodev);
	return held();
}

/* probe tmp [SIZE]: /tmp is a writable, empty tmpfs of SIZE bytes (default 64M), nosuid, nodev. */
static int cmd_tmp(int argc, char **argv)
{
	struct statfs sfs;
	struct statvfs svfs;
	uint64_t want = 64ULL << 20, size;
	DIR *d;
	struct dirent *de;
	int entries = 0, fd;

	if (argc > 1 && !parse_u64(argv[1], &want))
		return usage_error("[SIZE]");
	if (statfs("/tmp", &sfs) < 0 || statvfs("/tmp", &svfs) < 0)
		return broken("/tmp: %s", strerror(errno));
	size = (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize;
	printf("f_type: 0x%lx\nsize: %" PRIu64 "\nflags: 0x%lx\n", (unsigned long)sfs.f_type, size,
	       (unsigned long)svfs.f_flag);
	d = opendir("/tmp");
	if (!d)
		return broken("opendir /tmp: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			printf("entry: %s\n", de->d_name);
			entries++;
		}
	}
	closedir(d);
	if ((unsigned long)sfs.f_type != (unsigned long)TMPFS_MAGIC)
		return broken("/tmp is not a tmpfs");
	if (size != want)
		return broken("/tmp is %" PRIu64 " bytes, expected %" PRIu64, size, want);
	if (!(svfs.f_flag & ST_NOSUID) || !(svfs.f_flag & ST_NODEV))
		return broken("/tmp is not nosuid,nodev");
	if (entries)
		return broken("/tmp is not empty (%d entries)", entries);
	fd = open("/tmp/probe-tmp-check", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return broken("cannot create a file in /tmp: %s", strerror(errno));
	if (write(fd, "x", 1) != 1)
		return broken("cannot write to /tmp: %s", strerror(errno));
	close(fd);
	unlink("/tmp/probe-tmp-check");
	return held();
}

/* probe devices: /dev holds what the contract lists and the devices work. Prints "dev: NAME". */
static int cmd_devices(int argc, char **argv)
{
	static const char *const required[] = { "null", "zero", "full", "random", "urandom",
						"fd", "stdin", "stdout", "stderr", "shm" };
	static const char *const allowed[] = { "null", "zero", "full", "random", "urandom", "fd",
					       "stdin", "stdout", "stderr", "shm", "tty" };
	DIR *d = opendir("/dev");
	struct dirent *de;
	int extra = 0;
	char buf[16];
	int fd;

	(void)argc, (void)argv;
	if (!d)
		return broken("/dev: %s", strerror(errno));
	while ((de = readdir(d))) {
		bool ok = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		printf("dev: %s\n", de->d_name);
		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok |= strcmp(de->d_name, allowed[i]) == 0;
		if (!ok) {
			printf("unexpected: /dev/%s\n", de->d_name);
			extra++;
		}
	}
	closedir(d);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/dev/%s", required[i]);
		if (lstat(path, &st) < 0)
			return broken("%s missing: %s", path, strerror(errno));
	}
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return broken("/dev/null does not work: %s", strerror(errno));
	close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || buf[0] || buf[15])
		return broken("/dev/zero does not work: %s", strerror(errno));
	close(fd);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return broken("/dev/urandom does not work: %s", strerror(errno));
	close(fd);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return broken("/dev/full: %s", strerror(errno));
	if (write(fd, "x", 1) != -1 || errno != ENOSPC)
		return broken("/dev/full does not report ENOSPC");
	close(fd);
	if (extra)
		return broken("%d unexpected entries in /dev", extra);
	return held();
}

/* probe read PATH: open and read PATH; prints its first bytes. Action: 0 read, 1 failed. */
static int cmd_read(int argc, char **argv)
{
	int fd;
	char buf[4097];
	ssize_t n;

	if (argc != 2)
		return usage_error("PATH");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		printf("read %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		printf("read %s: failed: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	buf[n] = '\0';
	close(fd);
	printf("read %s: ok: %zd bytes\n", argv[1], n);
	fwrite(buf, 1, (size_t)n, stdout);
	if (n && buf[n - 1] != '\n')
		printf("\n");
	return 0;
}

/* probe write PATH [TEXT]: create or truncate PATH and write TEXT. Action: 0 written, 1 failed. */
static int cmd_write(int argc, char **argv)
{
	const char *text = argc > 2 ? argv[2] : "probe was here\n";
	int fd;

	if (argc < 2 || argc > 3)
		return usage_error("PATH [TEXT]");
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		printf("write %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("write %s: failed: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		printf("write %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("write %s: ok\n", argv[1]);
	return 0;
}

/* probe fopen PATH r|w [TEXT]: open PATH with stdio's fopen, as a parser opens its input or its
 * output (O_RDONLY, or O_WRONLY|O_CREAT|O_TRUNC), then print its first bytes or write TEXT.
 * Action: 0 done, 1 failed. */
static int cmd_fopen(int argc, char **argv)
{
	const char *text = argc > 3 ? argv[3] : "probe was here\n";
	char buf[4097];
	size_t n;
	FILE *f;

	if (argc < 3 || argc > 4 || (strcmp(argv[2], "r") != 0 && strcmp(argv[2], "w") != 0))
		return usage_error("PATH r|w [TEXT]");
	f = fopen(argv[1], argv[2]);
	if (!f) {
		printf("fopen %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argv[2][0] == 'w') {
		bool ok = fputs(text, f) >= 0;

		if (fclose(f) != 0 || !ok) {
			printf("fopen %s: write failed: %s\n", argv[1], strerror(errno));
			return 1;
		}
		printf("fopen %s: written\n", argv[1]);
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	printf("fopen %s: ok: %zu bytes\n", argv[1], n);
	fwrite(buf, 1, n, stdout);
	if (n && buf[n - 1] != '\n')
		printf("\n");
	return 0;
}

/* probe mkdir PATH: action. */
static int cmd_mkdir(int argc, char **argv)
{
	if (argc != 2)
		return usage_error("PATH");
	if (mkdir(argv[1], 0755) < 0) {
		printf("mkdir %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("mkdir %s: ok\n", argv[1]);
	rmdir(argv[1]);
	return 0;
}

/* probe ls DIR: prints "entry: NAME" for each entry. Action: 0 listed, 1 failed. */
static int cmd_ls(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;

	if (argc != 2)
		return usage_error("DIR");
	d = opendir(argv[1]);
	if (!d) {
		printf("ls %s: failed: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			printf("entry: %s\n", de->d_name);
	closedir(d);
	printf("ls %s: ok\n", argv[1]);
	return 0;
}

/* probe fill PATH: write to PATH until an error; prints the total. Check: HELD when the write
 * stopped with an error (ENOSPC or EFBIG) before MAX bytes (default 1G). */
static int cmd_fill(int argc, char **argv)
{
	static char chunk[1 << 20];
	uint64_t max = 1ULL << 30, total = 0;
	int fd;

	if (argc < 2 || argc > 3 || (argc == 3 && !parse_u64(argv[2], &max)))
		return usage_error("PATH [MAX]");
	signal(SIGXFSZ, SIG_IGN);
	memset(chunk, 'x', sizeof(chunk));
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cannot("%s: %s", argv[1], strerror(errno));
	while (total < max) {
		ssize_t n = write(fd, chunk, sizeof(chunk));

		if (n < 0) {
			int e = errno;

			printf("written: %" PRIu64 "\nerror: %s\n", total, strerror(e));
			close(fd);
			unlink(argv[1]);
			return held();
		}
		total += (uint64_t)n;
	}
	close(fd);
	unlink(argv[1]);
	printf("written: %" PRIu64 "\n", total);
	return broken("wrote %" PRIu64 " bytes without an error", total);
}

/* probe cwd: the working directory lies inside the sandbox's root (a cwd left outside the root
 * is a way back to the host through ".."). */
static int cmd_cwd(int argc, char **argv)
{
	char buf[PATH_MAX];
	struct stat root, up;
	char path[PATH_MAX] = ".";

	(void)argc, (void)argv;
	if (!getcwd(buf, sizeof(buf)))
		return broken("getcwd: %s", strerror(errno));
	printf("cwd: %s\n", buf);
	if (buf[0] != '/')
		return broken("the cwd is outside the root");
	/* Walking up from the cwd must end at our own root. */
	for (int i = 0; i < 64; i++)
		strncat(path, "/..", sizeof(path) - strlen(path) - 1);
	if (stat("/", &root) < 0 || stat(path, &up) < 0)
		return cannot("stat: %s", strerror(errno));
	if (root.st_dev != up.st_dev || root.st_ino != up.st_ino)
		return broken("'..' from the cwd leads to another root");
	return held();
}

/* ---- descriptors, environment, session ---- */

/* probe fds [ALLOWED...]: only 0, 1, 2 (and the listed fds) are open. */
static int cmd_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int extra = 0;

	if (!d)
		return cannot("/proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d))) {
		char path[300], target[PATH_MAX];
		ssize_t n;
		int fd;
		bool ok = false;

		if (!all_digits(de->d_name))
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("fd: %d %s\n", fd, target);
		ok = fd <= 2;
		for (int i = 1; i < argc; i++)
			ok |= atoi(argv[i]) == fd;
		if (!ok)
			extra++;
	}
	closedir(d);
	if (extra)
		return broken("%d unexpected open fds", extra);
	return held();
}

static bool env_allowed(const char *kv)
{
	static const char *const names[] = { "PATH=", "HOME=", "TERM=", "LANG=", "TZ=" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return true;
	return strncmp(kv, "LC_", 3) == 0;
}

/* probe env: the environment is PATH, HOME=/tmp and only TERM, LANG, LC_*, TZ besides. */
static int cmd_env(int argc, char **argv)
{
	bool path_ok = false, home_ok = false;
	int extra = 0;

	(void)argc, (void)argv;
	for (char **e = environ; e && *e; e++) {
		printf("env: %s\n", *e);
		if (!env_allowed(*e)) {
			printf("unexpected: %s\n", *e);
			extra++;
		}
		if (strcmp(*e, "PATH=/usr/local/bin:/usr/bin:/bin") == 0)
			path_ok = true;
		if (strcmp(*e, "HOME=/tmp") == 0)
			home_ok = true;
	}
	if (extra)
		return broken("%d unexpected environment variables", extra);
	if (!path_ok)
		return broken("PATH is not /usr/local/bin:/usr/bin:/bin");
	if (!home_ok)
		return broken("HOME is not /tmp");
	return held();
}

/* probe args ARG...: prints argv so the caller can see what arrived. */
static int cmd_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		printf("arg%d: %s\n", i, argv[i]);
	return 0;
}

/* probe tiocsti: the program has no controlling terminal, so a terminal on fd 0 cannot be used
 * to inject input into the caller's shell. Only TIOCSTI is an ioctl here (a policy that filters
 * ioctl by request may kill it; that is a pass too, judged by the caller). */
static int cmd_tiocsti(int argc, char **argv)
{
	static const char inject[] = "echo SBX-INJECTED\n";
	int fd, injected = 0;

	(void)argc, (void)argv;
	if (!isatty(0))
		return cannot("fd 0 is not a terminal");
	printf("getsid: %d\n", (int)getsid(0));
	/* /dev/tty opens only with a controlling terminal. */
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	printf("open /dev/tty: %s\n", fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
	printf("calling ioctl(0, TIOCSTI)\n");
	fflush(stdout);
	for (size_t i = 0; i < sizeof(inject) - 1; i++) {
		if (ioctl(0, TIOCSTI, &inject[i]) == 0)
			injected++;
		else if (i == 0)
			printf("TIOCSTI: %s\n", strerror(errno));
	}
	printf("injected: %d\n", injected);
	fflush(stdout);
	if (injected)
		return broken("TIOCSTI injected %d bytes", injected);
	if (fd >= 0)
		return broken("/dev/tty opens: a controlling terminal is attached");
	return held();
}

/* ---- attacks on the sandbox's init and the host ---- */

/* probe kill-all: kill(-1, SIGKILL). The caller checks that nothing outside died. */
static int cmd_kill_all(int argc, char **argv)
{
	int r;

	(void)argc, (void)argv;
	/* Outside a fresh pid namespace this would kill every process the caller may signal
	 * (as root: the machine). Only ever run it as a sandboxed program. */
	if (getpid() > 10)
		return cannot("refusing kill(-1) as pid %d: not in a fresh pid namespace", (int)getpid());
	r = kill(-1, SIGKILL);
	printf("kill(-1, SIGKILL): %s\n", r == 0 ? "ok" : strerror(errno));
	/* We are still alive (kill(-1) spares the caller); so is init or we would be gone. */
	return held();
}

/* probe peek-init [SECRET]: pid 1 (sbx's init) must not open a way out: its root and cwd are
 * the sandbox's, its fds cannot be opened, its environment does not hold SECRET. */
static int cmd_peek_init(int argc, char **argv)
{
	struct stat own, st;
	int bad = 0;
	char *env;
	size_t len;
	DIR *d;

	if (stat("/", &own) < 0)
		return cannot("stat /: %s", strerror(errno));
	if (stat("/proc/1/root/", &st) == 0) {
		printf("/proc/1/root: dev %u:%u ino %lu (own root %u:%u ino %lu)\n", major(st.st_dev),
		       minor(st.st_dev), (unsigned long)st.st_ino, major(own.st_dev), minor(own.st_dev),
		       (unsigned long)own.st_ino);
		if (st.st_dev != own.st_dev || st.st_ino != own.st_ino) {
			printf("escape: /proc/1/root is another root\n");
			bad++;
		}
	} else {
		printf("/proc/1/root: %s\n", strerror(errno));
	}
	if (stat("/proc/1/cwd/", &st) == 0) {
		char path[PATH_MAX];
		ssize_t n = readlink("/proc/1/cwd", path, sizeof(path) - 1);

		path[n < 0 ? 0 : n] = '\0';
		printf("/proc/1/cwd: %s\n", path);
	} else {
		printf("/proc/1/cwd: %s\n", strerror(errno));
	}
	env = read_file("/proc/1/environ", &len);
	if (env) {
		printf("/proc/1/environ: readable, %zu bytes\n", len);
		for (size_t i = 0; i < len; i++)
			if (env[i] == '\0')
				env[i] = '\n';
		if (argc > 1 && len && memmem(env, len, argv[1], strlen(argv[1]))) {
			printf("escape: /proc/1/environ holds %s\n", argv[1]);
			bad++;
		}
		free(env);
	} else {
		printf("/proc/1/environ: %s\n", strerror(errno));
	}
	d = opendir("/proc/1/fd");
	if (d) {
		struct dirent *de;

		while ((de = readdir(d))) {
			char path[300];
			int fd;

			if (!all_digits(de->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/1/fd/%s", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			printf("/proc/1/fd/%s: %s\n", de->d_name, fd < 0 ? strerror(errno) : "opened");
			if (fd >= 0) {
				char target[PATH_MAX];
				ssize_t n = readlink(path, target, sizeof(target) - 1);

				target[n < 0 ? 0 : n] = '\0';
				printf("escape: opened init's fd %s (%s)\n", de->d_name, target);
				bad++;
				close(fd);
			}
		}
		closedir(d);
	} else {
		printf("/proc/1/fd: %s\n", strerror(errno));
	}
	if (bad)
		return broken("%d ways into init", bad);
	return held();
}

/* probe ptrace-init: attaching to pid 1 must fail (with seccomp, ptrace is killed). */
static int cmd_ptrace_init(int argc, char **argv)
{
	long r;

	(void)argc, (void)argv;
	/* Never stop the host's init: only run as a sandboxed program. */
	if (getpid() > 10)
		return cannot("refusing to attach to pid 1 as pid %d: not in a fresh pid namespace",
			      (int)getpid());
	printf("calling ptrace(PTRACE_ATTACH, 1)\n");
	fflush(stdout);
	r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, NULL, NULL);
	if (r == 0) {
		syscall(SYS_ptrace, 17 /* PTRACE_DETACH */, 1, NULL, NULL);
		return broken("attached to pid 1");
	}
	printf("ptrace(PTRACE_ATTACH, 1): %s\n", strerror(errno));
	return held();
}

/* The privileged operation of "probe denied", run in a throwaway child: 0 when it succeeded. */
static int denied_op(const char *what, const char *dir)
{
	int r;

	if (strcmp(what, "mount") == 0) {
		r = mount("none", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k");
		if (r == 0)
			umount2(dir, MNT_DETACH);
	} else if (strcmp(what, "remount") == 0) {
		/* The root read-write again: a bind remount without MS_RDONLY. */
		r = mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL);
	} else if (strcmp(what, "chroot") == 0) {
		r = chroot(dir);
	} else if (strcmp(what, "mknod") == 0) {
		char path[64];

		snprintf(path, sizeof(path), "%s/null", dir);
		r = mknod(path, S_IFCHR | 0666, makedev(1, 3));
		if (r == 0)
			unlink(path);
	} else if (strcmp(what, "chown") == 0) {
		r = chown(dir, 0, 0);
	} else if (strcmp(what, "setns") == 0) {
		/* Re-entering one's own mount namespace needs CAP_SYS_ADMIN and CAP_SYS_CHROOT. */
		int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

		r = fd < 0 ? -1 : setns(fd, CLONE_NEWNS);
	} else if (strcmp(what, "sethostname") == 0) {
		/* Only in a process whose hostname we may spoil: refuse outside the sandbox. */
		struct utsname u;

		if (uname(&u) < 0 || strcmp(u.nodename, "sbx") != 0) {
			printf("refusing sethostname outside a sandbox named sbx\n");
			return 3;
		}
		r = sethostname("sbx-probe", 9);
	} else {
		return 2;
	}
	if (r == 0)
		return 0;
	printf("%s: %s\n", what, strerror(errno));
	return 1;
}

/* probe denied NAME: with the seccomp layer off (--no-seccomp), privileged operations must
 * still fail for lack of capabilities. Each is harmless if it succeeds in a throwaway process. */
static int cmd_denied(int argc, char **argv)
{
	static const char *const ops = "mount|remount|chroot|mknod|chown|setns|sethostname";
	char dir[] = "/tmp/probe-denied-XXXXXX";
	int status, r;
	pid_t pid;

	if (argc != 2 || !strstr(ops, argv[1]) || strchr(argv[1], '|') || !argv[1][0])
		return usage_error(ops);
	if (!mkdtemp(dir))
		return cannot("mkdtemp: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		rmdir(dir);
		return cannot("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		r = denied_op(argv[1], dir);
		fflush(stdout);
		_exit(r);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		rmdir(dir);
		return cannot("the child did not exit normally");
	}
	rmdir(dir);
	switch (WEXITSTATUS(status)) {
	case 0:
		return broken("%s succeeded", argv[1]);
	case 1:
		return held();
	case 2:
		return usage_error(ops);
	default:
		return cannot("%s not tried", argv[1]);
	}
}

/* probe tamper-exe: try to append to the host file this program was started from, which is
 * not visible inside (only opened by sbx): keep an O_PATH fd to /proc/self/exe, exec a shell so
 * that no process runs the image any more (no ETXTBSY), and reopen the fd for writing through
 * /proc/self/fd. The caller checks the host file; "tamper: ok" means the write went through. */
static int cmd_tamper_exe(int argc, char **argv)
{
	int fd;

	(void)argc, (void)argv;
	fd = open("/proc/self/exe", O_PATH);
	if (fd < 0) {
		printf("open /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	if (fd != 3 && (dup2(fd, 3) < 0 || close(fd) < 0))
		return cannot("dup2: %s", strerror(errno));
	fflush(stdout);
	execl("/bin/sh", "sh", "-c",
	      "if echo SBX-TAMPERED >>/proc/self/fd/3; then echo 'tamper: ok'; exit 0; "
	      "else echo 'tamper: failed'; exit 1; fi",
	      (char *)NULL);
	printf("exec /bin/sh: %s\n", strerror(errno));
	return 3;
}

/* ---- system calls the seccomp layer must kill ---- */

struct forbidden {
	const char *name;
	long (*call)(void);
};

/* Each makes the call with arguments that do nothing harmful if the call is let through. */
static long call_socket(void) { return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }
static long call_socket_unix(void) { return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }
static long call_socket_netlink(void) { return syscall(SYS_socket, 16 /* AF_NETLINK */, SOCK_RAW, 0); }
static long call_ptrace(void) { return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, NULL, NULL); }
static long call_mount(void) { return syscall(SYS_mount, "none", "/nonexistent-sbx-probe", "tmpfs", 0UL, NULL); }
static long call_umount2(void) { return syscall(SYS_umount2, "/nonexistent-sbx-probe", 0); }
static long call_unshare(void) { return syscall(SYS_unshare, CLONE_NEWNS); }
static long call_setns(void) { return syscall(SYS_setns, -1, 0); }
static long call_bpf(void) { return syscall(SYS_bpf, -1, NULL, 0); }
static long call_io_uring_setup(void) { return syscall(SYS_io_uring_setup, 0, NULL); }
static long call_io_uring_enter(void) { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long call_io_uring_register(void) { return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
static long call_perf_event_open(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL); }
static long call_keyctl(void) { return syscall(SYS_keyctl, -1, 0, 0, 0, 0); }
static long call_add_key(void) { return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); }
static long call_request_key(void) { return syscall(SYS_request_key, NULL, NULL, NULL, 0); }
static long call_personality(void) { return syscall(SYS_personality, 0xffffffffUL); }
static long call_open_by_handle_at(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
static long call_name_to_handle_at(void) { return syscall(SYS_name_to_handle_at, -1, "", NULL, NULL, 0); }
static long call_chroot(void) { return syscall(SYS_chroot, "/nonexistent-sbx-probe"); }
static long call_pivot_root(void) { return syscall(SYS_pivot_root, "/nonexistent-sbx-probe", "/nonexistent-sbx-probe"); }
static long call_init_module(void) { return syscall(SYS_init_module, NULL, 0UL, ""); }
static long call_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long call_delete_module(void) { return syscall(SYS_delete_module, "sbx_probe_nonexistent", O_NONBLOCK); }
static long call_kexec_load(void) { return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL); }
static long call_reboot(void) { return syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL */ }
static long call_swapon(void) { return syscall(SYS_swapon, "/nonexistent-sbx-probe", 0); }
static long call_acct(void) { return syscall(SYS_acct, "/nonexistent-sbx-probe/acct"); }
static long call_userfaultfd(void) { return syscall(SYS_userfaultfd, O_CLOEXEC); }
static long call_process_vm_readv(void) { return syscall(SYS_process_vm_readv, 1, NULL, 0UL, NULL, 0UL, 0UL); }
static long call_process_vm_writev(void) { return syscall(SYS_process_vm_writev, 1, NULL, 0UL, NULL, 0UL, 0UL); }
static long call_kcmp(void) { return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0UL, 0UL); }
static long call_fanotify_init(void) { return syscall(SYS_fanotify_init, 0xffffffffU, 0U); }
static long call_syslog(void) { return syscall(SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0); }
#ifdef SYS_iopl /* x86 only */
static long call_iopl(void) { return syscall(SYS_iopl, 0); }
static long call_ioperm(void) { return syscall(SYS_ioperm, 0UL, 0UL, 0); }
#endif
static long call_clock_settime(void) { return syscall(SYS_clock_settime, CLOCK_REALTIME, NULL); }
static long call_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); }
static long call_sethostname(void) { return syscall(SYS_sethostname, "x", (size_t)-1); }
static long call_setdomainname(void) { return syscall(SYS_setdomainname, "x", (size_t)-1); }
static long call_quotactl(void) { return syscall(SYS_quotactl, 0, NULL, 0, NULL); }
static long call_fsopen(void) { return syscall(SYS_fsopen, NULL, 0); }
static long call_fsmount(void) { return syscall(SYS_fsmount, -1, 0, 0); }
static long call_open_tree(void) { return syscall(SYS_open_tree, -1, NULL, 0); }
static long call_move_mount(void) { return syscall(SYS_move_mount, -1, NULL, -1, NULL, 0); }
static long call_fspick(void) { return syscall(SYS_fspick, -1, NULL, 0); }
static long call_mount_setattr(void) { return syscall(SYS_mount_setattr, -1, NULL, 0, NULL, 0UL); }
static long call_pidfd_getfd(void) { return syscall(SYS_pidfd_getfd, -1, -1, 0); }
static long call_lookup_dcookie(void) { return syscall(SYS_lookup_dcookie, 0UL, NULL, 0UL); }
#ifdef SYS_mknod
static long call_mknod(void) { return syscall(SYS_mknod, "/nonexistent-sbx-probe/x", S_IFCHR | 0600, 0UL); }
#else /* aarch64 has mknodat only */
static long call_mknod(void) { return syscall(SYS_mknodat, AT_FDCWD, "/nonexistent-sbx-probe/x", S_IFCHR | 0600, 0UL); }
#endif

static const struct forbidden forbidden_calls[] = {
	/* The contract names these. */
	{ "socket", call_socket },
	{ "ptrace", call_ptrace },
	{ "mount", call_mount },
	{ "unshare", call_unshare },
	{ "bpf", call_bpf },
	{ "io_uring_setup", call_io_uring_setup },
	{ "perf_event_open", call_perf_event_open },
	{ "keyctl", call_keyctl },
	{ "personality", call_personality },
	{ "open_by_handle_at", call_open_by_handle_at },
	/* Further calls an attacker uses to leave a sandbox or reach the kernel's soft spots. */
	{ "socket-unix", call_socket_unix },
	{ "socket-netlink", call_socket_netlink },
	{ "umount2", call_umount2 },
	{ "setns", call_setns },
	{ "io_uring_enter", call_io_uring_enter },
	{ "io_uring_register", call_io_uring_register },
	{ "add_key", call_add_key },
	{ "request_key", call_request_key },
	{ "name_to_handle_at", call_name_to_handle_at },
	{ "chroot", call_chroot },
	{ "pivot_root", call_pivot_root },
	{ "init_module", call_init_module },
	{ "finit_module", call_finit_module },
	{ "delete_module", call_delete_module },
	{ "kexec_load", call_kexec_load },
	{ "reboot", call_reboot },
	{ "swapon", call_swapon },
	{ "acct", call_acct },
	{ "userfaultfd", call_userfaultfd },
	{ "process_vm_readv", call_process_vm_readv },
	{ "process_vm_writev", call_process_vm_writev },
	{ "kcmp", call_kcmp },
	{ "fanotify_init", call_fanotify_init },
	{ "syslog", call_syslog },
#ifdef SYS_iopl
	{ "iopl", call_iopl },
	{ "ioperm", call_ioperm },
#endif
	{ "clock_settime", call_clock_settime },
	{ "settimeofday", call_settimeofday },
	{ "sethostname", call_sethostname },
	{ "setdomainname", call_setdomainname },
	{ "quotactl", call_quotactl },
	{ "fsopen", call_fsopen },
	{ "fsmount", call_fsmount },
	{ "open_tree", call_open_tree },
	{ "move_mount", call_move_mount },
	{ "fspick", call_fspick },
	{ "mount_setattr", call_mount_setattr },
	{ "pidfd_getfd", call_pidfd_getfd },
	{ "lookup_dcookie", call_lookup_dcookie },
	{ "mknod", call_mknod },
};

/* probe syscall NAME: make one call the default policy must kill. "probe syscall list" prints
 * the names. Returning at all is BROKEN. */
static int cmd_syscall(int argc, char **argv)
{
	if (argc != 2)
		return usage_error("NAME|list");
	if (strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < sizeof(forbidden_calls) / sizeof(forbidden_calls[0]); i++)
			printf("%s\n", forbidden_calls[i].name);
		return 0;
	}
	for (size_t i = 0; i < sizeof(forbidden_calls) / sizeof(forbidden_calls[0]); i++) {
		if (strcmp(argv[1], forbidden_calls[i].name) == 0) {
			long r;

			printf("calling %s\n", argv[1]);
			fflush(stdout);
			r = forbidden_calls[i].call();
			printf("%s returned %ld (%s)\n", argv[1], r, r < 0 ? strerror(errno) : "success");
			return broken("%s was not killed", argv[1]);
		}
	}
	return usage_error("NAME|list (unknown name)");
}

/* probe int80: getpid through the i386 entry point. A filter that ignores the architecture
 * lets it through (i386 getpid is 20, x86_64 getpid is 39). */
static int cmd_int80(int argc, char **argv)
{
#if defined(__x86_64__)
	long r = 20;

	(void)argc, (void)argv;
	printf("calling int $0x80 getpid\n");
	fflush(stdout);
	__asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
	printf("int $0x80 getpid returned %ld (pid %d)\n", r, (int)getpid());
	if (r == -ENOSYS)
		return cannot("the i386 ABI is not available on this kernel");
	return broken("an i386 system call was not killed");
#else
	(void)argc, (void)argv;
	return cannot("not x86_64");
#endif
}

/* probe x32: getpid through the x32 ABI (nr | 0x40000000). */
static int cmd_x32(int argc, char **argv)
{
#if defined(__x86_64__)
	long r;

	(void)argc, (void)argv;
	printf("calling x32 getpid\n");
	fflush(stdout);
	r = syscall(0x40000000L | 39);
	printf("x32 getpid returned %ld (%s)\n", r, r < 0 ? strerror(errno) : "success");
	if (r < 0 && errno == ENOSYS)
		return cannot("the x32 ABI is not available on this kernel");
	return broken("an x32 system call was not killed");
#else
	(void)argc, (void)argv;
	return cannot("not x86_64");
#endif
}

/* ---- processes, signals, limits ---- */

static int cmd_exit(int argc, char **argv)
{
	uint64_t n;

	if (argc != 2 || !parse_u64(argv[1], &n) || n > 255)
		return usage_error("N");
	exit((int)n);
}

/* probe signal N: die of signal N. */
static int cmd_signal(int argc, char **argv)
{
	uint64_t n;
	struct rlimit core = { 0, 0 };

	if (argc != 2 || !parse_u64(argv[1], &n) || n < 1 || n > 64)
		return usage_error("N");
	/* Never leave a core file behind, even outside a sandbox. */
	setrlimit(RLIMIT_CORE, &core);
	signal((int)n, SIG_DFL);
	fflush(stdout);
	kill(getpid(), (int)n);
	/* A signal whose default action is not to die. */
	return cannot("still alive after signal %d", (int)n);
}

/* probe sleep SECONDS [MARKER...]: the markers only make the process findable from the host. */
static int cmd_sleep(int argc, char **argv)
{
	uint64_t n;
	struct timespec ts;

	if (argc < 2 || !parse_u64(argv[1], &n))
		return usage_error("SECONDS [MARKER...]");
	printf("sleeping %" PRIu64 "\n", n);
	fflush(stdout);
	ts.tv_sec = (time_t)n;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/* probe spawn-sleep SECONDS MARKER: leave a daemonized grandchild (own session, reparented)
 * sleeping behind, and sleep too. Tests that it dies with the sandbox. */
static int cmd_spawn_sleep(int argc, char **argv)
{
	pid_t pid;

	if (argc < 2)
		return usage_error("SECONDS [MARKER...]");
	pid = fork();
	if (pid < 0)
		return cannot("fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		close(1);
		cmd_sleep(argc, argv);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return cmd_sleep(argc, argv);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* probe wait-signal [MARKER]: catch SIGINT, SIGTERM, SIGHUP; print "ready", wait (60 s at most),
 * then exit 100+N for signal N ("got: N"), or 1 when none came. */
static int cmd_wait_signal(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int waited = 0;

	(void)argc, (void)argv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!got_signal && waited < 600) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		waited++;
	}
	if (!got_signal) {
		printf("got: none\n");
		return 1;
	}
	printf("got: %d\n", (int)got_signal);
	fflush(stdout);
	return 100 + got_signal;
}

/* probe alloc BYTES: allocate and touch BYTES. Action: 0 allocated, 1 the allocation failed
 * (the kernel may instead kill the process: the caller sees 137). */
static int cmd_alloc(int argc, char **argv)
{
	uint64_t n;
	char *p;

	if (argc != 2 || !parse_u64(argv[1], &n) || n > SIZE_MAX)
		return usage_error("BYTES (K/M/G suffixes)");
	p = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("alloc %" PRIu64 ": failed: %s\n", n, strerror(errno));
		return 1;
	}
	for (uint64_t i = 0; i < n; i += 4096)
		p[i] = 1;
	printf("alloc %" PRIu64 ": ok\n", n);
	return 0;
}

/* probe alloc-hold BYTES SECONDS [MARKER]: allocate and touch BYTES, then keep them SECONDS (many
 * of these at once add up where one process's address-space limit does not). Action. */
static int cmd_alloc_hold(int argc, char **argv)
{
	uint64_t secs;
	struct timespec ts = { 0, 0 };
	int r;

	if (argc < 3 || !parse_u64(argv[2], &secs))
		return usage_error("BYTES SECONDS [MARKER]");
	r = cmd_alloc(2, argv);
	if (r)
		return r;
	ts.tv_sec = (time_t)secs;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/* probe forkbomb N: try to have N processes alive at once. Check: HELD when fork failed before
 * N ("forked: K"); BROKEN when all N were created. Cleans up its children either way. */
static int cmd_forkbomb(int argc, char **argv)
{
	uint64_t n;
	pid_t *pids;
	uint64_t k = 0;
	int err = 0;

	if (argc != 2 || !parse_u64(argv[1], &n) || n == 0 || n > 100000)
		return usage_error("N (at most 100000)");
	pids = calloc((size_t)n, sizeof(*pids));
	if (!pids)
		return cannot("calloc");
	for (; k < n; k++) {
		pid_t pid = fork();

		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			/* Children wait to be killed, with a fallback if the parent is gone. */
			alarm(120);
			for (;;)
				pause();
		}
		pids[k] = pid;
	}
	for (uint64_t i = 0; i < k; i++)
		kill(pids[i], SIGKILL);
	for (uint64_t i = 0; i < k; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	printf("forked: %" PRIu64 "\n", k);
	if (k < n) {
		printf("fork: %s\n", strerror(err));
		return held();
	}
	return broken("all %" PRIu64 " processes were created", n);
}

/* probe threads N: start N threads via clone (the default policy must allow what libc uses). */
static void *thread_main(void *arg)
{
	return arg;
}

static int cmd_threads(int argc, char **argv)
{
	uint64_t n;

	if (argc != 2 || !parse_u64(argv[1], &n) || n > 1000)
		return usage_error("N");
	for (uint64_t i = 0; i < n; i++) {
		pthread_t t;
		int r = pthread_create(&t, NULL, thread_main, NULL);

		if (r) {
			printf("pthread_create: %s\n", strerror(r));
			return 1;
		}
		pthread_join(t, NULL);
	}
	printf("threads: %" PRIu64 " ok\n", n);
	return 0;
}

/* probe rlimits: RLIMIT_CORE is 0; NOFILE, FSIZE, NPROC and AS are finite. */
static int cmd_rlimits(int argc, char **argv)
{
	static const struct {
		int res;
		const char *name;
	} lim[] = {
		{ RLIMIT_CORE, "RLIMIT_CORE" },   { RLIMIT_NOFILE, "RLIMIT_NOFILE" },
		{ RLIMIT_FSIZE, "RLIMIT_FSIZE" }, { RLIMIT_NPROC, "RLIMIT_NPROC" },
		{ RLIMIT_AS, "RLIMIT_AS" },
	};
	int bad = 0;

	(void)argc, (void)argv;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl;

		if (getrlimit(lim[i].res, &rl) < 0)
			return cannot("getrlimit: %s", strerror(errno));
		printf("%s: ", lim[i].name);
		if (rl.rlim_cur == RLIM_INFINITY)
			printf("unlimited ");
		else
			printf("%llu ", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			printf("unlimited\n");
		else
			printf("%llu\n", (unsigned long long)rl.rlim_max);
		if (lim[i].res == RLIMIT_CORE ? rl.rlim_max != 0 : rl.rlim_max == RLIM_INFINITY) {
			printf("not limited: %s\n", lim[i].name);
			bad++;
		}
	}
	if (bad)
		return broken("%d resource limits missing", bad);
	return held();
}

/* probe exec PATH [ARG...]: execve PATH. Action: only returns (exit 1) when execve failed. */
static int cmd_exec(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("PATH [ARG...]");
	fflush(stdout);
	execv(argv[1], argv + 1);
	printf("exec %s: failed: %s\n", argv[1], strerror(errno));
	return 1;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "caps", cmd_caps, "all capability sets are empty" },
	{ "securebits", cmd_securebits, "the *_LOCKED securebits are set" },
	{ "nnp", cmd_nnp, "no_new_privs is set" },
	{ "seccomp-mode", cmd_seccomp_mode, "[N] Seccomp: in /proc/self/status is N (2)" },
	{ "uid", cmd_uid, "[UID] not root; uid_map is 'U U 1'" },
	{ "become-root", cmd_become_root, "setresuid(0)/setresgid(0) fail" },
	{ "hostname", cmd_hostname, "[NAME] the hostname is NAME (sbx)" },
	{ "pid1", cmd_pid1, "the program is pid 2 under pid 1, alone" },
	{ "cgroupns", cmd_cgroupns, "every cgroup path is /" },
	{ "sysvipc", cmd_sysvipc, "no System V IPC objects visible" },
	{ "net", cmd_net, "[PORT [ABSTRACT]] only lo, no route, host listeners unreachable" },
	{ "userns", cmd_userns, "unshare(CLONE_NEWUSER) fails" },
	{ "userns-clone", cmd_userns_clone, "clone(CLONE_NEWUSER) fails" },
	{ "mounts", cmd_mounts, "list mounts; all nosuid, nodev outside /dev; root read-only" },
	{ "tmp", cmd_tmp, "[SIZE] /tmp is an empty writable tmpfs of SIZE (64M)" },
	{ "devices", cmd_devices, "/dev holds the minimal set and works" },
	{ "read", cmd_read, "PATH (action)" },
	{ "write", cmd_write, "PATH [TEXT] (action)" },
	{ "fopen", cmd_fopen, "PATH r|w [TEXT] stdio's fopen, then read or write (action)" },
	{ "mkdir", cmd_mkdir, "PATH (action)" },
	{ "ls", cmd_ls, "DIR (action)" },
	{ "fill", cmd_fill, "PATH [MAX] writing stops with an error before MAX (1G)" },
	{ "cwd", cmd_cwd, "the cwd is inside the root" },
	{ "fds", cmd_fds, "[FD...] only 0, 1, 2 (and FD...) are open" },
	{ "env", cmd_env, "the environment is reduced" },
	{ "args", cmd_args, "ARG... print argv" },
	{ "tiocsti", cmd_tiocsti, "no controlling terminal; TIOCSTI fails" },
	{ "kill-all", cmd_kill_all, "kill(-1, SIGKILL)" },
	{ "peek-init", cmd_peek_init, "[SECRET] pid 1 opens no way out" },
	{ "ptrace-init", cmd_ptrace_init, "PTRACE_ATTACH to pid 1 fails" },
	{ "denied", cmd_denied, "mount|remount|chroot|mknod|chown|setns|sethostname fails for lack of caps" },
	{ "attack", cmd_attack, "NAME [ARG...] the escape suite's attacks (list: the names)" },
	{ "tamper-exe", cmd_tamper_exe, "append to the host file of this program (action)" },
	{ "syscall", cmd_syscall, "NAME|list make a call that must be killed" },
	{ "int80", cmd_int80, "i386 getpid via int $0x80 must be killed" },
	{ "x32", cmd_x32, "x32 getpid must be killed" },
	{ "exit", cmd_exit, "N exit with status N" },
	{ "signal", cmd_signal, "N die of signal N" },
	{ "sleep", cmd_sleep, "SECONDS [MARKER...]" },
	{ "spawn-sleep", cmd_spawn_sleep, "SECONDS [MARKER...] also leave a daemon behind" },
	{ "wait-signal", cmd_wait_signal, "[MARKER] exit 100+N on signal N" },
	{ "alloc", cmd_alloc, "BYTES (action)" },
	{ "alloc-hold", cmd_alloc_hold, "BYTES SECONDS [MARKER] allocate, then keep it (action)" },
	{ "forkbomb", cmd_forkbomb, "N fork fails before N processes" },
	{ "threads", cmd_threads, "N start and join N threads (action)" },
	{ "rlimits", cmd_rlimits, "core 0; nofile, fsize, nproc, as finite" },
	{ "exec", cmd_exec, "PATH [ARG...] (action)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: probe COMMAND [ARG...]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			probe_name = commands[i].name;
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	if (strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "probe: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
