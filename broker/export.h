/* SPDX-License-Identifier: MIT */
/* Which functions libsbx exports. Everything is built with -fvisibility=hidden; a definition
 * marked SBX_EXPORT is public API, declared in include/sbx.h and held to it by
 * tests/lib/test-abi.sh. Private: an embedder has no use for the marker, and a public header
 * that defines it invites marking functions outside sbx.h. Not installed. */
#pragma once

#define SBX_EXPORT __attribute__((visibility("default")))
