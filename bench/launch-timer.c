/* SPDX-License-Identifier: MIT */
/*
 * launch-timer: wall-clock latency of launching commands, interleaved so that drift in the
 * machine's load (other tenants of a KVM host, frequency changes) hits every command alike.
 *
 *   launch-timer [-n ITERATIONS] [-w WARMUP] LABEL CMD [ARG...] [:: LABEL CMD [ARG...]]...
 *
 * Each sample is fork + execvp + waitpid of one command, stdio on /dev/null, timed with
 * CLOCK_MONOTONIC. A command that exits non-zero or by a signal is dropped from the run and
 * reported (a benchmark of a launcher that fails measures nothing). Prints a table and one
 * machine-readable line per command:  RESULT LABEL MEDIAN_US P10_US P90_US
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 8

struct command {
        const char *label;
        char **argv;
        double *us;        /* samples, microseconds */
        size_t n;
        int failed;        /* status of the failing run, or 0 */
        int failed_signal;
};

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* Runs argv once; returns the elapsed microseconds, or -1 with *status set on failure. */
static double run_once(char **argv, int devnull, int *status) {
        double t0 = now_us();
        pid_t pid = fork();

        if (pid < 0) {
                *status = -errno;
                return -1;
        }
        if (pid == 0) {
                dup2(devnull, STDIN_FILENO);
                dup2(devnull, STDOUT_FILENO);
                dup2(devnull, STDERR_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR) {
                        *status = -errno;
                        return -1;
                }
        double t1 = now_us();
        *status = st;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return -1;
        return t1 - t0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q) {
        size_t i = (size_t) (q * (double) (n - 1) + 0.5);
        return sorted[i < n ? i : n - 1];
}

static void usage(void) {
        fputs("usage: launch-timer [-n ITERATIONS] [-w WARMUP] LABEL CMD [ARG...] "
              "[:: LABEL CMD [ARG...]]...\n", stderr);
}

int main(int argc, char **argv) {
        struct command cmds[MAX_COMMANDS];
        size_t ncmd = 0;
        long iterations = 200, warmup = 5;
        int i = 1;

        for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
                char *end;
                long v = strtol(argv[i + 1], &end, 10);
                if (*end || v < 0 || v > 1000000) {
                        usage();
                        return 2;
                }
                if (strcmp(argv[i], "-n") == 0 && v > 0)
                        iterations = v;
                else if (strcmp(argv[i], "-w") == 0)
                        warmup = v;
                else {
                        usage();
                        return 2;
                }
        }
        /* Split the rest at "::" into LABEL CMD... groups, in place. */
        while (i < argc) {
                if (ncmd == MAX_COMMANDS || i + 1 >= argc) {
                        usage();
                        return 2;
                }
                struct command *c = &cmds[ncmd++];
                memset(c, 0, sizeof *c);
                c->label = argv[i++];
                c->argv = &argv[i];
                while (i < argc && strcmp(argv[i], "::") != 0)
                        i++;
                if (i < argc)
                        argv[i++] = NULL;
                if (!c->argv[0]) {
                        usage();
                        return 2;
                }
                c->us = calloc((size_t) iterations, sizeof *c->us);
                if (!c->us) {
                        perror("calloc");
                        return 1;
                }
        }
        if (ncmd == 0) {
                usage();
                return 2;
        }

        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                perror("/dev/null");
                return 1;
        }

        for (long it = -warmup; it < iterations; it++) {
                for (size_t k = 0; k < ncmd; k++) {
                        /* Rotate the order each round so no command always runs first. */
                        struct command *c = &cmds[(k + (size_t) (it + warmup)) % ncmd];
                        int st = 0;
                        if (c->failed || c->failed_signal)
                                continue;
                        double us = run_once(c->argv, devnull, &st);
                        if (us < 0) {
                                if (st < 0)
                                        c->failed = st;
                                else if (WIFSIGNALED(st))
                                        c->failed_signal = WTERMSIG(st);
                                else
                                        c->failed = WEXITSTATUS(st);
                                continue;
                        }
                        if (it >= 0)
                                c->us[c->n++] = us;
                }
        }

        printf("%-12s %10s %10s %10s %8s\n", "command", "median ms", "p10 ms", "p90 ms", "runs");
        for (size_t k = 0; k < ncmd; k++) {
                struct command *c = &cmds[k];
                if (c->failed || c->failed_signal) {
                        if (c->failed_signal)
                                printf("%-12s FAILED: killed by signal %d\n", c->label,
                                       c->failed_signal);
                        else if (c->failed < 0)
                                printf("%-12s FAILED: %s\n", c->label, strerror(-c->failed));
                        else
                                printf("%-12s FAILED: exit status %d\n", c->label, c->failed);
                        printf("RESULT %s FAILED\n", c->label);
                        continue;
                }
                qsort(c->us, c->n, sizeof *c->us, cmp_double);
                double med = quantile(c->us, c->n, 0.5), p10 = quantile(c->us, c->n, 0.1),
                       p90 = quantile(c->us, c->n, 0.9);
                printf("%-12s %10.3f %10.3f %10.3f %8zu\n", c->label, med / 1e3, p10 / 1e3,
                       p90 / 1e3, c->n);
                printf("RESULT %s %.1f %.1f %.1f\n", c->label, med, p10, p90);
        }
        for (size_t k = 0; k < ncmd; k++)
                free(cmds[k].us);
        close(devnull);
        return 0;
}
