/* SPDX-License-Identifier: MIT */
/* sbx(1): a thin client of libsbx. Parses the command line, starts one worker in a libevent
 * loop, forwards signals to it and turns its end into the exit status of the contract. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/batch.h"
#include "broker/cli.h"
#include "broker/doctor.h"
#include "broker/policy/policy.h"
#include "broker/ps.h"
#include "common/util.h"
#include "sbx.h"

#define EXIT_SBX_FAILED 125
#define N_FORWARDED 3 /* SIGINT, SIGTERM, SIGHUP */

struct run {
	struct sbx_cli *cli;
	struct sbx_config *cfg;
	struct event_base *base;
	struct event *sigev[N_FORWARDED]; /* the signals forwarded to the worker */
	struct sbx_worker *worker;
	int status;
	bool done;
	FILE *json;                      /* --json-status-fd */
	struct sbx_learn *learn;         /* --learn */
	bool learn_cut_short;
};

static void on_audit_cb(struct sbx_worker *w, const struct sbx_audit *a, void *userdata)
{
	(void)w;
	struct run *run = userdata;
	if (!run->json)
		return;
	fputs("{\"event\":\"audit\",\"request\":", run->json);
	sbx_json_str(run->json, a->request);
	fputs(",\"target\":", run->json);
	sbx_json_str(run->json, a->target);
	fprintf(run->json, ",\"granted\":%s,\"error\":%d,\"rule\":", a->granted ? "true" : "false", a->error);
	sbx_json_str(run->json, a->rule);
	fputs("}\n", run->json);
	fflush(run->json);
}

static void on_syscall_cb(struct sbx_worker *w, uint32_t arch, int nr, const uint64_t args[6], void *userdata)
{
	(void)w;
	struct run *run = userdata;
	if (run->learn && sbx_learn_record(run->learn, arch, nr, args) < 0)
		run->learn_cut_short = true;
}

/* For intrusion detection (docs/ids.md): every namespace the sandbox consists of. */
static void on_namespaces_cb(struct sbx_worker *w, const struct sbx_namespaces *ns, void *userdata)
{
	(void)w;
	struct run *run = userdata;
	if (!run->json || !run->cli->record_ns)
		return;
	fprintf(run->json, "{\"event\":\"namespaces\",\"pid\":%d,\"uid\":%u,\"policy\":", (int)ns->pid,
		(unsigned)ns->uid);
	sbx_json_str(run->json, ns->policy);
	fputs(",\"namespaces\":[", run->json);
	for (size_t i = 0; i < ns->n; i++)
		fprintf(run->json, "%s{\"type\":\"%s\",\"inode\":%llu}", i ? "," : "", ns->ns[i].type,
			(unsigned long long)ns->ns[i].inode);
	fputs("]}\n", run->json);
	fflush(run->json);
}

static void log_cb(enum sbx_log_level level, const char *message, void *userdata)
{
	const struct sbx_cli *cli = userdata;
	static const char *const prefix[] = { "error", "warning", "notice", "debug" };
	if (level == SBX_LOG_DEBUG && !cli->verbose)
		return;
	if (level >= SBX_LOG_WARNING && cli->quiet)
		return;
	sbx_cli_message("sbx: %s: %s", prefix[level], message);
}

/* Where the suggested line goes. Not for a call no line should allow (refused by design, or
 * "(none: ...)" of a foreign architecture). */
static void violation_hint(const struct sbx_cli *cli, const struct sbx_exit *e)
{
	if (!e->suggestion[0] || e->suggestion[0] == '(' || strncmp(e->suggestion, "refused by design: ", 19) == 0)
		return;
	if (cli->policy)
		sbx_cli_message("sbx: add the line to %s; or let 'sbx --learn FILE -- PROGRAM [ARG...]' write a policy "
				"from a run", cli->policy);
	else
		fprintf(stderr, "sbx: to extend the default policy, write a policy that starts with 'include default', "
				"add the line, and run with --policy FILE; or let 'sbx --learn FILE -- PROGRAM [ARG...]' "
				"write one from a run\n");
}

