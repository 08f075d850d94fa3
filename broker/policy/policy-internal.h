/* SPDX-License-Identifier: MIT */
/* The policy module's private model: what the parser produces and the compiler, the explainer
 * and the violation describer read. Nothing here is seen by the launcher (see policy.h). */
#pragma once

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Hard caps: a policy is hostile input for `sbx policy check` and the fuzzer, so every count
 * that drives an allocation or a filter size is bounded. */
#define SBX_POLICY_MAX_BYTES (1u << 20)
#define SBX_POLICY_MAX_RULES 4096
#define SBX_POLICY_MAX_ALTS 64          /* alternatives in one rule, after `in {}` expansion */
#define SBX_POLICY_MAX_CMPS 8           /* comparisons in one alternative */
#define SBX_POLICY_MAX_FILTER_RULES 1024 /* libseccomp rules one policy line may expand into */
#define SBX_POLICY_MAX_INCLUDE_DEPTH 8
#define SBX_POLICY_MAX_FILES 64
#define SBX_POLICY_MAX_PARAMS 64
#define SBX_POLICY_MAX_MOUNTS 128
#define SBX_POLICY_MAX_TOKEN 1024
/* The work of one load, across the file and everything it includes (parse.c): files are read
 * again each time they are included, so three files of 1,000 includes each would otherwise
 * mean 10^9 reads. Depth and cycles alone do not bound that. */
#define SBX_POLICY_MAX_INCLUDES 256              /* includes carried out, in all */
#define SBX_POLICY_MAX_TOTAL_BYTES (4u << 20)    /* text read, every file each time it is read */
#define SBX_POLICY_MAX_RESOURCES 64              /* as many as a launch takes (SBX_MAX_RESOURCES) */

enum sbx_cmp_op { SBX_OP_EQ, SBX_OP_NE, SBX_OP_LT, SBX_OP_LE, SBX_OP_GT, SBX_OP_GE, SBX_OP_MASKED_EQ,
		   SBX_OP_MASKED_NE };

struct sbx_cmp {
	uint8_t arg;      /* 0..5 */
	uint8_t op;       /* enum sbx_cmp_op */
	bool int_sized;   /* compare the low 32 bits only (the kernel truncates this argument) */
	uint64_t mask;    /* SBX_OP_MASKED_EQ, SBX_OP_MASKED_NE only */
	uint64_t value;
};

/* A conjunction of comparisons; a rule's condition is an OR of these. */
struct sbx_conj {
	struct sbx_cmp c[SBX_POLICY_MAX_CMPS];
	uint8_t n;
};

enum sbx_rule_action { SBX_ACT_ALLOW, SBX_ACT_ERRNO, SBX_ACT_LOG, SBX_ACT_KILL, SBX_ACT_BROKER };

/* `-> ACTION if GRANT [else ACTION]`: the action holds only for a worker that has a grant of
 * that kind (SBX_RES_*); without one the rule is `else`'s action, or absent. */
#define SBX_GUARD_NONE (-1)

struct sbx_rule {
	int nr;                /* native system call number */
	char name[40];
	uint8_t action;        /* enum sbx_rule_action */
	int errno_val;         /* SBX_ACT_ERRNO */
	int8_t guard;          /* SBX_GUARD_NONE or the enum sbx_resource_kind the action needs */
	bool has_else;         /* guarded: what the call gets without the grant */
	uint8_t else_action;
	int else_errno;
	struct sbx_conj *alts; /* NULL/0: unconditional */
	size_t n_alts;
	char *cond;            /* the condition as written (normalised spacing), or NULL */
	const char *file;      /* owned by the policy's file list */
	unsigned line, col;
	char via[32];          /* "@group" when the rule came from a group, else "" */
};

struct sbx_limit_origin {
	const char *file;
	unsigned line, depth;
	bool set;
};

struct sbx_param_value {
	char *name, *value;  /* value NULL: declared without a default and not given */
	bool from_cli, declared;
	const char *file;
	unsigned line;
};

struct sbx_policy {
	unsigned extra_refs;     /* owners besides the first (sbx_policy_ref); freed at 0 */
	char file[512];          /* the top-level file or name */
	char **files;            /* every file read (for rule origins), owned */
	size_t n_files;
	struct sbx_rule *rules;
	size_t n_rules, cap_rules;
	int exec;                /* -1 not set (allow), 0 none, 1 allow */
	bool fallback;           /* `fallback allow`: sbx_config_set_fallback() for this policy */
	const char *exec_file;
	unsigned exec_line;
	struct sbx_policy_mount *mounts;
	size_t n_mounts;
	struct sbx_policy_resource *resources;
	size_t n_resources;
	struct sbx_policy_limits limits;
	struct sbx_limit_origin limit_origin[5];
	struct sbx_param_value params[SBX_POLICY_MAX_PARAMS];
	size_t n_params;
};

/* ---- tables.c: data ---- */

struct sbx_group {
	const char *name;        /* "@basic-io" */
	const char *description;
	const char *const *members; /* NULL-terminated; names unknown on this arch are skipped */
};
extern const struct sbx_group sbx_groups[];
const struct sbx_group *sbx_group_find(const char *name);

