/* SPDX-License-Identifier: MIT */
/* `sbx ps [--json] [--tree]`: reads the state directory's entries (written by libsbx,
 * nsrecord.c) after collecting those of dead brokers, and prints them as a table or as JSON.
 * --tree adds the processes of each sandbox, walked from its init through
 * /proc/PID/task/PID/children (readable without ptrace rights, unlike init's namespaces). */
#include "ps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/cli.h"
#include "broker/state.h"
#include "common/escape.h"
#include "common/children.h"
#include "common/util.h"

#define PS_MAX_NS 8
#define PS_MAX_PROCS 256

struct ps_entry {
	int pid, broker;
	unsigned uid;
	long long started;
	char policy[1024];
	char program[1024];
	bool zygote;               /* "role zygote": a batch's or pool's zygote, which starts jobs */
	char ns_type[PS_MAX_NS][16];
	unsigned long long ns[PS_MAX_NS];
	size_t n_ns;
};

struct ps_opts {
	bool json, tree;
	size_t n; /* entries printed */
};

/* "key value" lines; values run to the end of the line. */
static void parse_line(struct ps_entry *e, const char *line)
{
	const char *v = strchr(line, ' ');
	if (!v)
		return;
	size_t klen = (size_t)(v - line);
	v++;
	if (klen == 3 && strncmp(line, "pid", 3) == 0)
		e->pid = atoi(v);
	else if (klen == 6 && strncmp(line, "broker", 6) == 0)
		e->broker = atoi(v);
	else if (klen == 3 && strncmp(line, "uid", 3) == 0)
		e->uid = (unsigned)strtoul(v, NULL, 10);
	else if (klen == 7 && strncmp(line, "started", 7) == 0)
		e->started = strtoll(v, NULL, 10);
	else if (klen == 6 && strncmp(line, "policy", 6) == 0)
		sbx_strlcpy(e->policy, v, sizeof(e->policy));
	else if (klen == 7 && strncmp(line, "program", 7) == 0)
		sbx_strlcpy(e->program, v, sizeof(e->program));
	else if (klen == 4 && strncmp(line, "role", 4) == 0)
		e->zygote = strcmp(v, "zygote") == 0;
	else if (klen == 2 && strncmp(line, "ns", 2) == 0 && e->n_ns < PS_MAX_NS &&
		 sscanf(v, "%15s %llu", e->ns_type[e->n_ns], &e->ns[e->n_ns]) == 2)
		e->n_ns++;
}

static void parse_entry(const char *text, struct ps_entry *e)
{
	memset(e, 0, sizeof(*e));
	char line[2048];
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		parse_line(e, line);
		p += n + (p[n] == '\n');
	}
}

/* The sandbox's processes, init first, each after its parent. */
struct walk {
	int (*procs)[2];
	size_t n;
	int parent;
};

static size_t walk(int pid, int ppid, int (*procs)[2], size_t n);

static int walk_child(pid_t child, void *arg)
{
	struct walk *w = arg;
	w->n = walk((int)child, w->parent, w->procs, w->n);
	return 0;
}

static size_t walk(int pid, int ppid, int (*procs)[2], size_t n)
{
	if (n >= PS_MAX_PROCS)
		return n;
	procs[n][0] = pid;
	procs[n][1] = ppid;
	struct walk w = { procs, n + 1, pid };
	/* Whole numbers only (children.h): a list cut at a read's end names no other process. */
	(void)sbx_children_each(pid, pid, walk_child, &w);
	return w.n;
}

