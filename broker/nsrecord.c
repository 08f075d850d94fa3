/* SPDX-License-Identifier: MIT */
/* The namespace record (nsrecord.h) and the config setters that choose where it goes. */
#include "nsrecord.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "broker/export.h"
#include "broker/policy/policy.h"
#include "broker/worker.h"
#include "common/children.h"
#include "common/util.h"

/* Every namespace sbx creates: the clone's five, then net and cgroup (sandbox/launch.c). */
static const char *const ns_types[SBX_NS_COUNT] = { "user", "mnt", "pid", "ipc", "uts", "net", "cgroup" };

/* About five seconds of retries (an unprivileged broker waits for the program's exec). */
#define MAX_TRIES 60

SBX_EXPORT int sbx_config_set_state(struct sbx_config *cfg, bool enabled)
{
	if (!cfg)
		return -EINVAL;
	cfg->no_state = !enabled;
	return 0;
}

SBX_EXPORT int sbx_config_set_syslog(struct sbx_config *cfg, bool enabled)
{
	if (!cfg)
		return -EINVAL;
	cfg->syslog = enabled;
	return 0;
}

static int read_ns(pid_t pid, struct sbx_namespace ns[SBX_NS_COUNT])
{
	for (size_t i = 0; i < SBX_NS_COUNT; i++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_types[i]);
		if (stat(path, &st) < 0)
			return -errno;
		ns[i] = (struct sbx_namespace){ ns_types[i], (uint64_t)st.st_ino };
	}
	return 0;
}


static int first_child(pid_t child, void *arg)
{
	pid_t *first = arg;
	if (*first <= 0)
		*first = child;
	return 0;
}

/* The real uid, the first of the Uid: line's four. */
static void read_uid(pid_t pid, uid_t *uid)
{
	char v[64];
	unsigned u;
	if (sbx_status_field(pid, "Uid", v, sizeof(v)) == 0 && sscanf(v, "%u", &u) == 1)
		*uid = (uid_t)u;
}

/* The program's process, for an unprivileged broker (init is not dumpable): its namespaces and
 * uid, read between a pidfd taken first and a check that the process still runs and is init's
 * child, so that they are that process's whatever pid was reused meanwhile (-ESRCH otherwise:
 * tried again). */
