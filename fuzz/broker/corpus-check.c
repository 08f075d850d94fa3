/* SPDX-License-Identifier: MIT */
/* The seed corpus says what it holds in its names: valid-* and path-* must decode, bad-* must
 * be refused as violations (-EPROTO), version-* as another protocol version (-EPROTONOSUPPORT).
 * Keeps the seeds honest when the protocol changes (regenerate with make-seeds.py).
 * TAP. Usage: corpus-check CORPUS-DIR */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/requests.h"

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
	unsigned t = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		bool want_ok = strncmp(name, "valid-", 6) == 0 || strncmp(name, "path-", 5) == 0;
		bool want_bad = strncmp(name, "bad-", 4) == 0;
		bool want_version = strncmp(name, "version-", 8) == 0;
		if (!want_ok && !want_bad && !want_version) {
			free(names[i]);
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], name);
		static unsigned char buf[3 + SBX_REQ_MAX * 2];
		FILE *f = fopen(path, "rb");
		size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		int r = -1;
		const char *why = NULL;
		if (len >= 3) {
			union sbx_req out;
			size_t n_fds = buf[1] < 0xc0 ? 0 : buf[1] & 0x3f;
			int flags = (buf[2] & 1 ? MSG_TRUNC : 0) | (buf[2] & 2 ? MSG_CTRUNC : 0);
			enum sbx_req_state st = (enum sbx_req_state)(buf[0] < 4 ? buf[0] : (signed char)buf[0]);
			r = sbx_req_decode(buf + 3, len - 3, n_fds, flags, st, &out, &why);
		}
		bool ok = len >= 3 && r == (want_ok ? 0 : want_version ? -EPROTONOSUPPORT : -EPROTO);
		printf("%sok %u - %s %s%s%s\n", ok ? "" : "not ", ++t, name,
		       want_ok ? "decodes" : want_version ? "is told apart as another version" : "is refused",
		       why ? ": " : "", why ? why : "");
		failed += !ok;
		free(names[i]);
	}
	free(names);
	if (t == 0) {
		printf("not ok 1 - no seeds in %s\n", argv[1]);
		t = failed = 1;
	}
	printf("1..%u\n", t);
	return failed ? 1 : 0;
}
