/* SPDX-License-Identifier: MIT */
/* sbx(1): a thin client of libsbx. Parses the command line, starts one worker in a libevent
 * loop, forwards signals to it and turns its end into the exit status of the contract. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/cli.h"
#include "broker/policy/policy.h"
#include "sbx.h"

#define EXIT_SBX_FAILED 125

struct run {
	struct event_base *base;
	struct sbx_worker *worker;
	struct sbx_cli *cli;
	int status;
	bool done;
	FILE *json;                      /* --json-status-fd */
	struct sbx_learned_call *learned;/* --learn */
	size_t n_learned, cap_learned;
	bool learn_oom;
};

/* JSON string body, escaped; control characters as \u00XX. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static const char *kind_name(enum sbx_exit_kind k)
{
	static const char *const names[] = { "exited", "signaled", "violation", "timeout", "setup-failed",
					     "exec-failed", "killed" };
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

static void on_audit_cb(struct sbx_worker *w, const struct sbx_audit *a, void *userdata)
{
	(void)w;
	struct run *run = userdata;
	if (!run->json)
		return;
	fputs("{\"event\":\"audit\",\"request\":", run->json);
	json_str(run->json, a->request);
	fputs(",\"target\":", run->json);
	json_str(run->json, a->target);
	fprintf(run->json, ",\"granted\":%s,\"error\":%d,\"rule\":", a->granted ? "true" : "false", a->error);
	json_str(run->json, a->rule);
	fputs("}\n", run->json);
	fflush(run->json);
}

static void on_syscall_cb(struct sbx_worker *w, uint32_t arch, int nr, const uint64_t args[6], void *userdata)
{
	(void)w;
	struct run *run = userdata;
	if (run->n_learned == run->cap_learned) {
		size_t cap = run->cap_learned ? run->cap_learned * 2 : 1024;
		if (cap > (1u << 24)) { /* 16M calls: enough to learn from; keep memory bounded */
			run->learn_oom = true;
			return;
		}
		struct sbx_learned_call *n = realloc(run->learned, cap * sizeof(*n));
		if (!n) {
			run->learn_oom = true;
			return;
		}
		run->learned = n;
		run->cap_learned = cap;
	}
	struct sbx_learned_call *c = &run->learned[run->n_learned++];
	c->arch = arch;
	c->nr = nr;
	memcpy(c->args, args, sizeof(c->args));
}

static void log_cb(enum sbx_log_level level, const char *message, void *userdata)
{
	const struct sbx_cli *cli = userdata;
	static const char *const prefix[] = { "error", "warning", "notice", "debug" };
	if (level == SBX_LOG_DEBUG && !cli->verbose)
		return;
	if (level >= SBX_LOG_WARNING && cli->quiet)
		return;
	fprintf(stderr, "sbx: %s: %s\n", prefix[level], message);
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct run *run = userdata;
	run->status = e->status;
	run->done = true;
	if (e->message[0] && (!run->cli->quiet || e->kind != SBX_EXIT_SIGNALED))
		fprintf(stderr, "sbx: %s\n", e->message);
	if (run->cli->verbose)
		fprintf(stderr, "sbx: debug: exit status %d\n", e->status);
	if (run->json) {
		if (e->kind == SBX_EXIT_VIOLATION) {
			fputs("{\"event\":\"violation\",\"syscall\":", run->json);
			json_str(run->json, e->syscall);
			fputs(",\"suggestion\":", run->json);
			json_str(run->json, e->suggestion);
			fputs("}\n", run->json);
		}
		fprintf(run->json, "{\"event\":\"exit\",\"kind\":\"%s\",\"status\":%d,\"code\":%d,\"signal\":%d,\"message\":",
			kind_name(e->kind), e->status, e->code, e->signal);
		json_str(run->json, e->message);
		fputs("}\n", run->json);
		fflush(run->json);
	}
	event_base_loopbreak(run->base);
}

static void on_signal(evutil_socket_t sig, short what, void *userdata)
{
	(void)what;
	struct run *run = userdata;
	if (run->worker && !run->done)
		(void)sbx_worker_signal(run->worker, (int)sig);
}

