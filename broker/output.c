/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

struct watch {
	struct sbx_output *c;
	void (*on_eof)(void *arg);
	void *arg;
};

/* An unlinked file in $TMPDIR (else /tmp): O_TMPFILE where the filesystem has it, else a name
 * removed at once. Nothing of it outlives us, however we end. */
static int spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd >= 0 ? fd : -errno;
	char *path = NULL;
	if (sbx_asprintf(&path, "%s/sbx-batch-XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	int r = fd >= 0 ? 0 : -errno;
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd >= 0 ? fd : r;
}

void sbx_output_add(struct sbx_output *c, const char *text, size_t len)
{
	if (c->error)
		return;
	size_t room = c->spill < 0 ? SBX_OUTPUT_MEM - c->len : 0;
	size_t now = len < room ? len : room;
	if (now) {
		if (!c->buf && !(c->buf = malloc(SBX_OUTPUT_MEM))) {
			c->error = ENOMEM;
			return;
		}
		memcpy(c->buf + c->len, text, now);
		c->len += now;
	}
	if (now == len)
		return;
	if (c->spill < 0 && (c->spill = spill_open()) < 0) {
		c->error = -c->spill;
		c->spill = -1;
		return;
	}
	int r = sbx_write_all(c->spill, text + now, len - now);
	if (r < 0)
		c->error = -r;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct watch *wt = arg;
	struct sbx_output *c = wt->c;
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n > 0) {
		sbx_output_add(c, chunk, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF: every process that held the write end is gone (they die with the sandbox's init). */
	event_free(c->ev);
	c->ev = NULL;
	sbx_close(&c->fd);
	void (*on_eof)(void *) = wt->on_eof;
	void *cb_arg = wt->arg;
	free(wt);
	on_eof(cb_arg);
}

int sbx_output_open(struct sbx_output *c, struct event_base *base, int *write_fd,
		     void (*on_eof)(void *arg), void *arg)
{
	int p[2];
	*c = (struct sbx_output){ .fd = -1, .spill = -1 };
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Only our end is non-blocking: the job's writes block when we fall behind. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	struct watch *wt = malloc(sizeof(*wt));
	c->fd = p[0];
	if (wt) {
		*wt = (struct watch){ c, on_eof, arg };
		c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_read, wt);
	}
	if (!wt || !c->ev || event_add(c->ev, NULL) < 0) {
		free(wt);
		sbx_output_free(c);
		close(p[1]);
		return -ENOMEM;
	}
	*write_fd = p[1];
	return 0;
}

bool sbx_output_done(const struct sbx_output *c)
{
	return c->fd < 0;
}

int sbx_output_flush(struct sbx_output *c, int out)
{
	int r = c->len ? sbx_write_all(out, c->buf, c->len) : 0;
	if (r == 0 && c->spill >= 0) {
		/* The rest from the spill file: a failure to read it back is output lost, said. */
		char chunk[65536];
		ssize_t n = lseek(c->spill, 0, SEEK_SET) == 0 ? 0 : -1;
		while (r == 0 && n == 0 && (n = read(c->spill, chunk, sizeof(chunk))) > 0) {
			r = sbx_write_all(out, chunk, (size_t)n);
			n = 0;
		}
		if (r == 0 && n < 0)
			c->error = errno; /* the caller reports it as output lost (not as its write failing) */
	}
	sbx_output_free(c);
	return r;
}

void sbx_output_free(struct sbx_output *c)
{
	if (c->ev) {
		/* The watch is freed with its event: only on_read frees it at EOF. */
		free(event_get_callback_arg(c->ev));
		event_free(c->ev);
		c->ev = NULL;
	}
	sbx_close(&c->fd);
	sbx_close(&c->spill);
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}
