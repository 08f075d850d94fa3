/* SPDX-License-Identifier: MIT */
/* The broker protocol: every message that crosses between the broker and a sandbox, their
 * sizes, and which are allowed in which state. The broker treats all of it as hostile input.
 *
 * Launch channel: an AF_UNIX SOCK_SEQPACKET pair created by the broker for each worker. The
 * child end is held by the sandbox's init (pid 1 inside, our code) and by the program's process
 * until its exec (the fd is close-on-exec, so the untrusted program never holds it).
 *
 *   broker -> init  SBX_LAUNCH_GO      uid/gid maps and cgroups are in place: set up
 *   broker -> init  SBX_LAUNCH_FILTER  the compiled seccomp filter (struct sbx_launch_filter),
 *                                      sent while init builds the root: compiling it (~1 ms)
 *                                      overlaps the sandbox's own setup instead of preceding it
 *   init   -> broker SBX_LAUNCH_ERROR   a setup step failed (step, errno, detail); init exits
 *   child  -> broker SBX_LAUNCH_EXEC    about to exec; with seccomp, carries the listener fd
 *   child  -> broker SBX_LAUNCH_ERROR   exec failed (step SBX_STEP_EXEC, errno)
 *   init   -> broker SBX_LAUNCH_STATUS  the program ended with wait status `status`; init exits
 *
 * States on the broker side and what each accepts:
 *   WAIT_SETUP : ERROR, EXEC (the single message that may carry an fd: exactly one SCM_RIGHTS
 *                fd, only when seccomp is on)
 *   RUNNING    : ERROR (only step EXEC, only before any STATUS), STATUS
 *   DONE       : nothing
 * Anything else (wrong size, unknown type, out of state, unexpected or missing fds, truncated
 * control data, a detail string that is not NUL-terminated) kills the sandbox.
 */
#pragma once

#include <stdint.h>

enum sbx_launch_type {
	SBX_LAUNCH_GO = 1,
	SBX_LAUNCH_ERROR = 2,
	SBX_LAUNCH_EXEC = 3,
	SBX_LAUNCH_STATUS = 4,
	SBX_LAUNCH_FILTER = 5,
};

/* The fd number of the launch channel inside, before exec. Fixed, so that a compiled filter
 * (which lets sendmsg() through on exactly this fd) does not depend on the broker's fds. */
#define SBX_LAUNCH_FD 200
/* The program's fd inside, which the launcher executes (execveat(SBX_PROGRAM_FD, "", ...)). */
#define SBX_PROGRAM_FD 201

#define SBX_LAUNCH_FILTER_MAX 4096 /* BPF_MAXINSNS */

/* broker -> init only. insns[] holds n_insns struct sock_filter (8 bytes each); the datagram
 * is exactly 8 + 8 * n_insns bytes. n_insns == 0: no seccomp layer (--no-seccomp). */
struct sbx_launch_filter {
	uint32_t type;     /* SBX_LAUNCH_FILTER */
	uint32_t n_insns;
	uint64_t insns[SBX_LAUNCH_FILTER_MAX];
};

/* The setup steps, in the order the sandbox side applies them (sandbox/launch.c). */
enum sbx_step {
	SBX_STEP_NONE = 0,
	SBX_STEP_SYNC,          /* waiting for the broker */
	SBX_STEP_PDEATHSIG,     /* die with the broker */
	SBX_STEP_NETNS,         /* unshare the network namespace */
	SBX_STEP_CGROUPNS,      /* unshare the cgroup namespace */
	SBX_STEP_HOSTNAME,      /* uts */
	SBX_STEP_MOUNTS,        /* the minimal root; detail names the path */
	SBX_STEP_IDENTITY,      /* setresuid/setresgid to the mapped ids */
	SBX_STEP_USERNS_LIMIT,  /* refuse nested user namespaces */
	SBX_STEP_RLIMITS,
	SBX_STEP_FDS,           /* close everything but stdio */
	SBX_STEP_FORK,          /* init forks the program's process */
	SBX_STEP_SESSION,       /* setsid */
	SBX_STEP_CAPS,          /* drop every capability, lock securebits */
	SBX_STEP_NO_NEW_PRIVS,
	SBX_STEP_SECCOMP,       /* load the filter */
	SBX_STEP_EXEC,
	SBX_STEP_MAX_,
};

#define SBX_LAUNCH_DETAIL_MAX 192

struct sbx_launch_msg {
	uint32_t type;   /* enum sbx_launch_type */
	uint32_t step;   /* enum sbx_step, ERROR only */
	int32_t error;   /* positive errno, ERROR only */
	int32_t status;  /* wait status, STATUS only */
	char detail[SBX_LAUNCH_DETAIL_MAX]; /* NUL-terminated; ERROR only, else all zero */
};

/* Human name of a step, for messages ("mount", "seccomp", ...). */
static inline const char *sbx_step_name(uint32_t step)
{
	static const char *const names[SBX_STEP_MAX_] = {
		[SBX_STEP_NONE] = "setup",
		[SBX_STEP_SYNC] = "waiting for the broker",
		[SBX_STEP_PDEATHSIG] = "parent-death signal",
		[SBX_STEP_NETNS] = "network namespace",
		[SBX_STEP_CGROUPNS] = "cgroup namespace",
		[SBX_STEP_HOSTNAME] = "hostname",
		[SBX_STEP_MOUNTS] = "mounts",
		[SBX_STEP_IDENTITY] = "taking on the worker's uid/gid",
		[SBX_STEP_USERNS_LIMIT] = "nested user namespace limit",
		[SBX_STEP_RLIMITS] = "resource limits",
		[SBX_STEP_FDS] = "closing inherited file descriptors",
		[SBX_STEP_FORK] = "fork",
		[SBX_STEP_SESSION] = "new session",
		[SBX_STEP_CAPS] = "dropping capabilities",
		[SBX_STEP_NO_NEW_PRIVS] = "no_new_privs",
		[SBX_STEP_SECCOMP] = "loading the seccomp filter",
		[SBX_STEP_EXEC] = "exec",
	};
	return step < SBX_STEP_MAX_ && names[step] ? names[step] : "unknown step";
}
