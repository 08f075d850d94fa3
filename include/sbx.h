/* SPDX-License-Identifier: MIT */
/* libsbx: run untrusted programs as zero-capability workers supervised by a broker that lives
 * in the caller's libevent loop.
 *
 * Conventions:
 *  - Every function returns 0 (or a non-negative value) on success and a negative errno on
 *    failure; an optional struct sbx_error (SBX_ERROR_INIT, then sbx_error_free()) receives
 *    a human-readable message naming the step. On failure, the other output parameters (*ret)
 *    are left untouched; on success, the struct sbx_error is.
 *  - ABI: the structs the caller fills carry their size (struct sbx_callbacks) or are fixed for
 *    good (struct sbx_error); the structs the library hands to a callback (struct sbx_exit,
 *    struct sbx_audit) may gain members at their end, so never allocate one yourself. No
 *    struct holds an enum (its width is the compiler's choice, -fshort-enums): a field that
 *    carries an enum's values is an int32_t and names the enum. Strings in structs are
 *    pointers, valid for the time stated at the struct, never fixed arrays.
 *  - The library never prints, never exits, never blocks the caller's loop. (One exception,
 *    named as such: sbx_policy_cli(), which is a command.)
 *  - Handles are opaque. Ownership of every pointer parameter is stated: "borrowed" means the
 *    library copies what it needs before returning; "taken" means the library frees it.
 *
 * Verbs:
 *  - sbx_THING_new(..., struct sbx_THING **ret): a new handle, the caller's on success;
 *    sbx_THING_new_VARIANT() where there is more than one way to make one
 *    (sbx_policy_new_default). sbx_worker_spawn() is the worker's constructor: a worker
 *    exists only as a running process, so making one is starting it.
 *  - sbx_THING_free(): releases a handle and everything it owns. Accepts NULL.
 *  - sbx_config_set_X(): replaces one setting; sbx_config_add_X(): appends to a list.
 *  - sbx_THING_NOUN(): reads a property (sbx_worker_pid, sbx_learn_count, sbx_version).
 *  - Any other verb acts on a handle (sbx_worker_signal, sbx_worker_send_fd,
 *    sbx_learn_record, sbx_learn_write).
 *
 * Threads: libsbx starts no threads. Its global state is the per-worker ids it holds
 * (sbx_config_set_id_range), behind a lock, and two tables filled on first use, safely from
 * any thread (once, or published atomically): the system call names behind a policy error's
 * "did you mean", and libpcap, loaded for the first capture filter (libpcap compiles filters
 * in several threads at once from its version 1.8).
 *  - A worker belongs to the event_base it was spawned on: its callbacks run in the thread
 *    dispatching that base, and sbx_worker_*() must be called from that thread (or while no
 *    thread dispatches it). Each thread may run its own base with its own workers.
 *  - Handles are not locked: one shared between threads needs the caller's lock. That holds
 *    for a config given to sbx_worker_spawn() from two threads too, since spawning caches the
 *    compiled filter in the config.
 *  - sbx_worker_spawn() is safe while other threads run: the sandbox's first process is cloned
 *    from the calling thread alone and, until it executes the program, makes only system calls
 *    and formats into its own stack (no malloc, no stdio, no lock another thread might hold).
 *  - No process-wide state is touched: no signal handler or mask (writes use MSG_NOSIGNAL, a
 *    worker's end is seen through a pidfd, no SIGCHLD is asked for), no environment, no
 *    working directory, no umask.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct sbx_policy;
struct sbx_config;
struct sbx_worker;
struct sbx_learn;
struct sbx_pool;

/* A failure, described. Initialise with SBX_ERROR_INIT (or zero it) before its first use and
 * release it with sbx_error_free(). A failing call that takes one replaces what it held (the
 * previous message is freed); a succeeding call leaves it alone; so one struct may serve many
 * calls, with one sbx_error_free() at the end.
 * Why a pointer rather than a char array: a message quotes paths and policy text of any
 * length, and an array would either cut it or freeze its length into the ABI (the way of
 * systemd's sd_bus_error). The struct itself is the caller's, so its layout is fixed for good:
 * these three members, nothing added later. */
