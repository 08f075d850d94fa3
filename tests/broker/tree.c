/* SPDX-License-Identifier: MIT */
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int link_at(const char *dir, const char *name, const char *target)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return symlink(target, path) < 0 ? -errno : 0;
}

int tree_make(struct tree *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/sbx-broker-test-XXXXXX");
	if (!mkdtemp(t->root))
		return -errno;
	/* The worker runs as another uid: the tree must be traversable (the broker opens for it,
	 * but a test that fails open must not fail for a reason we did not mean). */
	chmod(t->root, 0755);
	snprintf(t->data, sizeof(t->data), "%s/data", t->root);
	snprintf(t->out, sizeof(t->out), "%s/out", t->root);
	snprintf(t->rw, sizeof(t->rw), "%s/rw", t->root);
	snprintf(t->mtree, sizeof(t->mtree), "%s/mtree", t->root);
	snprintf(t->mnt, sizeof(t->mnt), "%s/mnt", t->mtree);
	snprintf(t->secret, sizeof(t->secret), "%s/secret", t->out);
	snprintf(t->fifo_out, sizeof(t->fifo_out), "%s/fifo.out", t->rw);
	char sub[192], fifo[192];
	snprintf(sub, sizeof(sub), "%s/sub", t->data);
	snprintf(fifo, sizeof(fifo), "%s/fifo", t->data);
	int r = 0;
	if (mkdir(t->data, 0755) < 0 || mkdir(t->out, 0755) < 0 || mkdir(t->rw, 0777) < 0 || mkdir(sub, 0755) < 0 ||
	    mkdir(t->mtree, 0755) < 0 || mkdir(t->mnt, 0755) < 0 || mkfifo(fifo, 0666) < 0 || mkfifo(t->fifo_out, 0666) < 0)
		r = -errno;
	if (!r)
		r = put(t->data, "a.txt", "hello\n");
	if (!r)
		r = put(t->data, ".hidden", "hidden\n");
	if (!r)
		r = put(sub, "b.txt", "b\n");
	if (!r)
		r = put(t->out, "secret", "secret\n");
	if (!r)
		r = put(t->rw, "existing.out", "old\n");
	if (!r)
		r = put(t->rw, "x.txt", "x\n");
	if (!r)
		r = link_at(t->data, "lnk-out", "../out/secret");
	if (!r)
		r = link_at(t->data, "lnk-abs", "/etc/passwd");
	if (!r)
		r = link_at(t->data, "lnk-in", "a.txt");
	if (!r)
		r = link_at(t->data, "lnk-root", "/proc/self/root");
	if (!r)
		r = link_at(t->data, "lnk-dir", "../out");
	if (r) {
		fprintf(stderr, "building the test tree in %s: %s\n", t->root, strerror(-r));
		return r;
	}
	/* Our own mount namespace, so the bind mount is ours alone and vanishes with us. */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount(t->out, t->mnt, NULL, MS_BIND, NULL) == 0)
		t->mounted = true;
	return 0;
}

static void rm_rf(const char *path)
{
	/* The tree is ours and shallow; nftw is overkill. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

void tree_remove(struct tree *t)
{
	if (t->mounted)
		umount2(t->mnt, MNT_DETACH);
	if (t->root[0])
		rm_rf(t->root);
}
