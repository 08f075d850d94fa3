/* SPDX-License-Identifier: MIT */
/* The policy: what one worker may do. Parsed from a file (docs/policy.md), resolved (groups,
 * includes, parameters) and compiled to a seccomp BPF program in the broker, before the worker
 * is forked, so the worker only has to load it.
 *
 * This header is the contract between the policy module (broker/policy/) and the launcher.
 * All functions return 0 or a negative errno; none prints or exits. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/resource.h"

struct sbx_policy;

/* Where a parse or compile error was found. file is "" for errors without a location. */
struct sbx_policy_diag {
	char file[512];
	unsigned line, col;     /* 1-based; 0 when unknown */
	char message[512];      /* e.g. "unknown system call 'opne' (did you mean 'open'?)" */
};

/* Format a diagnostic as "FILE:LINE:COL: message" (or just the message). */
void sbx_policy_diag_format(const struct sbx_policy_diag *d, char *buf, size_t len);

struct sbx_policy_param {
	const char *name;
	const char *value;
};

/* For the sbx command only, before it loads any policy: also look names up in the folder named
 * by the file sbx-policy-path beside the running binary, which only a build tree holds, so that
 * `build/sbx --policy pcap` finds the source tree's policies. Other libsbx users never do. */
void sbx_policy_search_beside_exe(void);

/* Load a policy from a path, or from a name looked up in SBX_POLICY_DIRS (installed and source
 * policies/ directories; "pcap" finds "pcap.policy"). params: `--param name=value` values.
 * On error *ret is untouched and diag (if non-NULL) says what and where. */
int sbx_policy_load(const char *path_or_name, const struct sbx_policy_param *params, size_t n_params,
		    struct sbx_policy **ret, struct sbx_policy_diag *diag);

/* Every mistake, not only the first (`sbx policy check`): fn gets each diagnostic as it is
 * found (d: borrowed for the call), and parsing goes on at the next line, up to
 * SBX_POLICY_MAX_ERRORS, then a last "too many errors". */
struct sbx_policy_reporter {
	void (*fn)(const struct sbx_policy_diag *d, void *userdata);
	void *userdata;
};
#define SBX_POLICY_MAX_ERRORS 50

/* sbx_policy_load, reporting every error through rep (borrowed) instead of the first in a diag.
 * Returns as sbx_policy_load; a policy with any error is refused. */
int sbx_policy_load_all(const char *path_or_name, const struct sbx_policy_param *params, size_t n_params,
			const struct sbx_policy_reporter *rep, struct sbx_policy **ret);

/* sbx_policy_parse, reporting every error through rep. */
int sbx_policy_parse_all(const char *name, const char *text, size_t len, const struct sbx_policy_param *params,
			 size_t n_params, const struct sbx_policy_reporter *rep, struct sbx_policy **ret);

/* Parse policy text held in memory. name is used in diagnostics (e.g. "<builtin>"). */
int sbx_policy_parse(const char *name, const char *text, size_t len,
		     const struct sbx_policy_param *params, size_t n_params,
		     struct sbx_policy **ret, struct sbx_policy_diag *diag);

/* The built-in default policy (policies/default.policy, compiled into the binary). */
int sbx_policy_default(struct sbx_policy **ret, struct sbx_policy_diag *diag);

void sbx_policy_free(struct sbx_policy *p); /* accepts NULL; exported (sbx.h); drops one owner */
/* One more owner: a worker keeps the policy it was spawned under (its grants point into it)
 * even when the configuration is given another one. Returns p. */
struct sbx_policy *sbx_policy_ref(struct sbx_policy *p);

/* "Did you mean": the entry of the NULL-terminated list closest to word, when it is close enough
 * to be a typo (a third of the word's letters, at least one); NULL otherwise. Also used by the
 * command line for its options. */
const char *sbx_suggest(const char *word, const char *const *candidates);