struct sbx_error {
	int code;            /* negative errno */
	int status;          /* the sbx(1) exit status it maps to: 127 program not found, 126 not
	                        executable, else 125 */
	const char *message; /* e.g. "policy.policy:3:7: unknown system call 'opne'"; NULL until a
	                        call fails, then never NULL; owned by the struct, valid until the
	                        next failing call that is given the struct, or sbx_error_free() */
};

#define SBX_ERROR_INIT { 0, 0, NULL }

/* Free the message and zero the struct (reusable as after SBX_ERROR_INIT). Accepts NULL, a
 * zeroed struct, and a struct already freed. */
void sbx_error_free(struct sbx_error *err);

/* ---- Policies ---- */

/* Load a policy file, or a shipped policy by name ("default", "pcap"). A name is looked up as
 * NAME.policy in $SBX_POLICY_PATH's folders (ignored by a program that gained privileges at
 * exec), then in the installed share/sbx/policies, then among the bases built in; never beside
 * the calling program's binary (only the sbx command's build-tree copy looks there). params is a
 * NULL-terminated array of "name=value" strings (borrowed) or NULL. On success *ret is the
 * caller's (until given to sbx_config_set_policy). */
int sbx_policy_new(const char *path_or_name, const char *const *params, struct sbx_policy **ret,
		   struct sbx_error *err);
/* The built-in default policy. */
int sbx_policy_new_default(struct sbx_policy **ret, struct sbx_error *err);
void sbx_policy_free(struct sbx_policy *p);

/* `sbx policy check [--param N=V]... FILE...` and `sbx policy explain [--bpf] [--param N=V]...
 * FILE`, for a host that offers sbx's command line. argv[0] is "policy" (argv[1] may be too:
 * main's own argc/argv are accepted); argv and its strings are borrowed. The one function that
 * prints: results to stdout, diagnostics to stderr. Returns an exit status: 0 when every file
 * parsed and compiled, 1 on a policy error, 2 on a usage error. */
int sbx_policy_cli(int argc, char **argv);

/* ---- Learn mode: a policy written from what one run did ---- */

/* An empty recorder. On success *ret is the caller's. */
int sbx_learn_new(struct sbx_learn **ret);
/* Record one system call as the learn-mode callback reports it (sbx_callbacks.syscall; args:
 * borrowed). Calls are kept in order. -ENOMEM when this one could not be kept, -E2BIG past
 * 16M calls: the recording is cut short there and what it holds stays usable. */
int sbx_learn_record(struct sbx_learn *l, uint32_t arch, int nr, const uint64_t args[6]);
/* Keep the filesystem (ro, rw, tmpfs), limits and resources of the policy the run is learned
 * under (p: borrowed, copied as policy lines), so the learned policy runs in the same setup.
 * Once per recorder (-EINVAL the second time). 0, -EINVAL or -ENOMEM. */
int sbx_learn_set_policy(struct sbx_learn *l, const struct sbx_policy *p);
/* A path the run was given besides the policy's (sbx_config_add_path), written as an `ro` or
 * `rw` line; a path already kept is not written twice. path: borrowed, absolute. -EINVAL for a
 * path the policy language cannot quote (a '"', a newline, "${"). */
