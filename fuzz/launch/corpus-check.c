/* SPDX-License-Identifier: MIT */
/* The seed corpus says what it holds in its names: valid-* must decode, bad-* must be refused,
 * and between them the bad-* seeds must reach every refusal of sbx_launch_decode() (the list
 * below; a new refusal in broker/chan.c wants a seed and a line here). Keeps the seeds honest
 * when the protocol changes (regenerate with make-seeds.py). TAP. Usage: corpus-check CORPUS-DIR */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/chan.h"
#include "common/util.h"
#include "fuzz/launch/input.h"

static const char *const refusals[] = {
	"malformed launch message", "message after the end", "detail not NUL-terminated",
	"fd passed with ERROR",     "malformed ERROR",       "setup ERROR after EXEC",
	"fd passed with EXEC",      "EXEC names no listener", "EXEC names a listener without seccomp",
	"fd passed with STATUS",    "unknown message type",
	"ERROR out of state",       "EXEC out of state",     "STATUS out of state",
	"field set that the message type does not carry",
	"fd passed with READY",     "READY out of state",    "READY names no listener",
	"READY names a listener without seccomp",
	"fd passed with ZYGOTE",    "ZYGOTE out of state",   "fd passed with STARTED",
	"malformed STARTED",        "STARTED out of state",
};

/* Decode one seed file; *why is the refusal or NULL. Returns the decoder's result, or 1 when
 * the file cannot be read or is too short to be an input. */
static int decode_file(const char *dir, const char *name, const char **why)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	static unsigned char buf[LAUNCH_INPUT_PREFIX + 2 * sizeof(struct sbx_launch_msg)];
	FILE *f = fopen(path, "rbe");
	size_t size = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	struct launch_input in;
	*why = NULL;
	if (!launch_input_read(buf, size, &in))
		return 1;
	struct sbx_launch_msg out;
	enum sbx_launch_state next;
	return sbx_launch_decode(in.dgram, in.len, in.n_fds, in.msg_flags, in.state, in.seccomp, &out, &next, why);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct dirent **names;
	int n = scandir(argv[1], &names, NULL, alphasort);
	if (n < 0) {
		printf("not ok 1 - %s: %s\n1..1\n", argv[1], strerror(errno));
		return 1;
	}
	unsigned t = 0, failed = 0, seen[SBX_ARRAY_SIZE(refusals)] = { 0 };
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		bool want_ok = strncmp(name, "valid-", 6) == 0;
		bool want_bad = strncmp(name, "bad-", 4) == 0;
		if (want_ok || want_bad) {
			const char *why;
			int r = decode_file(argv[1], name, &why);
			bool listed = false;
			for (size_t k = 0; why && want_bad && k < SBX_ARRAY_SIZE(refusals); k++)
				if (strcmp(why, refusals[k]) == 0) {
					seen[k]++;
					listed = true;
				}
			/* A refusal missing from the list is a new one: it wants its line above. */
			bool ok = want_ok ? r == 0 : r == -EPROTO && listed;
			printf("%sok %u - %s %s%s%s\n", ok ? "" : "not ", ++t, name, want_ok ? "decodes" : "is refused",
			       why ? ": " : "", why ? why : "");
			failed += !ok;
		}
		free(names[i]);
	}
	free(names);
	if (t == 0) {
		printf("not ok 1 - no seeds in %s\n", argv[1]);
		printf("1..1\n");
		return 1;
	}
	for (size_t k = 0; k < SBX_ARRAY_SIZE(refusals); k++) {
		printf("%sok %u - refusal \"%s\": %u seeds\n", seen[k] ? "" : "not ", ++t, refusals[k], seen[k]);
		failed += !seen[k];
	}
	printf("1..%u\n", t);
	return failed ? 1 : 0;
}