static void comm(int pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static int depth_of(int (*procs)[2], size_t i)
{
	int d = 0;
	for (int ppid = procs[i][1]; i > 0 && ppid; d++) {
		size_t j = 0;
		while (j < i && procs[j][0] != ppid)
			j++;
		if (j == i)
			break;
		ppid = procs[j][1];
		i = j;
		if (i == 0) {
			d++;
			break;
		}
	}
	return d;
}

static void print_tree(const struct ps_entry *e, bool json)
{
	int procs[PS_MAX_PROCS][2];
	size_t n = walk(e->pid, 0, procs, 0);
	char name[64];
	if (json)
		fputs(",\"processes\":[", stdout);
	for (size_t i = 0; i < n; i++) {
		comm(procs[i][0], name, sizeof(name));
		if (json) {
			printf("%s{\"pid\":%d,\"ppid\":%d,\"command\":", i ? "," : "", procs[i][0], procs[i][1]);
			sbx_json_str(stdout, name);
			fputc('}', stdout);
		} else {
			/* The sandboxed program names itself (PR_SET_NAME): no escape reaches the terminal. */
			char shown[4 * sizeof(name)];
			sbx_escape_controls(shown, sizeof(shown), name);
			printf("    %*s%d %s\n", 2 * depth_of(procs, i), "", procs[i][0], shown);
		}
	}
	if (json)
		fputc(']', stdout);
}

static const char *short_policy(const char *policy)
{
	const char *slash = strrchr(policy, '/');
	return slash ? slash + 1 : policy;
}

static void print_entry(const struct ps_entry *e, struct ps_opts *o)
{
	long long up = (long long)time(NULL) - e->started;
	if (up < 0)
		up = 0;
	if (!o->json) {
		/* The program's path may come from a LIST line, the policy's from anyone's file: escaped. */
		char policy[4 * sizeof(e->policy)], program[4 * sizeof(e->program)];
		sbx_escape_controls(policy, sizeof(policy), short_policy(e->policy));
		sbx_escape_controls(program, sizeof(program), e->program);
		if (o->n == 0)
			printf("%-8s %-8s %-8s %-10s %-20s %s\n", "PID", "BROKER", "UID", "UPTIME", "POLICY", "PROGRAM");
		printf("%-8d %-8d %-8u %3lld:%02lld:%02lld  %-20s %s%s\n    namespaces:", e->pid, e->broker, e->uid,
		       up / 3600, up / 60 % 60, up % 60, policy, program, e->zygote ? " (zygote: starts its jobs)" : "");
		for (size_t i = 0; i < e->n_ns; i++)
			printf(" %s:[%llu]", e->ns_type[i], e->ns[i]);
		if (!e->n_ns)
			fputs(" (not recorded: not readable without privileges)", stdout);
		fputc('\n', stdout);
		if (o->tree)
			print_tree(e, false);
		o->n++;
		return;
	}
	printf("%s{\"pid\":%d,\"broker\":%d,\"uid\":%u,\"started\":%lld,\"uptime\":%lld,\"policy\":", o->n ? "," : "",
	       e->pid, e->broker, e->uid, e->started, up);
	sbx_json_str(stdout, e->policy);
	fputs(",\"program\":", stdout);
	sbx_json_str(stdout, e->program);
	printf(",\"role\":\"%s\"", e->zygote ? "zygote" : "sandbox");
	fputs(",\"namespaces\":{", stdout);
	for (size_t i = 0; i < e->n_ns; i++)
		printf("%s\"%s\":%llu", i ? "," : "", e->ns_type[i], e->ns[i]);
	fputc('}', stdout);
	if (o->tree)
		print_tree(e, true);
	fputc('}', stdout);
	o->n++;
}

static int on_entry(const char *name, const char *text, void *ctx)
{
	(void)name;
	struct ps_entry e;
	parse_entry(text, &e);
	if (e.pid > 0)
		print_entry(&e, ctx);
	return 0;
}

static int usage(FILE *out, int status)
{
	fputs("Usage: sbx ps [--json] [--tree]\n"
	      "List the sandboxes you run: pid, broker, host uid, uptime, policy, program and\n"
	      "namespace inodes (as lsns shows them).\n"
	      "  --json   one JSON array\n"
	      "  --tree   also the processes inside each sandbox\n",
	      out);
	return status;
}

int sbx_ps_cli(int argc, char **argv)
{
	struct ps_opts o = { 0 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--tree") == 0)
			o.tree = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, 0);
		else {
			sbx_cli_message("sbx ps: unknown argument '%s'", argv[i]);
			return usage(stderr, 2);
		}
	}
	char path[128];
	int dir = sbx_state_dir_open(path, sizeof(path), false);
	if (dir < 0 && dir != -ENOENT)
		sbx_cli_message("sbx ps: %s: %s", path, strerror(-dir));
	else if (dir == -ENOENT && geteuid() != 0 && !secure_getenv("XDG_RUNTIME_DIR"))
		sbx_cli_message("sbx ps: no runtime directory (XDG_RUNTIME_DIR): sbx keeps no state");
	if (o.json)
		fputc('[', stdout);
	if (dir >= 0) {
		sbx_state_collect(dir);
		(void)sbx_state_each(dir, on_entry, &o);
		sbx_close(&dir);
	}
	if (o.json)
		fputs("]\n", stdout);
	return 0;
}
