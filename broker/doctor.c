/* SPDX-License-Identifier: MIT */
/* `sbx doctor` (doctor.h): prints the probe's results (probe-env.c) as lines or as JSON. */
#include "doctor.h"

#include <stdbool.h>
#include <string.h>

#include "broker/cli.h"
#include "broker/probe-env.h"
#include "broker/ps.h"

#define DOCTOR_USAGE "Usage: sbx doctor [--json]\n"

static bool is_layer(enum sbx_check c)
{
	return c < SBX_CHECK_FIRST_OPTIONAL;
}

static void print_text(const struct sbx_env *env, FILE *out)
{
	for (int c = 0; c < SBX_CHECK_MAX_; c++) {
		char why[512], fix[512];
		const struct sbx_check_result *r = &env->r[c];
		sbx_env_explain(c, r, &env->facts, why, sizeof(why), fix, sizeof(fix));
		fprintf(out, "%-8s %s: %s%s%s\n", r->ok ? "ok" : is_layer(c) ? "MISSING" : "absent", sbx_check_name(c),
			why, fix[0] ? "; fix: " : "", fix);
	}
}

static void print_json(const struct sbx_env *env, FILE *out)
{
	fputs("{\"checks\":[", out);
	for (int c = 0; c < SBX_CHECK_MAX_; c++) {
		char why[512], fix[512];
		const struct sbx_check_result *r = &env->r[c];
		sbx_env_explain(c, r, &env->facts, why, sizeof(why), fix, sizeof(fix));
		fprintf(out, "%s{\"check\":\"%s\",\"name\":", c ? "," : "", sbx_check_key(c));
		sbx_json_str(out, sbx_check_name(c));
		fprintf(out, ",\"available\":%s,\"layer\":%s,\"stage\":%d,\"errno\":%d,\"why\":", r->ok ? "true" : "false",
			is_layer(c) ? "true" : "false", r->stage, r->err);
		sbx_json_str(out, why);
		fputs(",\"fix\":", out);
		sbx_json_str(out, fix);
		fputc('}', out);
	}
	const struct sbx_env_facts *f = &env->facts;
	fprintf(out, "],\"facts\":{\"unprivileged_userns_clone\":%d,\"max_user_namespaces\":%ld,"
		     "\"apparmor_restrict_unprivileged_userns\":%d,\"seccomp_mode\":%d,\"proc_masked\":%s,\"root\":%s}",
		f->unpriv_userns_clone, f->max_user_namespaces, f->apparmor_restrict, f->seccomp_mode,
		f->proc_masked ? "true" : "false", f->root ? "true" : "false");
}

static int missing_layers(const struct sbx_env *env)
{
	int n = 0;
	for (int c = 0; c < SBX_CHECK_FIRST_OPTIONAL; c++)
		n += !env->r[c].ok;
	return n;
}

int sbx_doctor_cli(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(DOCTOR_USAGE, stdout);
			return 0;
		} else {
			sbx_cli_message("sbx doctor: unknown argument '%s'", argv[i]);
			fputs(DOCTOR_USAGE, stderr);
			return 2;
		}
	}
	struct sbx_env env;
	int r = sbx_env_probe(&env, "/proc/sys");
	if (r < 0) {
		sbx_cli_message("sbx doctor: cannot run the checks: %s", strerror(-r));
		return 2;
	}
	int missing = missing_layers(&env);
	if (json) {
		print_json(&env, stdout);
		printf(",\"default_sandbox\":%s,\"missing\":%d}\n", missing ? "false" : "true", missing);
	} else {
		print_text(&env, stdout);
		if (missing)
			printf("%d layer%s of the default sandbox %s missing: sbx fails closed here (exit 125); fix the "
			       "environment as above, or run with --fallback to leave %s out\n",
			       missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are", missing == 1 ? "it" : "them");
		else
			printf("every layer of the default sandbox works here\n");
	}
	return missing ? 1 : 0;
}

void sbx_doctor_advise(FILE *out)
{
	struct sbx_env env;
	if (sbx_env_probe(&env, "/proc/sys") < 0 || !missing_layers(&env))
		return;
	for (int c = 0; c < SBX_CHECK_FIRST_OPTIONAL; c++) {
		char why[512], fix[512];
		if (env.r[c].ok)
			continue;
		sbx_env_explain(c, &env.r[c], &env.facts, why, sizeof(why), fix, sizeof(fix));
		fprintf(out, "sbx: cause: %s: not available here: %s\n", sbx_check_name(c), why);
		if (fix[0])
			fprintf(out, "sbx:   fix: %s\n", fix);
	}
	fputs("sbx: ways out: fix the environment as above (sbx doctor checks it), or run with --fallback to use "
	      "the strongest layers this place allows (named on stderr and in the JSON status)\n",
	      out);
}
