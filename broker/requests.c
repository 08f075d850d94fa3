/* SPDX-License-Identifier: MIT */
#include "requests.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool nul_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int sbx_req_decode(const void *buf, size_t len, size_t n_fds, int msg_flags, enum sbx_req_state state,
		   union sbx_req *out, const char **why)
{
	if (msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		*why = "truncated datagram or control data";
		return -EPROTO;
	}
	if (n_fds) {
		*why = "a worker never sends file descriptors";
		return -EPROTO;
	}
	if (len < sizeof(struct sbx_req_hdr) || len > SBX_REQ_MAX) {
		*why = "datagram size out of range";
		return -EPROTO;
	}
	struct sbx_req_hdr h;
	memcpy(&h, buf, sizeof(h));
	if (h.len != len) {
		*why = "header length does not match the datagram";
		return -EPROTO;
	}
	if (h.type >= 32 || (unsigned)state > SBX_REQ_STATE_LOCKED || !(sbx_req_allowed[state] & (1u << h.type))) {
		*why = h.type == SBX_REQ_OPEN || h.type == SBX_REQ_CAPTURE || h.type == SBX_REQ_DONE
			       ? "request not allowed in this state"
			       : "unknown request type";
		return -EPROTO;
	}
	size_t want;
	switch (h.type) {
	case SBX_REQ_OPEN: want = sizeof(struct sbx_req_open); break;
	case SBX_REQ_CAPTURE: want = sizeof(struct sbx_req_capture); break;
	case SBX_REQ_LOG: want = sizeof(struct sbx_req_log); break;
	case SBX_REQ_DONE: want = sizeof(struct sbx_req_hdr); break;
	default:
		*why = "unknown request type";
		return -EPROTO;
	}
	if (len != want) {
		*why = "wrong size for the request type";
		return -EPROTO;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len);
	switch (h.type) {
	case SBX_REQ_OPEN:
		if (!nul_terminated(out->open.dir, sizeof(out->open.dir)) ||
		    !nul_terminated(out->open.path, sizeof(out->open.path))) {
			*why = "string not NUL-terminated";
			return -EPROTO;
		}
		if (out->open.flags & ~SBX_OPEN_ALL || !(out->open.flags & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_DIRECTORY))) {
			*why = "bad open flags";
			return -EPROTO;
		}
		break;
	case SBX_REQ_CAPTURE:
		if (!nul_terminated(out->capture.name, sizeof(out->capture.name))) {
			*why = "string not NUL-terminated";
			return -EPROTO;
		}
		break;
	case SBX_REQ_LOG:
		if (!nul_terminated(out->log.text, sizeof(out->log.text)) || out->log.level > 2 || out->log.reserved) {
			*why = "malformed log request";
			return -EPROTO;
		}
		break;
	}
	return 0;
}

int sbx_req_open(const struct sbx_req_open *req, const struct sbx_resource *res, size_t n_res,
		 const int *res_fds, char *rule, size_t rule_len)
{
	const struct sbx_resource *dir = NULL;
	int dirfd = -1;
	for (size_t i = 0; i < n_res; i++) {
		if (res[i].kind == SBX_RES_DIR && strcmp(res[i].name, req->dir) == 0) {
			dir = &res[i];
			dirfd = res_fds[i];
			break;
		}
	}
	if (!dir || dirfd < 0) {
		snprintf(rule, rule_len, "no directory resource named '%s'", req->dir);
		return -EACCES;
	}
	const char *pattern = dir->pattern ? dir->pattern : "*";
	unsigned allowed = dir->flags;
	char mode[8];
	snprintf(mode, sizeof(mode), "%s%s%s", allowed & SBX_ACCESS_READ ? "r" : "", allowed & SBX_ACCESS_WRITE ? "w" : "",
		 allowed & SBX_ACCESS_CREATE ? "c" : "");
	snprintf(rule, rule_len, "dir %s=%s:%s pattern '%s'", dir->name, dir->target, mode, pattern);

	unsigned want = req->flags;
	/* A directory fd from the host's mount would lead anywhere by "..": none are handed out by
	 * request. (A directory resource without a pattern is itself handed over, through a clone
	 * of its mount that confines "..".) */
	if (want & SBX_OPEN_DIRECTORY) {
		snprintf(rule + strlen(rule), rule_len - strlen(rule), "; directories are not handed out by request");
		return -EACCES;
	}
	/* TRUNC and CREATE need WRITE; DIRECTORY is a read. */
	if ((want & (SBX_OPEN_CREATE | SBX_OPEN_TRUNC)) && !(want & SBX_OPEN_WRITE))
		return -EINVAL;
	unsigned need = want & (SBX_OPEN_READ | SBX_OPEN_WRITE | SBX_OPEN_CREATE);
	if (want & SBX_OPEN_DIRECTORY)
		need |= SBX_OPEN_READ;
	if (want & SBX_OPEN_TRUNC)
		need |= SBX_OPEN_WRITE;
	if ((need & allowed) != need)
		return -EACCES;
	if (req->path[0] == '\0' || req->path[0] == '/')
		return -EACCES;
	/* The pattern is matched against the path as written: "sub/../x" could match a pattern the
	 * file it names does not. Only plain relative paths: no ".", "..", or empty components. */
	for (const char *c = req->path; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			snprintf(rule + strlen(rule), rule_len - strlen(rule), "; no '.', '..' or empty path components");
			return -EACCES;
		}
		c += n;
		if (*c == '/')
			c++;
	}
	/* FNM_PATHNAME: '*' does not cross '/'; FNM_PERIOD: hidden files need an explicit dot. */
	if (fnmatch(pattern, req->path, FNM_PATHNAME | FNM_PERIOD) != 0)
		return -EACCES;

	struct open_how how;
	memset(&how, 0, sizeof(how));
	bool rd = want & (SBX_OPEN_READ | SBX_OPEN_DIRECTORY), wr = want & SBX_OPEN_WRITE;
	how.flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY);
	if (want & SBX_OPEN_CREATE)
		how.flags |= O_CREAT;
	if (want & SBX_OPEN_TRUNC)
		how.flags |= O_TRUNC;
	if (want & SBX_OPEN_DIRECTORY)
		how.flags |= O_DIRECTORY;
	/* A FIFO planted in the tree must not hang the broker: never block in open. */
	how.flags |= O_NONBLOCK;
	if (want & SBX_OPEN_CREATE)
		how.mode = req->mode & 0666;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	long fd = syscall(SYS_openat2, dirfd, req->path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	/* Only regular files and directories: not FIFOs, sockets or device nodes someone planted
	 * in the tree. */
	struct stat st;
	if (fstat((int)fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		close((int)fd);
		snprintf(rule + strlen(rule), rule_len - strlen(rule), "; only regular files and directories");
		return -EACCES;
	}
	int fl = fcntl((int)fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl((int)fd, F_SETFL, fl & ~O_NONBLOCK);
	return (int)fd;
}