/* The file it was loaded from ("<default policy>" for the built-in one), for records. */
const char *sbx_policy_file(const struct sbx_policy *p);

/* ---- What the launcher reads from a policy ---- */

/* May the program execute other programs after its own launch? */
bool sbx_policy_exec_allowed(const struct sbx_policy *p);
/* The policy says `fallback allow` (broker/fallback.h). */
bool sbx_policy_fallback(const struct sbx_policy *p);

enum sbx_mount_kind { SBX_MOUNT_RO, SBX_MOUNT_RW, SBX_MOUNT_TMPFS };

struct sbx_policy_mount {
	enum sbx_mount_kind kind;
	const char *path;       /* absolute path; host source and sandbox target are the same */
	uint64_t tmpfs_size;    /* bytes, SBX_MOUNT_TMPFS only */
	const char *file;       /* where it was declared, for messages */
	unsigned line;
};

/* The filesystem additions, in declaration order. Pointers stay valid until sbx_policy_free. */
size_t sbx_policy_mounts(const struct sbx_policy *p, const struct sbx_policy_mount **ret);

/* Resources the policy declares (`resource NAME KIND ...`): the broker opens them and hands
 * them to the worker, like the command line's --file, --dir, --capture, --connect, --listen.
 * The resource is the one model (common/resource.h; never SBX_RES_FD here); the policy adds
 * where it was declared, for messages. */
struct sbx_policy_resource {
	struct sbx_resource res; /* owned by the policy */
	const char *file;        /* where it was declared */
	unsigned line;
};

/* In declaration order. Pointers stay valid until sbx_policy_free. */
size_t sbx_policy_resources(const struct sbx_policy *p, const struct sbx_policy_resource **ret);

/* Limits; a field is SBX_UNSET (common/util.h) when the policy does not set it. */
struct sbx_policy_limits {
	uint64_t time_ms, memory, pids, nofile, fsize;
};
void sbx_policy_limits(const struct sbx_policy *p, struct sbx_policy_limits *ret);

/* ---- Compiling ---- */

struct sbx_bpf {
	struct sock_filter *insns;
	unsigned short len;
};

enum sbx_compile_mode {
	/* Not allowed => SECCOMP_RET_USER_NOTIF: the broker records the call and kills. */
	SBX_COMPILE_ENFORCE,
	/* Learn mode: every system call goes to the broker (which lets it continue). */
	SBX_COMPILE_LEARN,
};

struct sbx_compile_opts {
	enum sbx_compile_mode mode;
	/* The launcher's channel to the broker, an fd number in the child. The filter lets
	 * sendmsg() on exactly this fd through, so that the child can hand the listener to the
	 * broker after loading the filter. -1: none. */
	int launch_fd;
	/* 1u << SBX_RES_* for each kind of grant the worker holds: rules written `-> ACTION if
	 * capture` take their action only with a capture grant (docs/policy.md). */
	unsigned grants;
	/* Packet sockets the broker installs live at fds [capture_fd_first, +capture_fd_count).
	 * The filter guards those numbers whatever the policy says: bind and setsockopt go to the
	 * broker, copies (dup, F_DUPFD, pidfd_getfd) fail, and so does transmitting (write, send*)
	 * unless capture_tx. count 0: no guard. */
	int capture_fd_first;
	unsigned capture_fd_count;
	bool capture_tx;
	/* The start-up slots (fd 3, 4, ...) that hold the capture grants' packet sockets: guarded
	 * like the range (only with capture_fd_count). */
	int capture_slot_fds[16];
	unsigned n_capture_slot_fds;
};

/* Compile with libseccomp (binary tree, SCMP_FLTATR_CTL_OPTIMIZE=2) into a BPF program for
 * this architecture. Foreign ABIs (i386, x32) kill the process. execve/execveat go to the broker
 * (USER_NOTIF) when the policy does not allow exec, so the broker can let exactly one through:
 * the launcher's own exec of the program. */