/* A layer could not be applied and the launch failed closed: what this place lacks and the two
 * ways out. Under --fallback the plan already left out what the probe found missing. */
static void failed_closed(const struct sbx_cli *cli)
{
	if (!cli->fallback)
		sbx_doctor_advise(stderr);
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct run *run = userdata;
	run->status = e->status;
	run->done = true;
	if (e->message[0] && (!run->cli->quiet || e->kind != SBX_EXIT_SIGNALED))
		sbx_cli_message("sbx: %s", e->message);
	if (e->kind == SBX_EXIT_VIOLATION && !run->cli->quiet)
		violation_hint(run->cli, e);
	if (e->kind == SBX_EXIT_SETUP_FAILED)
		failed_closed(run->cli);
	if (run->cli->verbose)
		fprintf(stderr, "sbx: debug: exit status %d\n", e->status);
	if (run->json) {
		if (e->kind == SBX_EXIT_VIOLATION) {
			fputs("{\"event\":\"violation\",\"syscall\":", run->json);
			sbx_json_str(run->json, e->syscall);
			fputs(",\"suggestion\":", run->json);
			sbx_json_str(run->json, e->suggestion);
			fputs("}\n", run->json);
		}
		fprintf(run->json, "{\"event\":\"exit\",\"kind\":\"%s\",\"status\":%d,\"code\":%d,\"signal\":%d,\"message\":",
			sbx_cli_kind_name(e->kind), e->status, e->code, e->signal);
		sbx_json_str(run->json, e->message);
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

static int fail(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "sbx: error: ..." (escaped, sbx_cli_message) and return r, so a failing step is one
 * line. */
static int fail(int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *text = NULL;
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		text = NULL; /* undefined after a failure: the cleanup must not free it */
	sbx_cli_message("sbx: error: %s", n < 0 ? "(out of memory)" : text);
	return r;
}

/* The policy; in learn mode its filesystem, limits and resources are kept for the learned one. */
static int set_policy(const struct sbx_cli *cli, struct sbx_config *cfg, struct sbx_learn *learn)
{
	if (!cli->policy)
		return cli->n_params ? fail(-EINVAL, "--param given without --policy") : 0;
	struct sbx_error err = SBX_ERROR_INIT;
	struct sbx_policy *policy = NULL;
	int r = sbx_policy_new(cli->policy, cli->n_params ? cli->params : NULL, &policy, &err);
	if (r < 0) {
		fail(r, "policy: %s", err.message);
		sbx_error_free(&err);
		return r;
	}
	if (learn && (r = sbx_learn_set_policy(learn, policy)) < 0) {
		sbx_policy_free(policy);
		return fail(r, "--learn: %s", strerror(-r));
	}
	sbx_config_set_policy(cfg, policy); /* taken */
	return 0;
}

static int add_paths(const struct sbx_cli *cli, struct sbx_config *cfg, struct sbx_learn *learn)
{
	for (size_t i = 0; i < cli->n_ro + cli->n_rw; i++) {
		bool rw = i >= cli->n_ro;
		const char *path = rw ? cli->rw[i - cli->n_ro] : cli->ro[i];
		int r = sbx_config_add_path(cfg, path, rw);
		if (r < 0)
			return fail(r, "%s %s: %s", rw ? "--rw" : "--ro", path, strerror(-r));
		if (learn && (r = sbx_learn_add_path(learn, path, rw)) < 0)
			return fail(r, "--learn: %s %s: %s", rw ? "--rw" : "--ro", path,
				    r == -EINVAL ? "a path the policy language cannot quote" : strerror(-r));
	}
	return 0;
}

static int set_limits(const struct sbx_cli *cli, struct sbx_config *cfg)
{
	sbx_config_set_time_limit_ms(cfg, cli->time_limit_ms);
	if (cli->kill_after_ms)
		sbx_config_set_kill_after_ms(cfg, cli->kill_after_ms);
	sbx_config_set_memory_limit(cfg, cli->memory);
	sbx_config_set_pids_limit(cfg, cli->pids);
	int r;
	if (cli->user_set && (r = sbx_config_set_host_id(cfg, cli->uid, cli->gid)) < 0)
		return fail(r, "--user: %s", strerror(-r));
	if (cli->no_seccomp) {
		fprintf(stderr, "sbx: WARNING: --no-seccomp: the seccomp layer is OFF. The program may make any "
				"system call the kernel offers. Use this for diagnosis only.\n");
		sbx_config_set_seccomp(cfg, false);
	}
	return 0;
}

static int add_resource(struct sbx_config *cfg, const struct sbx_resource *res)
{
	switch (res->kind) {
	case SBX_RES_FILE: return sbx_config_add_file(cfg, res->name, res->target, res->flags);
	case SBX_RES_DIR: return sbx_config_add_dir(cfg, res->name, res->target, res->flags, res->pattern);
	case SBX_RES_CAPTURE:
		return sbx_config_add_capture(cfg, res->name, res->target,
					      (res->promisc ? SBX_CAPTURE_PROMISC : 0) | (res->tx ? SBX_CAPTURE_TX : 0), res->filter);
	case SBX_RES_CONNECT: return sbx_config_add_socket(cfg, res->name, res->target, false);
	case SBX_RES_LISTEN: return sbx_config_add_socket(cfg, res->name, res->target, true);
	case SBX_RES_FD: return sbx_config_add_fd(cfg, res->name, res->fd);
	}
	return -EINVAL;
}

/* The grants; in learn mode they are kept as the learned policy's resource lines. */
static int add_resources(const struct sbx_cli *cli, struct sbx_config *cfg, struct sbx_learn *learn)
{
	int r;
	for (size_t i = 0; i < cli->n_res; i++) {
		if ((r = add_resource(cfg, &cli->res[i])) < 0)
			return fail(r, "resource %s: %s", cli->res[i].name,
				    r == -EEXIST ? "name used twice"
				    : r == -EINVAL ? "invalid name or value (names: [A-Za-z0-9_])"
						   : strerror(-r));
	}
	if (cli->requests)
		sbx_config_set_requests(cfg, true);
	if (learn && (r = sbx_learn_add_grants(learn, cfg)) < 0)
		return fail(r, "--learn: %s", strerror(-r));
	return 0;
}

static int set_ids(const struct sbx_cli *cli, struct sbx_config *cfg)
{
	int r;
	if (cli->subid && (r = sbx_config_set_subid(cfg, cli->subid)) < 0)
		return fail(r, "--subid %s: %s", cli->subid,
			    r == -ENOENT ? "no range for that name in /etc/subuid and /etc/subgid" : strerror(-r));
	if (cli->range_set && (r = sbx_config_set_id_range(cfg, cli->range_uid, cli->range_gid, cli->range_count)) < 0)
		return fail(r, "--id-range: %s", strerror(-r));
	return 0;
}

/* What may be at OUT: nothing, or with --force a regular file. Never anything else, even with
 * --force: the policy is renamed into place, and a rename over a device node, a FIFO or a
 * symbolic link would replace it (as root, /dev/full became a text file). Checked before the
 * run, so that a long run is not wasted, and again before the rename. */
static int check_learn_target(const char *path, bool force)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail(-errno, "--learn %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(-EEXIST, "--learn %s: %s is there, not a regular file; refusing to replace it "
				     "(--force replaces regular files only)", path, sbx_file_kind(st.st_mode));
	if (!force)
		return fail(-EEXIST, "--learn %s: the file exists; add --force to replace it", path);
	return 0;
}

static int set_learn(struct run *run)
{
	if (!run->cli->learn)
		return 0;
	int r = check_learn_target(run->cli->learn, run->cli->force);
	if (r < 0)
		return r;
	if ((r = sbx_learn_new(&run->learn)) < 0)
		return fail(r, "--learn: %s", strerror(-r));
	sbx_config_set_learn(run->cfg, true);
	return 0;
}

static void set_records(const struct sbx_cli *cli, struct sbx_config *cfg)
{
	if (cli->syslog)
		sbx_config_set_syslog(cfg, true);
}

/* The command line, turned into a libsbx configuration, in the order the options are checked
 * (the learn recorder first: it keeps the policy's and the paths' lines). */
static int make_config(struct run *run)
{
	const struct sbx_cli *cli = run->cli;
	int r = sbx_config_new(&run->cfg);
	if (r < 0)
		return fail(r, "%s", strerror(-r));
	sbx_config_set_log(run->cfg, log_cb, run->cli);
	sbx_config_set_verbose(run->cfg, cli->verbose > 0);
	if ((r = set_learn(run)) < 0 || (r = set_policy(cli, run->cfg, run->learn)) < 0 ||
	    (r = add_paths(cli, run->cfg, run->learn)) < 0 || (r = set_limits(cli, run->cfg)) < 0 ||
	    (r = add_resources(cli, run->cfg, run->learn)) < 0 || (r = set_ids(cli, run->cfg)) < 0)
		return r;
	set_records(cli, run->cfg);
	if (cli->fallback)
		sbx_config_set_fallback(run->cfg, true);
	return 0;
}

static int open_json(struct run *run)
{
	int json_fd = run->cli->json_fd;
	if (json_fd < 0)
		return 0;
	int jfd = fcntl(json_fd, F_DUPFD_CLOEXEC, 3);
	if (jfd < 0 || !(run->json = fdopen(jfd, "w"))) {
		int e = errno;
		if (jfd >= 0)
			close(jfd);
		return fail(-e, "--json-status-fd %d: %s", json_fd, strerror(e));
	}
	/* Our copy is close-on-exec; the original must not reach the worker either. */
	if (json_fd > 2)
		close(json_fd);
	return 0;
}

static int make_loop(struct run *run)
{
	run->base = event_base_new();
	if (!run->base)
		return fail(-ENOMEM, "cannot create the event loop");
	/* The broker must not die of a write to a closed pipe: the worker's end would go with it. */
	signal(SIGPIPE, SIG_IGN);
	static const int forward[N_FORWARDED] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < N_FORWARDED; i++) {
		run->sigev[i] = evsignal_new(run->base, forward[i], on_signal, run);
		if (!run->sigev[i] || event_add(run->sigev[i], NULL) < 0)
			return fail(-ENOMEM, "cannot watch signal %d", forward[i]);
	}
	return 0;
}

/* The layers the fallback left out, once: {"event":"fallback","missing":["mountns",...]}. */
static void json_fallback(struct run *run)
{
	const char *keys = sbx_worker_fallback(run->worker);
	if (!keys[0])
		return;
	fputs("{\"event\":\"fallback\",\"missing\":[\"", run->json);
	for (const char *k = keys; *k; k++)
		fputs(*k == ',' ? "\",\"" : (char[]){ *k, 0 }, run->json);
	fputs("\"]}\n", run->json);
}

static int spawn(struct run *run)
{
	static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb,
							.syscall = on_syscall_cb, .audit = on_audit_cb,
							.namespaces = on_namespaces_cb };
	struct sbx_error err = SBX_ERROR_INIT;
	char **argv = run->cli->argv;
	int r = sbx_worker_spawn(run->base, run->cfg, argv[0], argv, &callbacks, run, &run->worker, &err);
	if (r < 0) {
		run->status = err.status ? err.status : EXIT_SBX_FAILED;
		fail(r, "%s", err.message);
		sbx_error_free(&err);
		if (run->status == EXIT_SBX_FAILED)
			failed_closed(run->cli);
		return r;
	}
	if (run->json) {
		fprintf(run->json, "{\"event\":\"start\",\"pid\":%d,\"program\":", (int)sbx_worker_pid(run->worker));
		sbx_json_str(run->json, argv[0]);
		fputs("}\n", run->json);
		json_fallback(run);
		fflush(run->json);
	}
	return 0;
}