enum sbx_const_kind {
	SBX_K_PROT, SBX_K_MAP, SBX_K_OPEN, SBX_K_AF, SBX_K_SOCKTYPE, SBX_K_SOCKFLAG, SBX_K_IOCTL,
	SBX_K_FCNTL, SBX_K_PRCTL, SBX_K_CLONE, SBX_K_AT, SBX_K_MISC,
};
struct sbx_const {
	const char *name;
	uint64_t value;
	uint8_t kind;
};
extern const struct sbx_const sbx_consts[];
extern const size_t sbx_n_consts;
/* Named constant, signal (SIGKILL) or errno name (EACCES). Returns 0 or -ENOENT. */
int sbx_const_lookup(const char *name, uint64_t *ret);
const char *sbx_const_name(uint8_t kind, uint64_t value); /* NULL when none */

/* How a system call's arguments are printed and how wide they are:
 * one character per argument, '\0' after the last:
 *   d int (fd, pid...)   D dirfd (AT_FDCWD)   u unsigned long   x hex long   p pointer
 *   A address family     T socket type        I ioctl request   O open flags  P prot flags
 *   M mmap flags         F fcntl command      R prctl option    S signal      C clone flags
 *   o mode (octal, int)  i int (other)
 * Lower-case d, D, i, o and A, T, I, O, F, R, S are int-sized: the kernel reads 32 bits. */
const char *sbx_syscall_args(const char *name);
bool sbx_arg_is_int(const char *syscall, unsigned arg);
/* How many arguments the call takes (its format's length, else a table of counts); -1 when
 * unknown. */
int sbx_syscall_nargs(const char *name);

/* Native number of a name, or -1 when the name is unknown on this architecture. *known_elsewhere
 * is set when another architecture knows it (portable policies name such calls). */
int sbx_syscall_lookup(const char *name, bool *known_elsewhere);
/* "did you mean" over system call names, group names, constants and keywords (sbx_suggest
 * itself, over any list, is in policy.h). */
const char *sbx_suggest_syscall(const char *word);
const char *sbx_suggest_const(const char *word);
const char *sbx_suggest_group(const char *word);
int sbx_errno_lookup(const char *name);       /* 1.. or -1 */
const char *sbx_errno_name(int e);            /* NULL when unknown */

/* ---- policy.c ---- */
void sbx_policy_diag_set(struct sbx_policy_diag *d, const char *file, unsigned line, unsigned col,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int sbx_policy_read_file(const char *path, char **ret, size_t *ret_len);
int sbx_policy_resolve(const char *path_or_name, const char *relative_to_dir, char *buf, size_t len);
/* Embedded copies of the policies under policies/base/, so `include base/x` works from the built-in default
 * policy even when no policy directory is installed. */
struct sbx_builtin_policy {
	const char *name;  /* "base/stdio" */
	const char *text;
	const size_t *len;  /* the embedded length is a variable, not a constant */
};
const struct sbx_builtin_policy *sbx_builtin_policy_find(const char *name);

/* ---- parse.c ---- */
/* rep: NULL to stop at the first error (in diag), else every error goes to it. */
int sbx_policy_parse_internal(struct sbx_policy *p, const char *name, const char *dir,
			      const char *text, size_t len, const struct sbx_policy_param *params,
			      size_t n_params, const struct sbx_policy_reporter *rep,
			      struct sbx_policy_diag *diag);

/* ---- compile.c ---- */
/* Expand one alternative into libseccomp comparison sets; calls emit once per set. Used by
 * the parser (to check a condition can be compiled, and to count) and by the compiler. */
typedef int (*sbx_emit_fn)(const struct scmp_arg_cmp *cmps, unsigned n, void *userdata);
int sbx_conj_expand(const struct sbx_conj *conj, sbx_emit_fn emit, void *userdata, char *err, size_t err_len);
int sbx_policy_build_ctx(const struct sbx_policy *p, const struct sbx_compile_opts *opts,
			 scmp_filter_ctx *ret, struct sbx_policy_diag *diag);

/* ---- compile.c ---- */
/* The action a rule has for a worker with these grants (1u << SBX_RES_* bits); false when the
 * rule is absent for it (guarded, no grant, no else). */
bool sbx_rule_effective(const struct sbx_rule *r, unsigned grants, uint8_t *action, int *errno_val);

/* ---- fdguard.c ---- */
/* Put the guard on the brokered packet sockets' fd numbers (opts->capture_fd_*) in front of the
 * compiled program. Nothing to do when the count is 0. Returns 0, -E2BIG or -ENOMEM. */
int sbx_fdguard_prepend(const struct sbx_compile_opts *opts, uint32_t native_arch, struct sbx_bpf *bpf);

/* ---- describe.c ---- */
const char *sbx_action_text(const struct sbx_rule *r, char *buf, size_t len);
/* The rule as a policy line: "ioctl: arg1 == TCGETS -> errno EPERM". */
void sbx_rule_format(const struct sbx_rule *r, char *buf, size_t len);
