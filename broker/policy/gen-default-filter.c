/* SPDX-License-Identifier: MIT */
/* Build-time tool: compile the built-in default policy once, at build time, and write it out as
 * C. sbx then loads the default filter without parsing or compiling anything at launch (about
 * 1 ms of CPU per launch). The launch fd is fixed (SBX_LAUNCH_FD), so the program is the same
 * for every launch; a second program, compiled with directory grants, serves launches with --dir
 * the same way. Usage: gen-default-filter OUTPUT.c */
#include <stdio.h>
#include <string.h>

#include "broker/policy/policy.h"
#include "common/protocol.h"
#include "common/resource.h"
#include "common/util.h"

static void write_filter(FILE *f, const char *name, const struct sbx_bpf *bpf)
{
	fprintf(f, "const unsigned short %s_len = %u;\n", name, bpf->len);
	fprintf(f, "const struct sock_filter %s[] = {\n", name);
	for (unsigned i = 0; i < bpf->len; i++)
		fprintf(f, "\t{ 0x%04x, %u, %u, 0x%08x },\n", bpf->insns[i].code, bpf->insns[i].jt, bpf->insns[i].jf,
			bpf->insns[i].k);
	fprintf(f, "};\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT.c\n", argv[0]);
		return 2;
	}
	struct sbx_policy_diag d;
	memset(&d, 0, sizeof(d));
	struct sbx_policy *p = NULL;
	char msg[1100];
	if (sbx_policy_default(&p, &d) < 0) {
		sbx_policy_diag_format(&d, msg, sizeof(msg));
		fprintf(stderr, "default policy: %s\n", msg);
		return 1;
	}
	/* Without grants, and with directory grants (--dir: the rules written `if dir`): the two a
	 * launch can take as they are. A capture grant's filter depends on its fd numbers. */
	struct sbx_compile_opts o = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = SBX_LAUNCH_FD };
	struct sbx_compile_opts od = { .mode = SBX_COMPILE_ENFORCE, .launch_fd = SBX_LAUNCH_FD,
				       .grants = 1u << SBX_RES_DIR };
	struct sbx_bpf bpf = { NULL, 0 }, bpf_dir = { NULL, 0 };
	if (sbx_policy_compile(p, &o, &bpf, &d) < 0 || sbx_policy_compile(p, &od, &bpf_dir, &d) < 0) {
		sbx_policy_diag_format(&d, msg, sizeof(msg));
		fprintf(stderr, "default policy: %s\n", msg);
		return 1;
	}
	const struct sbx_policy_mount *m;
	struct sbx_policy_limits l;
	sbx_policy_limits(p, &l);
	/* Only a default policy without mounts or limits can skip the parse at launch. */
	const struct sbx_policy_resource *res;
	int plain = sbx_policy_mounts(p, &m) == 0 && sbx_policy_resources(p, &res) == 0 && l.time_ms == SBX_UNSET && l.memory == SBX_UNSET &&
		    l.pids == SBX_UNSET && l.nofile == SBX_UNSET && l.fsize == SBX_UNSET;
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fprintf(f, "/* generated at build time by gen-default-filter from policies/default.policy */\n");
	fprintf(f, "#include <linux/filter.h>\n#include <stdbool.h>\n\n");
	fprintf(f, "const bool sbx_default_filter_usable = %s;\n", plain ? "true" : "false");
	fprintf(f, "const bool sbx_default_exec_allowed = %s;\n", sbx_policy_exec_allowed(p) ? "true" : "false");
	write_filter(f, "sbx_default_filter", &bpf);
	write_filter(f, "sbx_default_filter_dir", &bpf_dir);
	sbx_bpf_free(&bpf);
	sbx_bpf_free(&bpf_dir);
	sbx_policy_free(p);
	return fclose(f) == 0 ? 0 : 1;
}
