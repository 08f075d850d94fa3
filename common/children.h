/* SPDX-License-Identifier: MIT */
/* The children a thread has forked, read from /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN).
 * Used where no pid namespace ends a sandbox's processes (the fallback): by init, their
 * subreaper (sandbox/init.c), and by the broker's kill (broker/worker.c). */
#pragma once

#include <sys/types.h>

/* Calls fn(child, arg) for every pid listed in /proc/PID/task/TID/children (PID 0: self), the whole file read
 * in pieces and parsed by whole numbers only: a pid cut at the end of one read is completed by
 * the next, never passed on as a shorter, wrong one. A non-zero return of fn stops the walk and
 * is returned. No allocation (init calls it in a clone of a possibly multithreaded broker).
 * Returns 0, fn's return, or a negative errno (the file cannot be opened or read). */
int sbx_children_each(pid_t pid, pid_t tid, int (*fn)(pid_t child, void *arg), void *arg);

/* The parent of pid as /proc tells it, or a negative errno. Only a pidfd taken before the call
 * makes the answer hold for a process rather than for whoever has the pid now. */
pid_t sbx_parent_of(pid_t pid);

/* The value of field (e.g. "NSpid") in /proc/PID/status, to the end of its line, into buf.
 * Returns 0, -ENOENT when there is no such field, or another -errno. */
int sbx_status_field(pid_t pid, const char *field, char *buf, size_t len);