int sbx_learn_add_path(struct sbx_learn *l, const char *path, bool writable);
/* Keep the directory and capture grants cfg gives the worker besides its policy's
 * (sbx_config_add_dir, sbx_config_add_capture: the command line's --dir and --capture) as
 * `resource` lines, in the order added, with their mode, pattern, promisc, tx and filter, so that
 * the learned policy grants them alone and the brokered rules it writes (`open openat creat:
 * broker if dir else allow`, `socket: arg0 == AF_PACKET -> broker if capture else errno EACCES`)
 * find them. Every such grant is kept, used by the run or not: each may also reach the program
 * as an fd at start, which the recorder cannot tell apart from any other. Other grants (files,
 * sockets, fds) and one a policy cannot write (a relative path, a value it cannot quote) become
 * a comment naming them: give those again. cfg: borrowed, read now (grants added to it later are
 * not kept). Once per recorder (-EINVAL the second time). 0, -EINVAL or -ENOMEM. */
int sbx_learn_add_grants(struct sbx_learn *l, const struct sbx_config *cfg);
/* The number of calls recorded. */
size_t sbx_learn_count(const struct sbx_learn *l);
/* Write a minimal policy that lets the recorded run succeed: whole groups where every member
 * was used, argument conditions for ioctl requests (the terminal queries TCGETS and TIOCGWINSZ
 * always, so it runs whether stdio is a terminal, a pipe or a file) and socket families (a
 * packet socket brokered under a capture grant, never allowed plainly; the opens the run made
 * brokered under a directory grant), the lines kept by sbx_learn_set_policy,
 * sbx_learn_add_path and sbx_learn_add_grants, `exec none` unless the
 * program executed something after its own launch (the first execve is the launcher's). Calls
 * of a foreign architecture are listed as comments (they are always killed). fd: borrowed,
 * written with write(2), neither closed nor synced. Returns 0, -ENOMEM or write's errno. */
int sbx_learn_write(const struct sbx_learn *l, int fd);
void sbx_learn_free(struct sbx_learn *l);

/* ---- Launch configuration ---- */

/* A configuration with the defaults: the built-in policy, seccomp on, host uid/gid 65534.
 * On success *ret is the caller's. */
int sbx_config_new(struct sbx_config **ret);
void sbx_config_free(struct sbx_config *cfg);

/* The policy is taken: the config frees it. NULL selects the built-in default policy. */
int sbx_config_set_policy(struct sbx_config *cfg, struct sbx_policy *policy);
/* Make a host path visible at the same place inside, read-only or writable. path: borrowed. */
int sbx_config_add_path(struct sbx_config *cfg, const char *path, bool writable);
/* These override the policy's limits; 0: no override (the policy's limit, else the default). */
int sbx_config_set_time_limit_ms(struct sbx_config *cfg, uint64_t ms);
int sbx_config_set_memory_limit(struct sbx_config *cfg, uint64_t bytes);
int sbx_config_set_pids_limit(struct sbx_config *cfg, uint64_t n);
/* After sbx_worker_signal() forwards SIGINT, SIGTERM or SIGHUP, kill the whole sandbox if it is
 * still running ms later (a program may ignore the signal). Default 10000; 0: never. */
int sbx_config_set_kill_after_ms(struct sbx_config *cfg, uint64_t ms);
/* Diagnosis only: run without the seccomp layer. */
int sbx_config_set_seccomp(struct sbx_config *cfg, bool enabled);
/* Where a layer of the sandbox cannot be applied here (a container's seccomp profile refuses
 * mounts, /proc is masked, user namespaces are off: what `sbx doctor` reports), run with the
 * strongest layers this place allows instead of failing, each missing promise kept by another
 * route where one exists (docs/sandbox.md, "Fallback"); the spawn logs what is missing once as a
 * warning, and sbx_worker_fallback() names it. Off by default: a missing layer fails the spawn.
 * A policy's `fallback allow` line turns it on as well. */
int sbx_config_set_fallback(struct sbx_config *cfg, bool enabled);
/* The host uid/gid the worker runs as when the broker runs as root (default 65534). Refuses 0. */
int sbx_config_set_host_id(struct sbx_config *cfg, uid_t uid, gid_t gid);
/* Give each worker its own host uid/gid: base + k for the lowest k in [0, count) no other
 * worker of this process holds. As root the broker maps them itself; unprivileged, through
 * newuidmap/newgidmap, which only accept ranges /etc/subuid and /etc/subgid grant the caller. */