static int read_child(const struct sbx_worker *w, pid_t pid, struct sbx_namespace ns[SBX_NS_COUNT], uid_t *uid)
{
	_cleanup_close_ int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	if (sbx_parent_of(pid) != w->pid)
		return -ESRCH;
	int r = read_ns(pid, ns);
	if (r == 0)
		read_uid(pid, uid);
	if (r == 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
		r = -ESRCH;
	return r;
}

/* The first child of init: the program's process, once it has executed (then readable by an
 * unprivileged broker, where init, non-dumpable, is not). */
static pid_t program_pid(pid_t init)
{
	pid_t pid = -1;
	(void)sbx_children_each(init, init, first_child, &pid);
	return pid;
}

/* The state entry: one "key value" per line (ps.c reads it back). */
static void format_entry(char *buf, size_t len, const struct sbx_namespaces *n, const char *program, bool zygote)
{
	int off = snprintf(buf, len, "pid %d\nbroker %d\nuid %u\nstarted %lld\npolicy %s\nprogram %s\nrole %s\n",
			   (int)n->pid, (int)getpid(), (unsigned)n->uid, (long long)time(NULL), n->policy, program,
			   zygote ? "zygote" : "sandbox");
	for (size_t i = 0; i < n->n && off > 0 && (size_t)off < len; i++)
		off += snprintf(buf + off, len - (size_t)off, "ns %s %llu\n", n->ns[i].type,
				(unsigned long long)n->ns[i].inode);
}

/* A value for a line of the entry or of the system log: a path may hold any byte but '\0', and
 * a newline in it would end the value and start a line of the writer's choosing (a "pid 1"
 * that sbx ps would believe). Control bytes become '?'; sbx ps escapes what it prints anyway. */
static const char *line_value(char *buf, size_t len, const char *path)
{
	sbx_strlcpy(buf, path, len);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return buf;
}

static void publish(struct sbx_worker *w, const struct sbx_namespaces *n)
{
	char text[4096], name[32], policy[1024];
	line_value(policy, sizeof(policy), n->policy);
	if (!w->cfg->no_state) {
		char program[1024];
		struct sbx_namespaces shown = *n;
		shown.policy = policy;
		format_entry(text, sizeof(text), &shown, line_value(program, sizeof(program), w->program), w->zygote);
		snprintf(name, sizeof(name), "%d", (int)n->pid);
		int r = sbx_state_add(name, text, &w->rec.entry);
		/* No runtime directory is a normal setup (a service without a session): quiet. */
		if (r < 0)
			sbx_logf(w->log, w->log_userdata, r == -ENOENT ? SBX_LOG_DEBUG : SBX_LOG_NOTICE,
				 "no state entry for sbx ps: %s", r == -ENOENT ? "no runtime directory" : strerror(-r));
	}
	if (w->cfg->syslog) {
		int off = 0;
		for (size_t i = 0; i < n->n; i++)
			off += snprintf(text + off, sizeof(text) - (size_t)off, " %s:[%llu]", n->ns[i].type,
					(unsigned long long)n->ns[i].inode);
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "sbx[%d]: sandbox pid %d uid %u policy %s namespaces%s", (int)getpid(),
		       (int)n->pid, (unsigned)n->uid, policy, text);
	}
	if (w->cb.namespaces)
		w->cb.namespaces(w, n, w->userdata);
}

static void try_record(struct sbx_worker *w);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_record(arg);
}

static void try_record(struct sbx_worker *w)
{
	struct sbx_namespace ns[SBX_NS_COUNT];
	struct sbx_namespaces n = { .pid = w->pid, .uid = (uid_t)-1, .n = SBX_NS_COUNT, .ns = ns };
	pid_t prog = -1;
	int r = read_ns(w->pid, ns);
	if (r == 0) {
		read_uid(w->pid, &n.uid);
	} else if (r == -EACCES && w->zygote) {
		/* A zygote has no program's process to read them from (its children are jobs'
		 * inits): recorded without them, its jobs each have their own record. */
		n.n = 0;
		read_uid(w->pid, &n.uid);
		r = 0;
	} else if (r == -EACCES && (prog = program_pid(w->pid)) > 0) {
		r = read_child(w, prog, ns, &n.uid);
	}
	if (r == 0) {
		n.policy = w->policy ? sbx_policy_file(w->policy) : "default";
		publish(w, &n);
		return;
	}
	if (w->done || ++w->rec.tries > MAX_TRIES) {
		sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE, "cannot read the sandbox's namespaces: %s", strerror(-r));
		return;
	}
	unsigned ms = w->rec.tries < 7 ? 1u << w->rec.tries : 100;
	struct timeval tv = { .tv_sec = 0, .tv_usec = (suseconds_t)ms * 1000 };
	if (!w->rec.ev)
		w->rec.ev = evtimer_new(w->base, on_retry, w);
	if (!w->rec.ev || evtimer_add(w->rec.ev, &tv) < 0)
		sbx_logf(w->log, w->log_userdata, SBX_LOG_NOTICE, "cannot record the sandbox's namespaces: out of memory");
}

void sbx_nsrecord_start(struct sbx_worker *w)
{
	/* Now rather than with our own entry, which a short-lived program may never get. */
	if (!w->cfg->no_state)
		sbx_state_collect_own();
	w->rec.tries = 0;
	try_record(w);
}

void sbx_nsrecord_end(struct sbx_worker *w)
{
	sbx_event_freep(&w->rec.ev);
	sbx_state_remove(&w->rec.entry);
}