int sbx_policy_compile(const struct sbx_policy *p, const struct sbx_compile_opts *opts,
		       struct sbx_bpf *ret, struct sbx_policy_diag *diag);
void sbx_bpf_free(struct sbx_bpf *bpf); /* frees insns, accepts an empty struct */

/* ---- Brokered calls ---- */

/* Whether a rule of the policy with the action `broker` (effective for a worker with these
 * grants) matches the call the kernel reported: arch, nr and args are the notification's
 * registers, never worker memory. rule (may be NULL) receives the rule as a line with its
 * file:line, for the audit. */
bool sbx_policy_brokers(const struct sbx_policy *p, unsigned grants, uint32_t arch, int nr, const uint64_t args[6],
			char *rule, size_t rule_len);

/* ---- Explaining a violation ---- */

/* How a suggestion starts when no policy line should allow the call (sbx.h, struct sbx_exit). */
#define SBX_POLICY_REFUSED "refused by design: "

/* Describe a blocked call and the policy line that would allow it.
 * call: e.g. "socket(AF_INET, SOCK_STREAM, 0)", with as many arguments as the call takes;
 * suggestion: e.g. "socket" or "ioctl: arg1 == TIOCSTI"; SBX_POLICY_REFUSED and the reason for
 * a call refused by design; "(none: ...)" for a foreign architecture. nr and arch are from
 * struct seccomp_data. */
void sbx_policy_describe_call(const struct sbx_policy *p, uint32_t arch, int nr, const uint64_t args[6],
			      char *call, size_t call_len, char *suggestion, size_t suggestion_len);

/* Why the call `name` is refused by design (ptrace, mount, bpf ...: a table in describe.c), or
 * NULL for a call a policy may simply name. */
const char *sbx_policy_refused_why(const char *name);

/* ---- Showing a policy, `sbx policy`, and learn mode ---- */

/* The file (or name) the policy was loaded from. Borrowed; valid until sbx_policy_free. */
const char *sbx_policy_name(const struct sbx_policy *p);

/* Write the resolved rules, one per line in the policy language, each followed by where it
 * came from ("# file:line via @group"), then exec, mounts and limits. out: borrowed. */
int sbx_policy_explain(const struct sbx_policy *p, FILE *out);

/* Write libseccomp's pseudo-code of the compiled filter (`sbx policy explain --bpf`). */
int sbx_policy_export_pfc(const struct sbx_policy *p, const struct sbx_compile_opts *opts, int fd,
			  struct sbx_policy_diag *diag);

/* Learn mode: one system call as the broker saw it (struct seccomp_data's fields). */
struct sbx_learned_call {
	uint32_t arch;
	int nr;
	uint64_t args[6];
};

/* Write a minimal policy that lets the recorded run succeed under SBX_COMPILE_ENFORCE:
 * whole groups where every member was used, argument conditions for ioctl requests and socket
 * families, `exec none` unless the program executed something after its own launch.
 * calls: borrowed, in the order they were made; the first execve/execveat is taken to be the
 * launcher's exec of the program. Calls of a foreign architecture are listed as comments
 * (they are always killed). Returns 0, -EIO on a write error, -ENOMEM. */
int sbx_policy_learn_write(const struct sbx_learned_call *calls, size_t n, FILE *out);

/* The policy's filesystem (ro, rw, tmpfs), limits and resources as lines of the language, values
 * quoted and parameters expanded: what a policy learned under it keeps, so that it runs in the
 * setup it was learned in. Returns 0 or -EIO. */
int sbx_policy_write_setup(const struct sbx_policy *p, FILE *out);

/* The directory and capture grants given besides a policy (a config's resources) as `resource`
 * lines in the same form, in their order; any other grant, and one the language cannot write (a
 * relative path, a value it cannot quote), as a comment naming it. res: borrowed. Returns 0 or
 * -EIO. */
int sbx_policy_write_grants(const struct sbx_resource *res, size_t n, FILE *out);
