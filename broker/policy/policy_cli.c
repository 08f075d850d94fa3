/* SPDX-License-Identifier: MIT */
/* `sbx policy check` and `sbx policy explain`: a command, exported as sbx_policy_cli() (sbx.h)
 * so that the sbx binary stays a client of the public API. Command code, so it prints. */
#include "policy-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/export.h"
#include "common/escape.h"
#include "common/util.h"
#include "sbx.h"

#define CLI_MAX_PARAMS SBX_POLICY_MAX_PARAMS

static void usage(FILE *out)
{
	fprintf(out, "usage: sbx policy check [--param NAME=VALUE]... FILE...\n"
		     "       sbx policy explain [--bpf] [--param NAME=VALUE]... FILE\n"
		     "FILE is a path or the name of a shipped policy (default, pcap, ...).\n");
}

static void print_diag(const struct sbx_policy_diag *d)
{
	char buf[1200], line[1200];
	sbx_policy_diag_format(d, buf, sizeof(buf));
	sbx_escape_controls(line, sizeof(line), buf); /* a file name cannot forge a line */
	fprintf(stderr, "%s\n", line);
}

static void report_diag(const struct sbx_policy_diag *d, void *userdata)
{
	(void)userdata;
	print_diag(d);
}

/* Every mistake of the file is printed, not only the first: a user fixing a policy by hand
 * should not need a run per typo. */
static int load_and_compile(const char *file, const struct sbx_policy_param *params, size_t n_params,
			    struct sbx_policy **ret, unsigned *insns)
{
	static const struct sbx_policy_reporter rep = { report_diag, NULL };
	struct sbx_policy_diag d = { .file = "" };
	struct sbx_policy *p = NULL;
	int r = sbx_policy_load_all(file, params, n_params, &rep, &p);
	if (r < 0)
		return r;
	/* Compile the way the launcher will (a channel fd is present), so a rule that would break
	 * the launch is reported here. */
	struct sbx_compile_opts opts = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = 3 };
	struct sbx_bpf bpf = { 0 };
	r = sbx_policy_compile(p, &opts, &bpf, &d);
	if (r < 0) {
		print_diag(&d);
		sbx_policy_free(p);
		return r;
	}
	*insns = bpf.len;
	sbx_bpf_free(&bpf);
	*ret = p;
	return 0;
}

SBX_EXPORT int sbx_policy_cli(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "policy") == 0) {
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	bool check = strcmp(cmd, "check") == 0, explain = strcmp(cmd, "explain") == 0;
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (!check && !explain) {
		fprintf(stderr, "sbx policy: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	struct sbx_policy_param params[CLI_MAX_PARAMS];
	char *owned[CLI_MAX_PARAMS];
	size_t n_params = 0;
	bool bpf = false;
	int i = 2;
	int status = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (explain && strcmp(a, "--bpf") == 0) {
			bpf = true;
			continue;
		}
		if (strcmp(a, "--param") == 0 || strncmp(a, "--param=", 8) == 0) {
			const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
			const char *eq = v ? strchr(v, '=') : NULL;
			if (!eq || eq == v) {
				fprintf(stderr, "sbx policy: --param takes NAME=VALUE\n");
				status = 2;
				goto out;
			}
			if (n_params >= CLI_MAX_PARAMS) {
				fprintf(stderr, "sbx policy: too many --param options\n");
				status = 2;
				goto out;
			}
			owned[n_params] = strndup(v, (size_t)(eq - v));
			if (!owned[n_params]) {
				status = 1;
				goto out;
			}
			params[n_params] = (struct sbx_policy_param){ owned[n_params], eq + 1 };
			n_params++;
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sbx policy %s: unknown option '%s'\n", cmd, a);
			status = 2;
			goto out;
		}
		break;
	}
	int n_files = argc - i;
	if (n_files < 1 || (explain && n_files != 1)) {
		usage(stderr);
		status = 2;
		goto out;
	}
	for (; i < argc; i++) {
		struct sbx_policy *p = NULL;
		unsigned insns = 0;
		if (load_and_compile(argv[i], params, n_params, &p, &insns) < 0) {
			status = 1;
			continue;
		}
		if (check) {
			printf("%s: ok (%zu rules, %u BPF instructions)\n", sbx_policy_name(p), p->n_rules, insns);
		} else if (bpf) {
			fflush(stdout);
			struct sbx_policy_diag d = { .file = "" };
			struct sbx_compile_opts opts = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = 3 };
			if (sbx_policy_export_pfc(p, &opts, STDOUT_FILENO, &d) < 0) {
				print_diag(&d);
				status = 1;
			}
		} else if (sbx_policy_explain(p, stdout) < 0) {
			status = 1;
		}
		sbx_policy_free(p);
	}
	if (fflush(stdout) != 0)
		status = 1;
out:
	for (size_t k = 0; k < n_params; k++)
		free(owned[k]);
	return status;
}
