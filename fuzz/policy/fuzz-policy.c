/* SPDX-License-Identifier: MIT */
/* Fuzz target for the policy parser (and, for what parses, the compiler and the explainer):
 * policy text is read by `sbx policy check` from anyone's files, so no input may crash it,
 * leak, or read out of bounds. */
#include <stdio.h>
#include <stdlib.h>

#include "broker/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
