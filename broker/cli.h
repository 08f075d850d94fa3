/* SPDX-License-Identifier: MIT */
/* The sbx command line: parsed into one options struct, no globals. One table describes
 * every option: how its value is parsed and its line in --help. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/resource.h"

#define SBX_CLI_MAX_PATHS 64
#define SBX_CLI_MAX_PARAMS 64

struct sbx_cli {
	const char *policy;
	const char *ro[SBX_CLI_MAX_PATHS];
	size_t n_ro;
	const char *rw[SBX_CLI_MAX_PATHS];
	size_t n_rw;
	const char *params[SBX_CLI_MAX_PARAMS + 1]; /* NULL-terminated "name=value" */
	size_t n_params;
	uint64_t time_limit_ms;
	uint64_t kill_after_ms;     /* --kill-after; 0 when absent (the library's default) */
	uint64_t memory;
	uint64_t pids;
	bool no_seccomp;
	bool fallback;              /* --fallback: leave out the layers this place lacks */
	bool user_set;
	uid_t uid;
	gid_t gid;
	const char *learn;          /* --learn OUT.policy */
	bool force;                 /* --force: --learn may replace a regular file at OUT */
	struct sbx_resource res[SBX_CLI_MAX_PATHS]; /* strings point into argv */
	size_t n_res;
	bool requests;
	const char *subid;          /* --subid NAME */
	bool range_set;             /* --id-range UID:GID:COUNT */
	uid_t range_uid;
	gid_t range_gid;
	uint32_t range_count;
	int json_fd;                /* --json-status-fd, -1 when absent */
	bool record_ns;             /* --record-namespaces: a namespaces event in the JSON status */
	bool syslog;                /* --syslog: namespace records to the system log */
	const char *each;           /* --each LIST: one job per line (broker/batch.c) */
	unsigned jobs;              /* -j N with --each; 0: the number of CPUs */
	int verbose;
	bool no_zygote;             /* --no-zygote: --each jobs start cold (or on ready workers) */
	bool quiet;
	bool help, version;
	char **argv;                /* PROGRAM ARG... */
	char abs_paths[8192];       /* --ro/--rw paths given relative, made absolute (realpath) */
	size_t abs_len;
};

/* Print one message line to stderr: fmt's text with every control character escaped
 * (common/escape.h), then a newline. Every message of the sbx command goes through here, so
 * an argument, a path or a program name cannot forge a line of its own. */
void sbx_cli_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* struct sbx_exit's kind as --json-status-fd names it, for a single run and for --each. */
const char *sbx_cli_kind_name(int32_t kind);
/* Parse argv. Returns 0, or -EINVAL after printing a message that names the bad option. */
int sbx_cli_parse(int argc, char **argv, struct sbx_cli *cli);
void sbx_cli_usage(FILE *out);
/* `sbx --version`: sbx's, libseccomp's (at run time), the Landlock ABI built for and offered by
 * the kernel, and the build's options. */
void sbx_cli_version(FILE *out);
/* `sbx --help-man` (hidden): the OPTIONS section of sbx(1) in roff, from the same table as
 * --help, so the man page cannot drift from the parser (docs/man/meson.build). */
void sbx_cli_man_options(FILE *out);