/* sbx --each (broker/batch.c): every job from the same configuration; true when it ran. */
static bool run_each(struct run *run)
{
	if (!run->cli->each)
		return false;
	run->status = sbx_batch_run(run->cli, run->cfg, run->json);
	return true;
}

static void wait_for_exit(struct run *run)
{
	if (event_base_dispatch(run->base) < 0 || !run->done) {
		fprintf(stderr, "sbx: error: event loop failed\n");
		run->status = EXIT_SBX_FAILED;
	}
}

/* tmp into place at path: never over anything but a regular file, and over that only with
 * --force (a file that appeared during the run is not replaced without it). */
static int move_learned(const char *tmp, const char *path, bool force)
{
	int r = check_learn_target(path, force);
	if (r < 0)
		return r;
	if (force)
		return rename(tmp, path) < 0 ? fail(-errno, "--learn %s: %s", path, strerror(errno)) : 0;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	/* A filesystem without RENAME_NOREPLACE: link() never replaces either. */
	if (errno == EINVAL && link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	return fail(-errno, "--learn %s: %s", path,
		    errno == EEXIST ? "the file appeared during the run; add --force to replace it" : strerror(errno));
}

/* Written next to the target, created new (O_EXCL: never through a file or link already there)
 * and renamed, so a failed run never leaves half a policy. */
static void write_learned(struct run *run)
{
	const char *path = run->cli->learn;
	if (!path || !run->done)
		return;
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		run->status = fail(EXIT_SBX_FAILED, "--learn %s: %s", path, strerror(ENAMETOOLONG));
		return;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	int r = fd >= 0 ? sbx_learn_write(run->learn, fd) : -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		if (fd >= 0)
			unlink(tmp);
		run->status = fail(EXIT_SBX_FAILED, "--learn %s: %s", path, strerror(-r));
	} else if (move_learned(tmp, path, run->cli->force) < 0) {
		unlink(tmp);
		run->status = EXIT_SBX_FAILED;
	} else if (!run->cli->quiet) {
		sbx_cli_message("sbx: learned policy from %zu system calls written to %s%s", sbx_learn_count(run->learn),
			path, run->learn_cut_short ? " (recording was cut short: out of memory)" : "");
	}
}

