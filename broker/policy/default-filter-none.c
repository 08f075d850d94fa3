/* SPDX-License-Identifier: MIT */
/* The default filter of a cross build. gen-default-filter compiles the default policy with the
 * build machine's system call numbers and libseccomp, so a cross build does not run it: sbx then
 * parses and compiles the default policy at each launch on the machine it runs on, as it does
 * for any other policy (about 1 ms of CPU a launch; filter.c). */
#include <linux/filter.h>
#include <stdbool.h>

const bool sbx_default_filter_usable = false;
const bool sbx_default_exec_allowed = false;
const unsigned short sbx_default_filter_len = 0;
const struct sock_filter sbx_default_filter[] = { { 0, 0, 0, 0 } };
const unsigned short sbx_default_filter_dir_len = 0;
const struct sock_filter sbx_default_filter_dir[] = { { 0, 0, 0, 0 } };