int sbx_config_set_id_range(struct sbx_config *cfg, uid_t uid_base, gid_t gid_base, uint32_t count);
/* The same, with the range /etc/subuid and /etc/subgid give NAME (e.g. "sbx"); NULL or "self":
 * the caller's own (by user name or uid), which is what an unprivileged caller can use.
 * -ENOENT if there is none. */
int sbx_config_set_subid(struct sbx_config *cfg, const char *name);
/* Learn mode: let every system call through and report each one (see sbx_callbacks.syscall). */
int sbx_config_set_learn(struct sbx_config *cfg, bool learn);

enum sbx_log_level { SBX_LOG_ERROR, SBX_LOG_WARNING, SBX_LOG_NOTICE, SBX_LOG_DEBUG };
/* Setup steps and notices are reported through this function (called from the event loop).
 * userdata: borrowed, must outlive the config and every worker spawned from it. */
typedef void (*sbx_log_fn)(enum sbx_log_level level, const char *message, void *userdata);
int sbx_config_set_log(struct sbx_config *cfg, sbx_log_fn fn, void *userdata);

/* The sandbox side also writes its setup steps to the worker's stderr (for sbx -v). */
int sbx_config_set_verbose(struct sbx_config *cfg, bool verbose);

/* ---- Resources: opened by the broker, handed to the worker as fds ----
 * Each appears inside at a fixed fd number (3, 4, ... in the order added), announced in the
 * environment as SBX_FD_<NAME>=N and with the systemd convention (LISTEN_FDS, LISTEN_FDNAMES,
 * LISTEN_PID). name: [A-Za-z0-9_], borrowed. Paths and addresses: borrowed. */

#define SBX_ACCESS_READ 0x1u
#define SBX_ACCESS_WRITE 0x2u
#define SBX_ACCESS_CREATE 0x4u
#define SBX_ACCESS_TRUNC 0x8u

/* A file, opened with access (SBX_ACCESS_*). */
int sbx_config_add_file(struct sbx_config *cfg, const char *name, const char *path, unsigned access);
/* A directory. The worker may ask the broker (sbx-client.h) to open regular files below it
 * with at most `access`, matching `pattern` (fnmatch, '*' does not cross '/'; NULL: "*").
 * Without a pattern (NULL or "*") the worker also gets the directory itself, O_PATH, through a
 * private clone of its mount (read-only unless access has write): openat() below it works, and
 * ".." stops at it. With a pattern it is served by requests only (no fd), since a directory fd
 * would reach every file below it whatever the pattern says. */
int sbx_config_add_dir(struct sbx_config *cfg, const char *name, const char *path, unsigned access,
		       const char *pattern);
#define SBX_CAPTURE_PROMISC 0x1u /* put the interface into promiscuous mode */
#define SBX_CAPTURE_TX 0x2u      /* the worker may transmit through its packet sockets */

/* An AF_PACKET capture socket on iface ("any" or NULL: all), with flags (SBX_CAPTURE_*; any
 * other bit: -EINVAL) and an optional pcap filter expression compiled by the broker and locked
 * onto the socket. Needs CAP_NET_RAW in the broker. The worker may ask for further sockets like
 * it, and a policy with a `-> broker` rule answers the program's own socket(AF_PACKET) with one.
 * Without SBX_CAPTURE_TX the worker cannot transmit through the sockets the filter guards
 * (docs/policy.md, "Brokered calls"). Before libsbx 0.x had flags this argument was
 * `bool promisc`: true is SBX_CAPTURE_PROMISC, so old callers keep their meaning. */
int sbx_config_add_capture(struct sbx_config *cfg, const char *name, const char *iface, unsigned flags,
			   const char *filter);
/* A socket: "tcp:HOST:PORT", "udp:HOST:PORT" or "unix:PATH"; connected, or bound and
 * listening when listen is true. */