static void run_free(struct run *run)
{
	sbx_worker_free(run->worker);
	for (size_t i = 0; i < N_FORWARDED; i++)
		if (run->sigev[i])
			event_free(run->sigev[i]);
	if (run->base)
		event_base_free(run->base);
	sbx_config_free(run->cfg);
	sbx_learn_free(run->learn);
	if (run->json)
		fclose(run->json);
}

int main(int argc, char **argv)
{
	if (sanitize_stdio() < 0)
		return EXIT_SBX_FAILED;
	sbx_policy_search_beside_exe();
	if (argc > 1 && strcmp(argv[1], "policy") == 0)
		return sbx_policy_cli(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "ps") == 0)
		return sbx_ps_cli(argc - 1, argv + 1);
	/* Subcommands, not programs: `sbx -- doctor` runs a program of that name. */
	if (argc > 1 && strcmp(argv[1], "doctor") == 0)
		return sbx_doctor_cli(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "help") == 0) {
		sbx_cli_usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--help-man") == 0) {
		sbx_cli_man_options(stdout);
		return 0;
	}

	struct sbx_cli cli;
	if (sbx_cli_parse(argc, argv, &cli) < 0)
		return EXIT_SBX_FAILED;
	if (cli.help) {
		sbx_cli_usage(stdout);
		return 0;
	}
	if (cli.version) {
		sbx_cli_version(stdout);
		return 0;
	}

	struct run run = { .cli = &cli, .status = EXIT_SBX_FAILED };
	if (make_config(&run) == 0 && open_json(&run) == 0 && !run_each(&run) && make_loop(&run) == 0 &&
	    spawn(&run) == 0) {
		wait_for_exit(&run);
		write_learned(&run);
	}
	run_free(&run);
	return run.status;
}
