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
 * A worker made ready ahead of its job (a pool's, docs/sandbox.md "Ready workers") has no
 * program arguments and no stdio of its own yet; its program's process does everything a cold
 * launch does, filter and handoff included, and its exec is where it waits:
 *   child  -> broker SBX_LAUNCH_READY   as EXEC (names the listener; the broker says TAKEN),
 *                                      then the child calls execveat(SBX_PROGRAM_FD, "", argv,
 *                                      envp, SBX_READY_EXEC_FLAGS) with argv in its struct
 *                                      sbx_launch_job, still empty. Every filter sends that call
 *                                      to the broker, which holds it until a job comes: it
 *                                      writes the job's arguments into the child's struct
 *                                      (/proc/PID/mem, opened at READY), installs the job's
 *                                      stdin, stdout and stderr on 0-2 (SECCOMP_IOCTL_NOTIF_ADDFD
 *                                      with SETFD) and lets the exec continue. Nothing is ever
 *                                      read from the broker inside, and the filter is the one a
 *                                      cold launch loads
 *   init   -> broker SBX_LAUNCH_ERROR   one of init's setup steps failed (step, errno, detail);
 *                                      init exits
 *   child  -> broker SBX_LAUNCH_ERROR   one of the program process's steps failed before its exec;
 *                                      it exits, and init follows with its STATUS
 *   child  -> broker SBX_LAUNCH_EXEC    about to exec; with seccomp, names the listener's fd
 *                                      number in the sender (no fd in flight: an fd in flight
 *                                      counts against the sender's uid, which every sandbox of
 *                                      that uid shares, so a hostile one could fill it); the
 *                                      broker takes it with pidfd_getfd() from the sender, whose
 *                                      pid the kernel attaches (SO_PASSCRED)
 *   broker -> child SBX_LAUNCH_TAKEN   the broker holds the listener: the child, waiting in
 *                                      ppoll() on the channel since EXEC, may exec now
 *   child  -> broker SBX_LAUNCH_ERROR   exec failed (step SBX_STEP_EXEC, errno)
 *   init   -> broker SBX_LAUNCH_STATUS  the program ended with wait status `status`; init exits
 * A zygote (a pool's, docs/sandbox.md "Zygote") is a launch whose init stops before the fork
 * and serves jobs instead, each in new user, mount, pid, ipc and uts namespaces of its own:
 *   init   -> broker SBX_LAUNCH_ZYGOTE  the root is built: ready for jobs
 *   broker -> init  SBX_LAUNCH_JOB     one job (struct sbx_launch_zjob) with four fds: the
 *                                      job's own launch channel, its stdin, stdout, stderr
 *   init   -> broker SBX_LAUNCH_STARTED the job's init is cloned and its maps written: status
 *                                      is its pid in the zygote's pid namespace (the broker finds
 *                                      it among the zygote's children by NSpid and takes a pidfd
 *                                      itself: no fd travels from the sandbox); or error is the
 *                                      errno that kept it from starting (that job's failure only).
 *                                      The job's init then speaks its own launch channel as a
 *                                      cold launch's init does, from GO on
 *
 * States on the broker side (enum sbx_launch_state), what each accepts and where it leads
 * (sbx_launch_allowed below; broker/chan.c decodes with sbx_launch_decode(), which is fuzzed):
 *   SETUP   : ERROR -> FAILED, EXEC -> RUNNING (no message carries an fd; EXEC names the
 *             listener's number, >= 0, when seccomp is on, and 0 otherwise)
 *   PREPARING (a ready worker's first state): ERROR -> FAILED, READY -> READY (READY names
 *             the listener as EXEC does)
 *   READY   : ERROR -> FAILED, STATUS -> ENDED (the ready worker was killed); the broker
 *             itself moves it to RUNNING when it lets the held exec continue with a job
 *   RUNNING : ERROR (only step EXEC) -> FAILED, STATUS -> ENDED
 *   FAILED  : STATUS -> ENDED (the program's process reported its own failure; init follows
 *             with its wait status)
 *   ENDED   : nothing
 *   ZSETUP  (a zygote's first state): ERROR -> FAILED, ZYGOTE -> ZIDLE
 *   ZIDLE   : ERROR -> FAILED
 *   ZJOB    (the broker sent a JOB): ERROR -> FAILED, STARTED -> ZIDLE (no fd; a pid > 0 in
 *             status or an errno in error, 1..4095, never both)
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
	SBX_LAUNCH_TAKEN = 6,
	SBX_LAUNCH_READY = 7,
	SBX_LAUNCH_ZYGOTE = 8,
	SBX_LAUNCH_JOB = 9,
	SBX_LAUNCH_STARTED = 10,
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

/* A ready worker's held exec: execveat(SBX_PROGRAM_FD, "", job.argv, envp, these flags).
 * AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW: valid for an exec by fd (the flag has no path to apply
 * to) and never what a cold launch uses, so every filter can send exactly this call to the
 * broker (broker/policy/compile.c) and nothing else changes. */
#define SBX_READY_EXEC_FLAGS (0x1000 | 0x100)
/* Where a ready worker's job goes, in the program's process (sandbox/launch.c): the broker
 * writes the arguments into args and their addresses into argv, NULL-terminated, at the same
 * addresses as in its own image (the process is a copy of it). A job that does not fit is
 * started the cold way instead (broker/pool.c). */
#define SBX_LAUNCH_JOB_MAX (60 * 1024)
#define SBX_LAUNCH_JOB_ARGS 4096
struct sbx_launch_job {
	char *argv[SBX_LAUNCH_JOB_ARGS + 1];
	char args[SBX_LAUNCH_JOB_MAX];
};

/* broker -> zygote only: one job. args holds argc NUL-terminated strings, len bytes in all;
 * the datagram is exactly offsetof(args) + len bytes. */
#define SBX_ZJOB_OWN_NETNS 0x1u /* the job makes a network namespace of its own */
struct sbx_launch_zjob {
	uint32_t type;   /* SBX_LAUNCH_JOB */
	uint32_t flags;  /* SBX_ZJOB_* */
	uint32_t argc;   /* 1..SBX_LAUNCH_JOB_ARGS */
	uint32_t len;    /* 1..SBX_LAUNCH_JOB_MAX */
	char args[SBX_LAUNCH_JOB_MAX];
};
/* A zygote's nested user namespace limit: room for its jobs' own (the kernel frees ended ones
 * late); what refuses a nested namespace to a job is its own limit, 0. */
#define SBX_ZYGOTE_JOBS_MAX 65536

/* The setup steps of the sandbox side, in the order sandbox/launch.c runs them: init's steps
 * (pid 1), then the program's process's (pid 2). Each step has its own value: a failure
 * reports the step that was running, and `sbx -v` traces each step as it begins. The same
 * list, numbered the same, opens sandbox/launch.c and docs/sandbox.md (tests/test-setup-order
 * checks all three, and the run-time order). The broker and the sandbox are built together:
 * renumbering is fine, the broker only checks 0 < step < SBX_STEP_MAX_. */
enum sbx_step {
	SBX_STEP_NONE = 0,
	/* init */
	SBX_STEP_PDEATHSIG,        /* die with the broker */
	SBX_STEP_FIXED_FDS,        /* launch channel, program, resources to their fixed numbers */
	SBX_STEP_NETNS,            /* unshare the network namespace */
	SBX_STEP_SYNC,             /* wait for GO: maps and cgroups are in place */
	SBX_STEP_CGROUPNS,         /* unshare the cgroup namespace */
	SBX_STEP_HOSTNAME,         /* uts */
	SBX_STEP_MOUNT_SOURCES,    /* clone the bind sources; detail names the path */
	SBX_STEP_REOPEN_RO,        /* program, stdio, grants through read-only mounts */
	SBX_STEP_IDENTITY,         /* setresuid/setresgid to the mapped ids */
	SBX_STEP_PDEATHSIG_AGAIN,  /* cleared by the euid change: armed again */
	SBX_STEP_ROOT,             /* build the root and pivot; detail names the path */
	SBX_STEP_JOB_ROOT,         /* a zygote's job: its own /tmp, /dev/shm and /proc */
	SBX_STEP_USERNS_LIMIT,     /* refuse nested user namespaces */
	SBX_STEP_CLOSE_FDS,        /* close everything but stdio, the slots and the launch fds */
	SBX_STEP_NON_DUMPABLE,     /* PR_SET_DUMPABLE 0 */
	SBX_STEP_INIT_SIGNALS,     /* init's handlers and blocked mask */
	SBX_STEP_FILTER,           /* receive the compiled filter */
	SBX_STEP_ZYGOTE,           /* a zygote: serve jobs (each job's init goes on from step 1) */
	SBX_STEP_FORK,             /* init forks the program's process */
	SBX_STEP_INIT_CAPS,        /* init drops every capability, then supervises */
	/* the program's process */
	SBX_STEP_SESSION,          /* signals to defaults, setsid */
	SBX_STEP_EXEC_FDS,         /* clear close-on-exec on the fds that cross the exec */
	SBX_STEP_RLIMITS,
	SBX_STEP_CAPS,             /* drop every capability, lock securebits */
	SBX_STEP_NO_NEW_PRIVS,
	SBX_STEP_LANDLOCK,         /* restrict opens to the sandbox's tree */
	SBX_STEP_SECCOMP,          /* load the filter */
	SBX_STEP_HANDOFF,          /* EXEC (a ready worker: READY) with the listener to the broker */
	SBX_STEP_JOB,              /* a ready worker: its exec, held by the broker until a job */
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
	int32_t listener; /* EXEC with seccomp: the listener's fd number in the sender, else 0 */
};

enum sbx_launch_state {
	SBX_LAUNCH_STATE_SETUP = 0,
	SBX_LAUNCH_STATE_RUNNING = 1,
	SBX_LAUNCH_STATE_FAILED = 2,
	SBX_LAUNCH_STATE_ENDED = 3,
	SBX_LAUNCH_STATE_PREPARING = 4,
	SBX_LAUNCH_STATE_READY = 5,
	SBX_LAUNCH_STATE_ZSETUP = 6,
	SBX_LAUNCH_STATE_ZIDLE = 7,
	SBX_LAUNCH_STATE_ZJOB = 8,
	SBX_LAUNCH_STATE_MAX_,
};

/* Which message types each state accepts from the sandbox (bit 1 << type). */
static const uint32_t sbx_launch_allowed[SBX_LAUNCH_STATE_MAX_] = {
	[SBX_LAUNCH_STATE_SETUP] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_EXEC),
	[SBX_LAUNCH_STATE_RUNNING] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_STATUS),
	[SBX_LAUNCH_STATE_FAILED] = (1u << SBX_LAUNCH_STATUS),
	[SBX_LAUNCH_STATE_ENDED] = 0,
	[SBX_LAUNCH_STATE_PREPARING] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_READY),
	[SBX_LAUNCH_STATE_READY] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_STATUS),
	[SBX_LAUNCH_STATE_ZSETUP] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_ZYGOTE),
	[SBX_LAUNCH_STATE_ZIDLE] = (1u << SBX_LAUNCH_ERROR),
	[SBX_LAUNCH_STATE_ZJOB] = (1u << SBX_LAUNCH_ERROR) | (1u << SBX_LAUNCH_STARTED),
};