int sbx_config_add_socket(struct sbx_config *cfg, const char *name, const char *address, bool listen);
/* An fd the caller holds (duplicated now; the caller keeps its own). */
int sbx_config_add_fd(struct sbx_config *cfg, const char *name, int fd);
/* Give the worker a request channel to the broker even without dir or capture resources (so
 * that sbx_worker_send_fd() can hand it fds later). */
int sbx_config_set_requests(struct sbx_config *cfg, bool enabled);

/* ---- Running sandboxes: the state directory and the system log ----
 * By default each worker has an entry in the caller's state directory while it runs (what
 * `sbx ps` lists): /run/sbx as root, $XDG_RUNTIME_DIR/sbx when that directory is the caller's,
 * else /run/user/UID/sbx when that one is, else none (mode 0700, owned by the caller). The entry holds the pids, the uid, the
 * policy and the namespaces; the broker keeps it locked (flock) while it lives, removes it when
 * the worker ends, and an entry whose broker died is removed by the next spawn or `sbx ps`. */
int sbx_config_set_state(struct sbx_config *cfg, bool enabled);
/* Also write each worker's namespaces to the system log (syslog(3), LOG_AUTHPRIV, notice) for
 * intrusion detection (docs/ids.md). Off by default. */
int sbx_config_set_syslog(struct sbx_config *cfg, bool enabled);

/* ---- Workers ---- */

/* The values of struct sbx_exit.kind; fixed, new ones only added at the end. */
enum sbx_exit_kind {
	SBX_EXIT_EXITED = 0,       /* the program exited; code holds its status */
	SBX_EXIT_SIGNALED = 1,     /* the program died of signal `signal` */
	SBX_EXIT_VIOLATION = 2,    /* the seccomp layer stopped it; see syscall, suggestion */
	SBX_EXIT_TIMEOUT = 3,      /* the time limit ended it */
	SBX_EXIT_SETUP_FAILED = 4, /* the sandbox could not be set up; message names the step */
	SBX_EXIT_EXEC_FAILED = 5,  /* the program could not be executed inside; error holds the errno */
	SBX_EXIT_KILLED = 6,       /* sbx_worker_kill() or the broker ended it (also after the grace
	                              period of sbx_config_set_kill_after_ms(); message says so) */
	SBX_EXIT_MEMORY = 7,       /* the memory cgroup's limit ended it (OOM kill); status 137 */
};

/* How a worker ended, as the exit callback sees it. Owned by the worker: the strings (never
 * NULL, "" when there is nothing to say) stay valid during the exit callback and after it, until
 * sbx_worker_free() of that worker; a copy of the struct shares them, so copy the strings too
 * to keep them longer. */
struct sbx_exit {
	int32_t kind;           /* enum sbx_exit_kind */
	int code;               /* exit status (EXITED) */
	int signal;             /* signal number (SIGNALED, VIOLATION: SIGSYS) */
	int error;              /* positive errno (SETUP_FAILED, EXEC_FAILED) */
	int status;             /* the sbx(1) exit status this maps to: code, 128+N, 159, 124, 125-127 */
	const char *message;    /* one line for the user, "" for a normal exit */
	const char *syscall;    /* VIOLATION: the call, e.g. "socket(AF_INET, SOCK_STREAM, 0)"; else "" */
	const char *suggestion; /* VIOLATION: the policy line that would allow it, or "refused by
	                           design: WHY" for a call no policy should allow (ptrace, mount,
	                           bpf ...); else "" */
};

/* One decision of the broker on a worker's request, for the audit log. */
struct sbx_audit {
	const char *request;   /* "open", "capture", "log", "done", "push" */
	const char *target;    /* the path, resource name or log text */
	bool granted;
	int error;             /* positive errno when refused or failed */
	const char *rule;      /* what decided, e.g. "dir in=/srv/in:r pattern '*.pcap'" */
};

