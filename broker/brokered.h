/* SPDX-License-Identifier: MIT */
/* Brokered calls: system calls of an unmodified program that the broker answers from the
 * worker's grants through seccomp user notification (docs/policy.md, "Brokered calls"). Today:
 * socket(AF_PACKET, ...) answered with a packet socket from a capture grant, and bind and
 * setsockopt on such a socket, checked against the grant and made on the broker's own copy. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbx_worker;

/* Answer the notification req (received on listener) if it is a brokered call. Returns true
 * when it was one: answered, or refused, in which case the refusal is recorded like a violation
 * and the worker is killed. false: not a brokered call (the caller treats it as a violation).
 * Every decision is audited. Decides from the notification's registers and from the broker's
 * own copy of worker memory, read between checks that the notification is still valid. */
bool sbx_brokered_answer(struct sbx_worker *w, int listener, const struct seccomp_notif *req);

/* ---- Between the files that answer brokered calls ---- */

/* Answer the call: val, or -error. */
void sbx_brokered_reply(struct sbx_worker *w, int listener, const struct seccomp_notif *req, int64_t val, int error);
/* A call that asks for more than the grant: audited, recorded like a violation (call, and the
 * grant that would allow it) and the worker killed; the call is never answered. */
void sbx_brokered_refuse(struct sbx_worker *w, const char *name, const char *call, const char *grant, const char *why);

/* brokered_open.c: open, openat, creat. The matcher looks at the registers only (a `broker`
 * rule of the policy); the answer reads the path, and continues what lies below no grant. */
bool sbx_brokered_open_match(struct sbx_worker *w, const struct seccomp_notif *req, char *rule, size_t len);
void sbx_brokered_open_answer(struct sbx_worker *w, int listener, const struct seccomp_notif *req, const char *rule);
