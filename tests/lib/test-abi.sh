#!/bin/bash
# SPDX-License-Identifier: MIT
# The shared library exports exactly the functions include/sbx.h declares, the sources mark
# exactly those SBX_EXPORT (broker/export.h, private), and a program built against the library
# with pkg-config (uninstalled .pc) runs a worker. TAP.
set -u
src=$1 build=$2
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
echo "1..5"
# Preprocessed, so comments do not count; "NAME(" is a function declaration (the typedef of a
# function pointer reads "(*NAME)(").
want=$(cc -E -P "$src/include/sbx.h" | grep -oE '\bsbx_[a-z_0-9]+\(' | tr -d '(' | sort -u)
have=$(nm -D --defined-only "$build/libsbx.so" | awk '$2 == "T" { print $3 }' | sort -u)
marked=$(grep -rhoE --include='*.c' 'SBX_EXPORT [^(]*\(' "$src/broker" "$src/sandbox" "$src/common" |
	grep -oE 'sbx_[a-z_0-9]+\($' | tr -d '(' | sort -u)
same() { # expected actual description
	if [ "$1" = "$2" ]; then
		ok 0 "$3 ($(wc -l <<<"$2"))"
	else
		ok 1 "$3"
		diff <(echo "$1") <(echo "$2") | sed 's/^/# /'
	fi
}
same "$want" "$have" "libsbx.so exports exactly the functions sbx.h declares"
same "$want" "$marked" "the sources mark exactly those SBX_EXPORT"
if grep -q 'SBX_EXPORT' "$src/include/sbx.h"; then ok 1 "sbx.h does not define SBX_EXPORT"; else ok 0 "sbx.h does not define SBX_EXPORT"; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/user.c" <<'C'
#include <event2/event.h>
#include <stdio.h>
#include <sbx.h>
static int status = -1;
static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *u)
{
	(void)w;
	status = e->status;
	event_base_loopbreak(u);
}
int main(void)
{
	struct event_base *base = event_base_new();
	struct sbx_config *cfg;
	struct sbx_worker *w;
	struct sbx_error err = SBX_ERROR_INIT;
	static const struct sbx_callbacks cb = { .size = sizeof(cb), .exit = on_exit_cb };
	char *argv[] = { "sh", "-c", "exit 42", NULL };
	if (sbx_config_new(&cfg) < 0 || sbx_worker_spawn(base, cfg, "/bin/sh", argv, &cb, base, &w, &err) < 0) {
		fprintf(stderr, "spawn: %s\n", err.message);
		return 1;
	}
	event_base_dispatch(base);
	sbx_worker_free(w);
	sbx_config_free(cfg);
	event_base_free(base);
	printf("status %d\n", status);
	return status == 42 ? 0 : 1;
}
C
flags=$(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --cflags --libs libsbx libevent_core 2>&1)
cc -o "$tmp/user" "$tmp/user.c" $flags -Wl,-rpath,"$build" 2>"$tmp/cc.err"
ok $? "a program builds against libsbx with pkg-config ($flags)"
[ -s "$tmp/cc.err" ] && sed 's/^/# /' "$tmp/cc.err"
out=$("$tmp/user" 2>&1)
ok $? "it runs a worker through the shared library ($out)"
exit $failed