/* Human name of a step, for messages ("sandbox setup failed at step 'NAME'") and the -v trace.
 * sandbox/launch.c's opening comment and docs/sandbox.md use the same names. */
static inline const char *sbx_step_name(uint32_t step)
{
	static const char *const names[SBX_STEP_MAX_] = {
		[SBX_STEP_NONE] = "setup",
		[SBX_STEP_PDEATHSIG] = "parent-death signal",
		[SBX_STEP_FIXED_FDS] = "fixed fd numbers",
		[SBX_STEP_NETNS] = "network namespace",
		[SBX_STEP_SYNC] = "waiting for the broker",
		[SBX_STEP_CGROUPNS] = "cgroup namespace",
		[SBX_STEP_HOSTNAME] = "hostname",
		[SBX_STEP_MOUNT_SOURCES] = "cloning the bind sources",
		[SBX_STEP_REOPEN_RO] = "reopening read-only",
		[SBX_STEP_IDENTITY] = "taking on the worker's uid/gid",
		[SBX_STEP_PDEATHSIG_AGAIN] = "parent-death signal, again",
		[SBX_STEP_ROOT] = "building the root",
		[SBX_STEP_JOB_ROOT] = "the job's own mounts",
		[SBX_STEP_USERNS_LIMIT] = "nested user namespace limit",
		[SBX_STEP_CLOSE_FDS] = "closing inherited file descriptors",
		[SBX_STEP_NON_DUMPABLE] = "non-dumpable",
		[SBX_STEP_INIT_SIGNALS] = "init's signal handlers",
		[SBX_STEP_FILTER] = "receiving the filter",
		[SBX_STEP_ZYGOTE] = "serving jobs",
		[SBX_STEP_FORK] = "fork",
		[SBX_STEP_INIT_CAPS] = "init dropping capabilities",
		[SBX_STEP_SESSION] = "new session",
		[SBX_STEP_EXEC_FDS] = "fds that cross the exec",
		[SBX_STEP_RLIMITS] = "resource limits",
		[SBX_STEP_CAPS] = "dropping capabilities",
		[SBX_STEP_NO_NEW_PRIVS] = "no_new_privs",
		[SBX_STEP_LANDLOCK] = "landlock",
		[SBX_STEP_SECCOMP] = "loading the seccomp filter",
		[SBX_STEP_HANDOFF] = "handing the listener to the broker",
		[SBX_STEP_JOB] = "waiting for the job",
		[SBX_STEP_EXEC] = "exec",
	};
	return step < SBX_STEP_MAX_ && names[step] ? names[step] : "unknown step";
}