/* The namespaces a worker's sandbox consists of, recorded once they all exist. The strings and
 * the array are valid during the callback only. */
struct sbx_namespace {
	const char *type;      /* "user", "mnt", "pid", "ipc", "uts", "net", "cgroup" (/proc/PID/ns/) */
	uint64_t inode;        /* as lsns and `readlink /proc/PID/ns/TYPE` show it */
};

struct sbx_namespaces {
	pid_t pid;             /* the host pid of the sandbox's init (sbx_worker_pid) */
	uid_t uid;             /* the host uid the worker runs as */
	const char *policy;    /* the policy's file, or "default" */
	size_t n;
	const struct sbx_namespace *ns;
};

/* What the library calls back. The struct grows at its end as libsbx learns new events: set
 * size to sizeof(struct sbx_callbacks) as your sbx.h declares it, and a newer library treats
 * the members your struct lacks as NULL. sbx_worker_spawn() refuses (-EINVAL) a size smaller
 * than this first version's or larger than the library's own (a program built against a newer
 * sbx.h than the library it runs with). Any member may be NULL. */
struct sbx_callbacks {
	size_t size;
	/* The worker has ended; called once. The worker handle stays valid until freed; freeing it
	 * from inside this callback is allowed. */
	void (*exit)(struct sbx_worker *w, const struct sbx_exit *e, void *userdata);
	/* Learn mode: one call per system call the program made (arch, nr, args). */
	void (*syscall)(struct sbx_worker *w, uint32_t arch, int nr, const uint64_t args[6], void *userdata);
	/* Every decision on a worker's request (granted, refused, with the rule); a's strings are
	 * valid during the callback only. */
	void (*audit)(struct sbx_worker *w, const struct sbx_audit *a, void *userdata);
	/* Added in 0.2: the sandbox's namespaces, once they all exist (just before the program
	 * runs); called at most once, not at all when they could not be read. */
	void (*namespaces)(struct sbx_worker *w, const struct sbx_namespaces *ns, void *userdata);
};

/* Start PROGRAM with argv (both borrowed; argv NULL-terminated, argv[0] is passed as is).
 * PROGRAM is resolved like a shell would (PATH of the calling process) and opened here, then
 * executed by fd inside. cfg and userdata are borrowed and must outlive the worker (free the
 * workers first, then the config); cb (NULL: no callbacks) is copied. The call is synchronous
 * up to the clone (about a millisecond); everything after happens in the loop.
 * The worker's events are added to base. On success *ret is owned by the caller. */
int sbx_worker_spawn(struct event_base *base, const struct sbx_config *cfg,
		     const char *program, char *const argv[],
		     const struct sbx_callbacks *cb, void *userdata,
		     struct sbx_worker **ret, struct sbx_error *err);
/* Host pid of the worker's init (pid 1 inside). */
pid_t sbx_worker_pid(const struct sbx_worker *w);
/* The layers the fallback left out of this worker's sandbox, as comma-separated keys of
 * `sbx doctor --json` ("mountns,proc,utsns"); "" for the full sandbox. Valid until
 * sbx_worker_free(). */
const char *sbx_worker_fallback(const struct sbx_worker *w);
/* Forward a signal to the program inside. SIGKILL ends the whole sandbox. */
int sbx_worker_signal(struct sbx_worker *w, int sig);
/* Hand a running worker one more fd (a new capture, an accepted connection). fd is borrowed
 * (duplicated into the message); name (borrowed) is what the worker's client sees. Needs the
 * request channel (a dir or capture resource, or sbx_config_set_requests). */
int sbx_worker_send_fd(struct sbx_worker *w, const char *name, int fd);

/* Free a worker; a running one is killed first and its cgroups removed. */
void sbx_worker_free(struct sbx_worker *w);

