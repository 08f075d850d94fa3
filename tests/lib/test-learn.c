/* SPDX-License-Identifier: MIT */
/* The public learn-mode recorder (sbx_learn_*, sbx.h), used the way sbx --learn uses it: only
 * through sbx.h. TAP. */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbx.h"
#include "tests/tap.h"

/* What sbx_learn_write wrote to a memfd, NUL-terminated (static, overwritten by each call). */
static const char *written(const struct sbx_learn *l, int *r)
{
	static char buf[16384];
	buf[0] = '\0';
	int fd = memfd_create("learned", MFD_CLOEXEC);
	*r = fd < 0 ? -errno : sbx_learn_write(l, fd);
	if (*r == 0) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/* A policy loaded from text, through a memfd (read at load, closed after); NULL on failure. */
static struct sbx_policy *policy_of(const char *text)
{
	struct sbx_policy *p = NULL;
	char path[64];
	int fd = memfd_create("t.policy", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	size_t len = strlen(text);
	struct sbx_error err = SBX_ERROR_INIT;
	if (write(fd, text, len) != (ssize_t)len || sbx_policy_new(path, NULL, &p, &err) < 0)
		tap_diag("%s", err.message ? err.message : "cannot write the policy");
	sbx_error_free(&err);
	close(fd);
	return p;
}

int main(void)
{
	const uint64_t none[6] = { 0 }, tty[6] = { 1, TCGETS }, unix_sock[6] = { AF_UNIX, SOCK_STREAM };
	uint32_t arch = seccomp_arch_native();
	struct sbx_learn *l = NULL;
	int r;

	tap_ok(sbx_learn_new(NULL) == -EINVAL, "sbx_learn_new(NULL) is refused");
	tap_ok(sbx_learn_new(&l) == 0 && l, "a new recorder");
	tap_ok(sbx_learn_count(l) == 0, "it starts empty");
	const char *text = written(l, &r);
	tap_ok(r == 0 && strstr(text, "exec none\n"), "an empty recording writes a policy that allows no exec");

	tap_ok(sbx_learn_record(l, arch, SCMP_SYS(execve), none) == 0, "record the launcher's execve");
	tap_ok(sbx_learn_record(l, arch, SCMP_SYS(read), none) == 0 &&
		       sbx_learn_record(l, arch, SCMP_SYS(ioctl), tty) == 0 &&
		       sbx_learn_record(l, arch, SCMP_SYS(socket), unix_sock) == 0 &&
		       sbx_learn_record(l, arch, SCMP_SYS(exit_group), none) == 0,
	       "record read, ioctl(TCGETS), socket(AF_UNIX), exit_group");
	tap_ok(sbx_learn_record(l, arch, SCMP_SYS(read), NULL) == -EINVAL && sbx_learn_record(NULL, arch, 0, none) == -EINVAL,
	       "NULL recorder or args are refused");
	tap_ok(sbx_learn_count(l) == 5, "five calls counted (%zu)", sbx_learn_count(l));

	text = written(l, &r);
	tap_ok(r == 0, "written to an fd (%d)", r);
	tap_ok(strstr(text, "exec none\n") != NULL, "the first execve is the launcher's: exec none");
	tap_ok(strstr(text, "ioctl: arg1 == TCGETS\n") != NULL, "ioctl with the request it used");
	tap_ok(strstr(text, "socket: arg0 == AF_UNIX\n") != NULL, "socket with the family it used");
	tap_ok(strstr(text, "read") && strstr(text, "exit_group"), "the plain calls are listed");
	if (tap_failed)
		tap_diag("%s", text);

	tap_ok(sbx_learn_record(l, arch, SCMP_SYS(execve), none) == 0 && strstr(written(l, &r), "exec allow\n"),
	       "a second execve: exec allow");
	tap_ok(sbx_learn_write(l, -1) == -EINVAL, "a negative fd is refused");
	int p[2];
	if (pipe(p) == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		tap_ok(sbx_learn_write(l, p[1]) == -EPIPE, "a write error is returned (EPIPE)");
		close(p[1]);
	}
	/* The run's setup: the policy's lines and the command line's paths, each path once. */
	struct sbx_policy *pol = NULL;
	static const char ptext[] = "ro /usr/share\ntmpfs /scratch size 1M\nlimit pids 7\n";
	int pfd = memfd_create("p.policy", MFD_CLOEXEC);
	char ppath[64];
	snprintf(ppath, sizeof(ppath), "/proc/self/fd/%d", pfd);
	tap_ok(pfd >= 0 && write(pfd, ptext, sizeof(ptext) - 1) == (ssize_t)sizeof(ptext) - 1 &&
		       sbx_policy_new(ppath, NULL, &pol, NULL) == 0,
	       "a policy with ro, tmpfs and limit lines");
	tap_ok(pol && sbx_learn_set_policy(l, pol) == 0, "sbx_learn_set_policy keeps its lines");
	tap_ok(pol && sbx_learn_set_policy(l, pol) == -EINVAL, "a second sbx_learn_set_policy is refused");
	tap_ok(sbx_learn_add_path(l, "/srv/in", false) == 0 && sbx_learn_add_path(l, "/srv/out", true) == 0 &&
		       sbx_learn_add_path(l, "/usr/share", true) == 0,
	       "sbx_learn_add_path: two new paths and one the policy has");
	tap_ok(sbx_learn_add_path(l, "/a\"b", false) == -EINVAL && sbx_learn_add_path(l, "/${x}", false) == -EINVAL &&
		       sbx_learn_add_path(l, "rel", false) == -EINVAL,
	       "sbx_learn_add_path refuses what the language cannot quote, and relative paths");
	text = written(l, &r);
	tap_ok(r == 0 && strstr(text, "\nro \"/usr/share\"\ntmpfs \"/scratch\" size 1M\nlimit pids 7\n") &&
		       strstr(text, "\nro \"/srv/in\"\nrw \"/srv/out\"\n") && !strstr(text, "rw \"/usr/share\""),
	       "written: the policy's lines, then the paths, each path once");
	tap_ok(strstr(text, "ioctl: arg0 <= 2 && arg1 in {TCGETS, TIOCGWINSZ}") != NULL,
	       "written: the terminal queries on stdio, always");
	if (tap_failed)
		tap_diag("%s", text);
	sbx_policy_free(pol);
	if (pfd >= 0)
		close(pfd);
	sbx_learn_free(l);

	/* The caller's grants, as resource lines a policy runs alone with. */
	struct sbx_config *cfg = NULL;
	tap_ok(sbx_learn_new(&l) == 0 && sbx_config_new(&cfg) == 0, "a new recorder and config");
	tap_ok(sbx_config_add_dir(cfg, "in", "/srv/in", SBX_ACCESS_READ, "*.pdf") == 0 &&
		       sbx_config_add_file(cfg, "OUT", "/srv/out/a.txt", SBX_ACCESS_WRITE | SBX_ACCESS_CREATE) == 0 &&
		       sbx_config_add_fd(cfg, "HOSTFD", 1) == 0 &&
		       sbx_config_add_capture(cfg, "cap", "eth0", SBX_CAPTURE_PROMISC | SBX_CAPTURE_TX, "icmp") == 0 &&
		       sbx_config_add_dir(cfg, "rel", "relative/dir", SBX_ACCESS_READ, NULL) == 0,
	       "a config with a dir, a file, an fd, a capture and a relative dir");
	tap_ok(sbx_learn_add_grants(NULL, cfg) == -EINVAL && sbx_learn_add_grants(l, NULL) == -EINVAL,
	       "sbx_learn_add_grants: NULL is refused");
	tap_ok(sbx_learn_add_grants(l, cfg) == 0, "sbx_learn_add_grants keeps them");
	tap_ok(sbx_learn_add_grants(l, cfg) == -EINVAL, "a second sbx_learn_add_grants is refused");
	tap_ok(sbx_learn_record(l, arch, SCMP_SYS(execve), none) == 0, "record the launcher's execve");
	text = written(l, &r);
	tap_ok(r == 0 && strstr(text, "\nresource in dir \"/srv/in\" r \"*.pdf\"\n"
				      "# resource OUT (file): not written, learn mode writes dir and capture grants only: give it again\n"
				      "# resource HOSTFD (fd): not written, learn mode writes dir and capture grants only: give it again\n"
				      "resource cap capture \"eth0\" promisc tx filter \"icmp\"\n"
				      "# resource rel (dir): a value a policy cannot write"),
	       "written: the dir and capture grants in order, each as given; the others as comments");
	pol = r == 0 ? policy_of(text) : NULL;
	tap_ok(pol != NULL, "the learned policy with its resource lines loads");
	if (tap_failed)
		tap_diag("%s", text);
	sbx_policy_free(pol);
	sbx_config_free(cfg);
	sbx_learn_free(l);

	/* A policy's capture grant keeps tx and max, a directory's max. */
	pol = policy_of("resource cap capture eth0 tx max 2\nresource spool dir /srv/spool r \"*.pcap\" max 9\n");
	tap_ok(pol && sbx_learn_new(&l) == 0 && sbx_learn_set_policy(l, pol) == 0,
	       "a policy with capture and dir grants with max");
	text = written(l, &r);
	tap_ok(r == 0 && strstr(text, "\nresource cap capture \"eth0\" tx max 2\n") &&
		       strstr(text, "\nresource spool dir \"/srv/spool\" r \"*.pcap\" max 9\n"),
	       "written: the policy's grants with tx and max");
	if (tap_failed)
		tap_diag("%s", text);
	sbx_policy_free(pol);
	sbx_learn_free(l);
	sbx_learn_free(NULL);
	tap_ok(true, "sbx_learn_free accepts NULL");
	return tap_done();
}