/* ==== Run-time requests: worker <-> broker =====================================================
 *
 * A second AF_UNIX SOCK_SEQPACKET pair per worker, created only when the worker may ask for
 * anything. The worker's end is a plain fd inside (its number in SBX_FD_BROKER); a cooperating
 * worker uses the client library (include/sbx-client.h) to speak it.
 *
 *   worker -> broker  SBX_REQ_OPEN      open PATH below the granted directory DIR (flags)
 *   worker -> broker  SBX_REQ_CAPTURE   the next packet capture fd (named resource)
 *   worker -> broker  SBX_REQ_LOG       an event for the audit log
 *   worker -> broker  SBX_REQ_DONE      no more fd requests: the broker moves it to state LOCKED
 *   broker -> worker  SBX_REP_FD        one fd (SCM_RIGHTS), answer to OPEN/CAPTURE
 *   broker -> worker  SBX_REP_ERROR     refused or failed: error holds a positive errno
 *   broker -> worker  SBX_REP_OK        answer to LOG and DONE
 *   broker -> worker  SBX_PUSH_FD       an fd the host application hands a running worker
 *
 * States (broker side) and what each accepts from the worker:
 *   RUN    : OPEN, CAPTURE, LOG, DONE
 *   LOCKED : LOG
 * Every datagram from a worker is checked before anything else is looked at: at least the
 * header and at most SBX_REQ_MAX bytes, header.len equal to what was received, a known type
 * allowed in the current state, strings NUL-terminated within their field, no fds attached
 * (a worker never sends fds), no truncation. A worker that breaks any of this, exceeds its
 * quotas (SBX_REQ_QUOTA requests, SBX_REQ_FD_QUOTA fds granted) or sends faster than the broker
 * allows is killed and reported; the broker and every other worker carry on.
 *
 * Versions: every datagram, either way, starts with struct sbx_req_hdr, whose layout no version
 * may change, and its version field names the layout of the rest. A request of another version
 * (after the checks above that need no layout: size, header length, fds, truncation) is not a
 * violation but a worker linked against another libsbx-client: the broker answers it
 * SBX_REP_ERROR with EPROTONOSUPPORT and the worker's own version in the header, which any
 * client turns into -EPROTONOSUPPORT, and audits "worker speaks request protocol version N,
 * broker speaks M". Clients before versioning sent a 32-bit type where type and version now
 * are, which reads as version 0 (little-endian, as on every machine sbx supports). The broker
 * also announces its version in the worker's environment, SBX_BROKER_PROTOCOL=N, so that a
 * client can refuse before sending anything. */

