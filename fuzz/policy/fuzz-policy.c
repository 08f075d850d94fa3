/* SPDX-License-Identifier: MIT */
/* Fuzz target for the policy parser (and, for what parses, the compiler and the explainer):
 * policy text is read by `sbx policy check` from anyone's files, so no input may crash it,
 * leak, or read out of bounds. */
#include <stdio.h>
#include <stdlib.h>

#include "broker/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every error reported and parsing resumed at the next line (`sbx policy check`): the recovery
 * must end on any input, and report a bounded number of errors. */
static void count_diag(const struct sbx_policy_diag *d, void *userdata)
{
	char buf[1200];
	sbx_policy_diag_format(d, buf, sizeof(buf));
	if (++*(unsigned *)userdata > SBX_POLICY_MAX_ERRORS + 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned reported = 0;
	const struct sbx_policy_reporter rep = { count_diag, &reported };
	struct sbx_policy *all = NULL;
	if (sbx_policy_parse_all("fuzz.policy", (const char *)data, size, NULL, 0, &rep, &all) == 0)
		sbx_policy_free(all);
	else if (reported == 0)
		abort(); /* a refused policy says why */
	struct sbx_policy *p = NULL;
	struct sbx_policy_diag d = { .file = "" };
	if (sbx_policy_parse("fuzz.policy", (const char *)data, size, NULL, 0, &p, &d) < 0) {
		char buf[1200];
		sbx_policy_diag_format(&d, buf, sizeof(buf));
		return 0;
	}
	struct sbx_compile_opts o = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = 3 };
	struct sbx_bpf bpf = { 0 };
	if (sbx_policy_compile(p, &o, &bpf, &d) == 0)
		sbx_bpf_free(&bpf);
	FILE *null = fopen("/dev/null", "we");
	if (null) {
		sbx_policy_explain(p, null);
		fclose(null);
	}
	sbx_policy_free(p);
	return 0;
}
