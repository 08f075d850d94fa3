/* SPDX-License-Identifier: MIT */
/* Brokered calls: system calls of an unmodified program that the broker answers from the
 * worker's grants through seccomp user notification (docs/policy.md, "Brokered calls"). Today:
 * socket(AF_PACKET, ...) answered with a packet socket from a capture grant, and bind and
 * setsockopt on such a socket, checked against the grant and made on the broker's own copy. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>

struct sbx_worker;

/* Answer the notification req (received on listener) if it is a brokered call. Returns true
 * when it was one: answered, or refused, in which case the refusal is recorded like a violation
 * and the worker is killed. false: not a brokered call (the caller treats it as a violation).
 * Every decision is audited. Decides from the notification's registers and from the broker's
 * own copy of worker memory, read between checks that the notification is still valid. */
bool sbx_brokered_answer(struct sbx_worker *w, int listener, const struct seccomp_notif *req);