#define SBX_REQ_VERSION 1

#define SBX_REQ_MAX 4096
#define SBX_REQ_NAME_MAX 64      /* resource names, NUL included */
#define SBX_REQ_PATH_MAX 1024    /* relative paths, NUL included */
#define SBX_REQ_TEXT_MAX 512     /* log text, NUL included */
#define SBX_REQ_QUOTA 4096       /* requests per worker */
#define SBX_REQ_FD_QUOTA 256     /* fds granted per worker */
#define SBX_REQ_BURST 1000       /* requests per second before the worker counts as flooding */

enum sbx_req_type {
	SBX_REQ_OPEN = 1,
	SBX_REQ_CAPTURE = 2,
	SBX_REQ_LOG = 3,
	SBX_REQ_DONE = 4,
	SBX_REP_FD = 0x81,
	SBX_REP_ERROR = 0x82,
	SBX_REP_OK = 0x83,
	SBX_PUSH_FD = 0x84,
};

enum sbx_req_state { SBX_REQ_STATE_RUN = 0, SBX_REQ_STATE_LOCKED = 1 };

/* Which request types each state accepts (bit 1 << type). */
static const uint32_t sbx_req_allowed[2] = {
	[SBX_REQ_STATE_RUN] = (1u << SBX_REQ_OPEN) | (1u << SBX_REQ_CAPTURE) | (1u << SBX_REQ_LOG) |
			      (1u << SBX_REQ_DONE),
	[SBX_REQ_STATE_LOCKED] = (1u << SBX_REQ_LOG),
};