/* ---- Pools: many short jobs from one configuration ----
 *
 * A pool starts workers like sbx_worker_spawn(), with the same callbacks and the same handle,
 * for a host that runs one untrusted program per input (a conversion service, a decoder per
 * flow). What a pool holds ahead of the jobs is the setup that is safe to share: one empty
 * network namespace (loopback down, no routes), which each worker enters instead of making
 * its own, the most expensive part of a launch. Each job still gets its own user, mount, pid,
 * ipc and uts namespaces, its own /tmp, its own host uid with an id range, a fresh exec, zero
 * capabilities, Landlock and the seccomp filter. The namespace is shared only with the built-in
 * default policy and seccomp on (socket() refused), Landlock ABI 6 (abstract unix sockets
 * scoped to each job) and a broker that may setns() (root); otherwise every worker makes its
 * own, exactly as sbx_worker_spawn() would (sbx_pool_shares_netns() says which). Why sharing
 * is safe: docs/sandbox.md, "Many jobs".
 *
 *	static void done(struct sbx_worker *w, const struct sbx_exit *e, void *ud)
 *	{
 *		printf("%s: %d\n", (const char *)ud, e->status);
 *		sbx_worker_free(w);                       // allowed in the exit callback
 *	}
 *	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = done };
 *
 *	struct sbx_pool *pool;
 *	if (sbx_pool_new(base, cfg, &pool, &err) < 0) ...
 *	for (each input) {
 *		int out = open(output_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
 *		int stdio[3] = { -1, out, -1 };           // stdin and stderr: the caller's
 *		char *argv[] = { "pdftotext", input, "-", NULL };
 *		struct sbx_worker *w;
 *		if (sbx_pool_spawn(pool, "pdftotext", argv, stdio, &cb, input, &w, &err) < 0) ...
 *		close(out);                               // the worker has its own copy
 *	}
 *	event_base_dispatch(base);
 *	sbx_pool_free(pool);                          // after its workers, before cfg
 *
 * Zygote: sbx_pool_use_zygote(pool, "pdftotext", &err) before the loop makes a zygote, a
 * sandbox whose init builds the root once and then starts each job of that program in user,
 * mount, pid, ipc and uts namespaces of its own (its own /tmp, /dev/shm, /proc, init, cgroups,
 * time limit, Landlock, filter and fresh exec, as sbx_worker_spawn() gives it); the jobs share
 * the zygote's empty network namespace where a pool may share one (above; unprivileged too).
 * Each job is an ordinary worker to the caller. A job starts cold instead when it runs another
 * program, its stdio is a terminal or a read-only regular file, or its arguments exceed 60 KiB
 * or 4096 strings; a configuration changed since the zygote was made gets a new one at the
 * next job. sbx_pool_spawn() waits for the zygote's answer (a few milliseconds; the first job
 * for its setup). A change of the caller's working directory, of the environment variables a
 * worker gets (TERM, LANG, LANGUAGE, TZ, LC_*) or PATH, of its effective ids or hard limits, or
 * of the program's file (replaced or modified) since the zygote was made also gets a new one
 * at the next job, so that each job runs as a cold launch would (a few system calls per job to
 * see it; the umask is not watched); a zygote that could not be made is tried again once any
 * of these changed. Its jobs end with it (sbx_pool_free(), below). docs/sandbox.md, "Zygote",
 * says why this gives a job nothing a cold launch would not. A pool with a zygote takes its
 * ready workers first (below); there is no reason to keep both.
 *
 * Ready workers: sbx_pool_keep_ready(pool, "pdftotext", 2, &err) before the loop keeps two
 * whole workers for that program started ahead of their jobs, made on the pool's loop while it
 * is idle. A job of that program then only hands its arguments and stdio to one that is ready
 * and execs: most of a launch is done before the job arrives. Each ready worker serves one job
 * only, with everything a cold one gets (its own namespaces, root, /tmp, cgroup, uid, filter,
 * fresh exec); its time limit starts with the job. A job starts cold, as without ready workers,
 * when it runs another program, when the configuration was changed since the ready workers
 * were made (any sbx_config_set/add call), when its stdin, stdout or stderr is a terminal or
 * a read-only regular file (pass a pipe to stay warm), or when its arguments exceed 60 KiB or
 * 4096 strings. No worker is made ready when jobs take their ids from a range
 * (sbx_config_set_id_range/subid) or when the configuration or its policy has resources
 * (files, directories, sockets, captures): those are taken and opened as each job starts; nor
 * without the seccomp filter or in learn mode (the filter is what holds a ready worker's exec),
 * nor for a script the sandbox runs by its path. A change of the caller's working directory,
 * environment or program file since the ready workers were made (as for the zygote, above)
 * drops them: that job starts cold, and the ones made since see the change. A job may be given to a worker that is still finishing its setup; should
 * that worker fail, the job fails with it (its exit callback says why). docs/sandbox.md,
 * "Ready workers", says why this gives a job nothing a cold launch would not.
 *
 * A pool belongs to the thread that made it, like its workers (it enters and leaves the
 * shared namespace from that thread). */

