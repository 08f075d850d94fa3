/* SPDX-License-Identifier: MIT */
/*
 * pcap-decode: print one line per packet of a classic pcap file, and a summary.
 *
 *   pcap-decode [FILE]        (reads standard input without FILE, or with "-")
 *
 * Exit status: 0 decoded (per-packet problems are noted in the output), 1 the file header is
 * malformed or not pcap, 2 usage error or the input cannot be opened or read.
 *
 * This is the job sbx is meant to run: a parser of hostile input, which needs nothing beyond
 * reading one descriptor and writing another (see policies/pcap.policy).
 */
#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ssize_t fd_read(void *ctx, uint8_t *buf, size_t len) {
        int fd = *(const int *) ctx;

        for (;;) {
                ssize_t n = read(fd, buf, len);
                if (n >= 0 || errno != EINTR)
                        return n;
        }
}

static void usage(FILE *f) {
        fputs("usage: pcap-decode [FILE|-]\n"
              "Decode a classic pcap file (stdin by default) and print one line per packet.\n",
              f);
}

int main(int argc, char **argv) {
        const char *path = NULL;
        const char *why = NULL;
        int fd = STDIN_FILENO;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(argv[i], "--") == 0) {
                        if (i + 1 < argc && !path) {
                                path = argv[++i];
                                continue;
                        }
                }
                if (path || (argv[i][0] == '-' && argv[i][1] != '\0')) {
                        usage(stderr);
                        return 2;
                }
                path = argv[i];
        }
        if (path && strcmp(path, "-") != 0) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        fprintf(stderr, "pcap-decode: %s: %s\n", path, strerror(errno));
                        return 2;
                }
        }

        int r = pcap_decode_stream(fd_read, &fd, stdout, &why);
        if (fd != STDIN_FILENO)
                close(fd);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "pcap-decode: writing output: %s\n", strerror(errno));
                return 2;
        }
        switch (r) {
        case PCAP_DECODE_OK:
                return 0;
        case PCAP_DECODE_BAD_HEADER:
                fprintf(stderr, "pcap-decode: %s: %s\n", path ? path : "stdin", why);
                return 1;
        default:
                fprintf(stderr, "pcap-decode: %s: %s\n", path ? path : "stdin",
                        why ? why : "error");
                return 2;
        }
}
