/* SPDX-License-Identifier: MIT */
/*
 * Standalone replay of a fuzz corpus: feeds every regular file of each directory argument
 * (and every file argument) to LLVMFuzzerTestOneInput, and prints TAP. A crash or sanitizer
 * report kills the run; the last "# replaying" line names the input that did it.
 *
 *   replay-pcap DIR|FILE...
 */
#include "fuzz-target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger inputs are not corpus seeds; refusing them keeps the replay's memory bounded. */
#define REPLAY_MAX_INPUT (4u * 1024u * 1024u)

struct list {
        char **paths;
        size_t n, cap;
};

static int list_add(struct list *l, const char *dir, const char *name) {
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                char **p = realloc(l->paths, cap * sizeof *p);
                if (!p)
                        return -ENOMEM;
                l->paths = p;
                l->cap = cap;
        }
        char *s = NULL;
        if (asprintf(&s, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) < 0)
                return -ENOMEM;
        l->paths[l->n++] = s;
        return 0;
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int collect(struct list *l, const char *arg) {
        struct stat st;

        if (stat(arg, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return list_add(l, NULL, arg);
        DIR *d = opendir(arg);
        if (!d)
                return -errno;
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                r = list_add(l, arg, e->d_name);
        }
        closedir(d);
        return r;
}

/* Returns the file's bytes in *ret (malloc'd, caller frees) or a negative errno. */
static int slurp(const char *path, uint8_t **ret, size_t *len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size > REPLAY_MAX_INPUT) {
                close(fd);
                return -EINVAL;
        }
        size_t size = (size_t) st.st_size;
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        size_t got = 0;
        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *len = got;
        return 0;
}

int main(int argc, char **argv) {
        struct list l = { 0 };
        int failed = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                int r = collect(&l, argv[i]);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 2;
                }
        }
        if (l.n == 0) {
                printf("1..0 # SKIP no inputs in the corpus\n");
                return 0;
        }
        qsort(l.paths, l.n, sizeof *l.paths, cmp);
        printf("1..%zu\n", l.n);
        for (size_t i = 0; i < l.n; i++) {
                uint8_t *data = NULL;
                size_t len = 0;

                printf("# replaying %s\n", l.paths[i]);
                fflush(stdout);
                int r = slurp(l.paths[i], &data, &len);
                if (r < 0) {
                        printf("not ok %zu - %s: %s\n", i + 1, l.paths[i], strerror(-r));
                        failed = 1;
                } else {
                        LLVMFuzzerTestOneInput(data, len);
                        printf("ok %zu - %s (%zu bytes)\n", i + 1, l.paths[i], len);
                }
                free(data);
                free(l.paths[i]);
        }
        free(l.paths);
        return failed;
}