/* Open flags on the wire (not O_* values: the broker maps them itself). */
#define SBX_OPEN_READ 0x1u
#define SBX_OPEN_WRITE 0x2u
#define SBX_OPEN_CREATE 0x4u
#define SBX_OPEN_TRUNC 0x8u
#define SBX_OPEN_DIRECTORY 0x10u
#define SBX_OPEN_ALL 0x1fu

struct sbx_req_hdr {
	uint16_t type;    /* enum sbx_req_type */
	uint16_t version; /* SBX_REQ_VERSION; a reply carries the version of its request */
	uint32_t len;     /* of the whole datagram */
	uint64_t id;      /* chosen by the worker, echoed in the reply */
};
_Static_assert(sizeof(struct sbx_req_hdr) == 16, "the header is the same in every version");

struct sbx_req_open {
	struct sbx_req_hdr h;
	uint32_t flags;                  /* SBX_OPEN_* */
	uint32_t mode;                   /* with SBX_OPEN_CREATE; masked to 0666 */
	char dir[SBX_REQ_NAME_MAX];      /* a granted directory resource */
	char path[SBX_REQ_PATH_MAX];     /* relative to it */
};

struct sbx_req_capture {
	struct sbx_req_hdr h;
	char name[SBX_REQ_NAME_MAX];     /* a capture resource */
};

struct sbx_req_log {
	struct sbx_req_hdr h;
	uint32_t level;                  /* 0 info, 1 warning, 2 error */
	uint32_t reserved;               /* 0 */
	char text[SBX_REQ_TEXT_MAX];
};

struct sbx_rep {
	struct sbx_req_hdr h;            /* type SBX_REP_* or SBX_PUSH_FD; id and version echo the
	                                    request (a push: SBX_REQ_VERSION) */
	int32_t error;                   /* SBX_REP_ERROR: positive errno */
	uint32_t reserved;
	char name[SBX_REQ_NAME_MAX];     /* SBX_PUSH_FD: the name the host gave the fd */
};