/* A pool on base for cfg. base and cfg are borrowed and must outlive the pool and every worker
 * it started. On success *ret is the caller's. */
int sbx_pool_new(struct event_base *base, const struct sbx_config *cfg, struct sbx_pool **ret,
		 struct sbx_error *err);
/* Start one job: as sbx_worker_spawn() (program, argv, cb, userdata, ret, err alike), with the
 * job's own stdin, stdout and stderr: stdio[i] is an fd of the caller's (borrowed: duplicated
 * into the worker before the call returns, the caller may close its own at once) or -1 for the
 * caller's own fd i; stdio NULL: all three the caller's. The worker is the caller's, freed with
 * sbx_worker_free(), and may outlive the pool. */
int sbx_pool_spawn(struct sbx_pool *pool, const char *program, char *const argv[], const int stdio[3],
		   const struct sbx_callbacks *cb, void *userdata, struct sbx_worker **ret,
		   struct sbx_error *err);
/* Keep n (at most SBX_POOL_READY_MAX, 64; 0: none) workers for program ready ahead of their jobs (see above),
 * replacing each one a job takes, from the pool's loop; the first is started before this
 * returns, so that a job right after it finds one. A ready worker that ends before its
 * job is replaced; when three in a row end before they are ready (the program cannot be
 * found, the machine refuses a namespace), the pool stops making them until the program or the
 * configuration changes, logs why (SBX_LOG_DEBUG) and jobs start cold, where the error reaches
 * the caller as it would without ready workers. */
int sbx_pool_keep_ready(struct sbx_pool *pool, const char *program, unsigned n, struct sbx_error *err);
#define SBX_POOL_READY_MAX 64
/* How many ready workers have finished their setup and wait for a job. */
unsigned sbx_pool_ready(const struct sbx_pool *pool);
/* Whether the pool's workers share one empty network namespace (see above). */
bool sbx_pool_shares_netns(const struct sbx_pool *pool);
/* Jobs of program start on a zygote (see above; NULL: none). It is made at once; one that
 * ends (killed, say) is made again at the next job. Jobs start cold instead, until the program
 * or the configuration changes, when the configuration cannot have one (-ENOTSUP here: ids
 * from a range, resources, learn mode, a script run by its path, a place where the fallback
 * leaves namespaces out) or when three zygotes in a row fail (the pool logs why,
 * SBX_LOG_DEBUG). */
int sbx_pool_use_zygote(struct sbx_pool *pool, const char *program, struct sbx_error *err);
/* Whether the pool's zygote runs and can start jobs. */
bool sbx_pool_has_zygote(const struct sbx_pool *pool);
/* Release the pool: its ready workers and its zygote are killed, and with the zygote the jobs
 * it started (free the pool after them); the workers it started cold or on ready workers are
 * not touched. Accepts NULL. */
void sbx_pool_free(struct sbx_pool *pool);

const char *sbx_version(void);

#ifdef __cplusplus
}
#endif
