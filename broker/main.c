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
#include "sbx.h"

#define EXIT_SBX_FAILED 125

struct run {
	struct event_base *base;
	struct sbx_worker *worker;
	struct sbx_cli *cli;
	int status;
	bool done;
};

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

static int exit_code_for(int r)
{
	return r == -ENOENT ? 127 : r == -EACCES ? 126 : EXIT_SBX_FAILED;
}

int main(int argc, char **argv)
{
	if (sanitize_stdio() < 0)
		return EXIT_SBX_FAILED;

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
	for (size_t i = 0; i < cli.n_ro; i++)
		sbx_config_add_path(cfg, cli.ro[i], false);
	for (size_t i = 0; i < cli.n_rw; i++)
		sbx_config_add_path(cfg, cli.rw[i], true);
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

	struct run run = { .cli = &cli, .status = EXIT_SBX_FAILED };
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

	static const struct sbx_callbacks callbacks = { .exit = on_exit_cb };
	r = sbx_worker_spawn(run.base, cfg, cli.argv[0], cli.argv, &callbacks, &run, &run.worker, &err);
	if (r < 0) {
		fprintf(stderr, "sbx: error: %s\n", err.message);
		run.status = exit_code_for(r);
		goto out;
	}
	if (event_base_dispatch(run.base) < 0 || !run.done) {
		fprintf(stderr, "sbx: error: event loop failed\n");
		run.status = EXIT_SBX_FAILED;
	}
out:
	sbx_worker_free(run.worker);
	for (size_t i = 0; i < 3; i++)
		if (sigev[i])
			event_free(sigev[i]);
	event_base_free(run.base);
	sbx_config_free(cfg);
	return run.status;
}