/* Start with 0, 1 and 2 open, so that no fd we open later is mistaken for stdio inside. */
static int sanitize_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n < 0)
			return -errno;
		if (n != fd)
			return -EBADF;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (sanitize_stdio() < 0)
		return EXIT_SBX_FAILED;
	if (argc > 1 && strcmp(argv[1], "policy") == 0)
		return sbx_policy_cli(argc - 1, argv + 1);

	struct sbx_cli cli;
	if (sbx_cli_parse(argc, argv, &cli) < 0)
		return EXIT_SBX_FAILED;
	if (cli.help) {
		sbx_cli_usage(stdout);
		return 0;
	}
	if (cli.version) {
		printf("sbx %s\n", sbx_version());
		return 0;
	}

	struct sbx_error err;
	memset(&err, 0, sizeof(err));
	struct sbx_config *cfg = NULL;
	struct sbx_policy *policy = NULL;
	int r;
	if ((r = sbx_config_new(&cfg)) < 0) {
		fprintf(stderr, "sbx: error: %s\n", strerror(-r));
		return EXIT_SBX_FAILED;
	}
	sbx_config_set_log(cfg, log_cb, &cli);
	sbx_config_set_verbose(cfg, cli.verbose > 0);

	if (cli.policy) {
		r = sbx_policy_open(cli.policy, cli.n_params ? cli.params : NULL, &policy, &err);
		if (r < 0) {
			fprintf(stderr, "sbx: error: policy: %s\n", err.message);
			sbx_config_free(cfg);
			return EXIT_SBX_FAILED;
		}
		sbx_config_set_policy(cfg, policy); /* taken */
	} else if (cli.n_params) {
		fprintf(stderr, "sbx: error: --param given without --policy\n");
		sbx_config_free(cfg);
		return EXIT_SBX_FAILED;
	}
	for (size_t i = 0; i < cli.n_ro + cli.n_rw; i++) {
		bool rw = i >= cli.n_ro;
		const char *path = rw ? cli.rw[i - cli.n_ro] : cli.ro[i];
		if ((r = sbx_config_add_path(cfg, path, rw)) < 0) {
			fprintf(stderr, "sbx: error: %s %s: %s\n", rw ? "--rw" : "--ro", path, strerror(-r));
			sbx_config_free(cfg);
			return EXIT_SBX_FAILED;
		}
	}
	sbx_config_set_time_limit_ms(cfg, cli.time_limit_ms);
	sbx_config_set_memory_limit(cfg, cli.memory);
	sbx_config_set_pids_limit(cfg, cli.pids);
	if (cli.user_set && (r = sbx_config_set_host_id(cfg, cli.uid, cli.gid)) < 0) {
		fprintf(stderr, "sbx: error: --user: %s\n", strerror(-r));
		sbx_config_free(cfg);
		return EXIT_SBX_FAILED;
	}
	if (cli.no_seccomp) {
		fprintf(stderr, "sbx: WARNING: --no-seccomp: the seccomp layer is OFF. The program may make any "
				"system call the kernel offers. Use this for diagnosis only.\n");
		sbx_config_set_seccomp(cfg, false);
	}

	for (size_t i = 0; i < cli.n_res; i++) {
		const struct sbx_resource *res = &cli.res[i];
		switch (res->kind) {
		case SBX_RES_FILE: r = sbx_config_add_file(cfg, res->name, res->target, res->flags); break;
		case SBX_RES_DIR: r = sbx_config_add_dir(cfg, res->name, res->target, res->flags, res->pattern); break;
		case SBX_RES_CAPTURE: r = sbx_config_add_capture(cfg, res->name, res->target, res->promisc, res->filter); break;
		case SBX_RES_CONNECT: r = sbx_config_add_socket(cfg, res->name, res->target, false); break;
		case SBX_RES_LISTEN: r = sbx_config_add_socket(cfg, res->name, res->target, true); break;
		case SBX_RES_FD: r = sbx_config_add_fd(cfg, res->name, res->fd); break;
		default: r = -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "sbx: error: resource %s: %s\n", res->name,
				r == -EEXIST ? "name used twice" : r == -EINVAL ? "invalid name or value (names: [A-Za-z0-9_])"
									       : strerror(-r));
			sbx_config_free(cfg);
			return EXIT_SBX_FAILED;
		}
	}
	if (cli.requests)
		sbx_config_set_requests(cfg, true);
	if (cli.subid && (r = sbx_config_set_subid(cfg, cli.subid)) < 0) {
		fprintf(stderr, "sbx: error: --subid %s: %s\n", cli.subid,
			r == -ENOENT ? "no range for that name in /etc/subuid and /etc/subgid" : strerror(-r));
		sbx_config_free(cfg);
		return EXIT_SBX_FAILED;
	}
	if (cli.range_set && (r = sbx_config_set_id_range(cfg, cli.range_uid, cli.range_gid, cli.range_count)) < 0) {
		fprintf(stderr, "sbx: error: --id-range: %s\n", strerror(-r));
		sbx_config_free(cfg);
		return EXIT_SBX_FAILED;
	}
	if (cli.learn)
		sbx_config_set_learn(cfg, true);

	struct run run = { .cli = &cli, .status = EXIT_SBX_FAILED };
	if (cli.json_fd >= 0) {
		int jfd = fcntl(cli.json_fd, F_DUPFD_CLOEXEC, 3);
		if (jfd < 0 || !(run.json = fdopen(jfd, "w"))) {
			fprintf(stderr, "sbx: error: --json-status-fd %d: %s\n", cli.json_fd, strerror(errno));
			if (jfd >= 0)
				close(jfd);
			sbx_config_free(cfg);
			return EXIT_SBX_FAILED;
		}
		/* Our copy is close-on-exec; the original must not reach the worker either. */
		if (cli.json_fd > 2)
			close(cli.json_fd);
	}
	run.base = event_base_new();
	if (!run.base) {
		fprintf(stderr, "sbx: error: cannot create the event loop\n");
		sbx_config_free(cfg);
		return EXIT_SBX_FAILED;
	}
	/* The broker must not die of a write to a closed pipe: the worker's end would go with it. */
	signal(SIGPIPE, SIG_IGN);
	static const int forward[] = { SIGINT, SIGTERM, SIGHUP };
	struct event *sigev[3] = { NULL, NULL, NULL };
	for (size_t i = 0; i < 3; i++) {
		sigev[i] = evsignal_new(run.base, forward[i], on_signal, &run);
		if (!sigev[i] || event_add(sigev[i], NULL) < 0) {
			fprintf(stderr, "sbx: error: cannot watch signal %d\n", forward[i]);
			goto out;
		}
	}

	static const struct sbx_callbacks callbacks = { .exit = on_exit_cb, .syscall = on_syscall_cb,
							.audit = on_audit_cb };
	r = sbx_worker_spawn(run.base, cfg, cli.argv[0], cli.argv, &callbacks, &run, &run.worker, &err);
	if (r < 0) {
		fprintf(stderr, "sbx: error: %s\n", err.message);
		run.status = err.status ? err.status : EXIT_SBX_FAILED;
		goto out;
	}
	if (run.json) {
		fprintf(run.json, "{\"event\":\"start\",\"pid\":%d,\"program\":", (int)sbx_worker_pid(run.worker));
		json_str(run.json, cli.argv[0]);
		fputs("}\n", run.json);
		fflush(run.json);
	}
	if (event_base_dispatch(run.base) < 0 || !run.done) {
		fprintf(stderr, "sbx: error: event loop failed\n");
		run.status = EXIT_SBX_FAILED;
	}
	if (cli.learn && run.done) {
		/* Write next to the target and rename, so a failed run never leaves half a policy. */
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", cli.learn, (int)getpid());
		FILE *out = fopen(tmp, "wxe");
		int lr = out ? sbx_policy_learn_write(run.learned, run.n_learned, out) : -errno;
		if (out && fclose(out) != 0 && lr == 0)
			lr = -EIO;
		if (lr == 0 && rename(tmp, cli.learn) < 0)
			lr = -errno;
		if (lr < 0) {
			unlink(tmp);
			fprintf(stderr, "sbx: error: --learn %s: %s\n", cli.learn, strerror(-lr));
			run.status = EXIT_SBX_FAILED;
		} else if (!cli.quiet) {
			fprintf(stderr, "sbx: learned policy from %zu system calls written to %s%s\n", run.n_learned,
				cli.learn, run.learn_oom ? " (recording was cut short: out of memory)" : "");
		}
	}
out:
	sbx_worker_free(run.worker);
	for (size_t i = 0; i < 3; i++)
		if (sigev[i])
			event_free(sigev[i]);
	event_base_free(run.base);
	sbx_config_free(cfg);
	free(run.learned);
	if (run.json)
		fclose(run.json);
	return run.status;
}
