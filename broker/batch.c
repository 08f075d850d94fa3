/* SPDX-License-Identifier: MIT */
/* sbx --each (batch.h). The whole LIST is read and checked before any job starts, so a bad line
 * is named and nothing runs. Then up to N jobs at once, each a worker of one pool with its own
 * pipes for stdout and stderr (output.c); a job that ends is written out when every job before
 * it in LIST has been, so outputs never interleave and keep LIST's order whatever order the jobs
 * end in. A job that fails, is killed for a violation or times out costs that job only. */
#include "batch.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/cli.h"
#include "broker/json.h"
#include "broker/output.h"
#include "common/util.h"

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_SKIPPED };

struct job {
	struct batch *b;
	size_t line_no;             /* 1-based, as the user counts */
	char *line;                 /* owned */
	enum job_state state;
	struct sbx_worker *w;
	struct sbx_output out, err;
	bool exited;                /* the exit callback has run */
	int status;                 /* as sbx(1) would exit */
	int32_t kind;
	int code, signal;
	char *violation;            /* the call, when killed for one; owned */
	double start_ms, time_ms;
};

struct batch {
	const struct sbx_cli *cli;
	const struct sbx_config *cfg;
	FILE *json;
	struct event_base *base;
	struct sbx_pool *pool;
	bool zygote;                  /* jobs start on the pool's zygote */
	struct event *sigev[3];
	struct job *jobs;
	size_t n_jobs, cap;
	size_t next_start, next_write, running;
	unsigned max_running;
	int interrupted;            /* the first stopping signal, 0: none */
	bool advancing;             /* advance() is running (a job that ends at once calls it) */
	unsigned cpus;              /* online CPUs */
	int devnull;                /* every job's stdin */
	int status;                 /* the batch's exit status so far */
	bool write_failed;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- LIST ---- */

static int add_line(struct batch *b, char *line, size_t line_no)
{
	if (b->n_jobs == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct job *j = realloc(b->jobs, cap * sizeof(*j));
		if (!j)
			return -ENOMEM;
		b->jobs = j;
		b->cap = cap;
	}
	/* Outputs not open yet: -1, never 0 (a flush or free would take sbx's own stdin). */
	b->jobs[b->n_jobs++] = (struct job){ .b = b, .line_no = line_no, .line = line, .state = JOB_PENDING,
					     .out = { .fd = -1, .spill = -1 }, .err = { .fd = -1, .spill = -1 } };
	return 0;
}

/* One line, checked: the message names it. */
static int check_line(const char *list, size_t line_no, const char *line, ssize_t n)
{
	const char *why = n == 0 ? "empty line"
			  : n > SBX_BATCH_LINE_MAX ? "longer than 4096 bytes"
			  : memchr(line, '\0', (size_t)n) ? "contains a NUL byte"
							  : NULL;
	if (!why)
		return 0;
	sbx_cli_message("sbx: error: --each %s: line %zu: %s; nothing was run", list, line_no, why);
	return -EINVAL;
}

static int read_list(struct batch *b)
{
	const char *list = b->cli->each;
	bool is_stdin = strcmp(list, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(list, "re");
	if (!f) {
		sbx_cli_message("sbx: error: --each %s: %s", list, strerror(errno));
		return -errno;
	}
	char *line = NULL;
	size_t size = 0, line_no = 0;
	ssize_t n;
	int r = 0;
	while (r == 0 && (errno = 0, n = getline(&line, &size, f)) >= 0) {
		line_no++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if ((r = check_line(list, line_no, line, n)) == 0) {
			char *copy = strdup(line);
			r = copy ? add_line(b, copy, line_no) : -ENOMEM;
			if (r < 0)
				free(copy);
		}
	}
	if (r == 0 && ferror(f)) {
		r = errno ? -errno : -EIO;
		sbx_cli_message("sbx: error: --each %s: reading after line %zu: %s", list, line_no, strerror(-r));
	}
	free(line);
	if (!is_stdin)
		fclose(f);
	if (r == -ENOMEM)
		sbx_cli_message("sbx: error: --each %s: out of memory at line %zu", list, line_no);
	return r;
}

/* ---- one job ---- */

/* ARG with every "{}" replaced by line, as xargs -I {} does. */
static char *substitute(const char *arg, const char *line)
{
	size_t n = 0, ll = strlen(line);
	for (const char *p = strstr(arg, "{}"); p; p = strstr(p + 2, "{}"))
		n++;
	char *out = malloc(strlen(arg) + n * ll + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = arg, *q; *p; p = q + 2) {
		if (!(q = strstr(p, "{}"))) {
			strcpy(o, p);
			return out;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, line, ll);
		o += ll;
	}
	*o = '\0';
	return out;
}

static void free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

static char **job_argv(const struct batch *b, const struct job *j)
{
	size_t n = 0;
	while (b->cli->argv[n])
		n++;
	char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv && i < n; i++)
		if (!(argv[i] = substitute(b->cli->argv[i], j->line))) {
			free_argv(argv);
			return NULL;
		}
	return argv;
}

static void advance(struct batch *b);

/* Workers made ready ahead of the jobs (sbx_pool_keep_ready), when every job runs the same
 * program (no "{}" in it) and the jobs at once leave a CPU free for making them: as many as run
 * at once, never more than the jobs left to start, so that none is made for nothing at the end.
 * On CPUs the jobs already keep busy they cost the batch (each is a little more work than a cold
 * launch; measured on two CPUs: -j 1 +30% jobs/s with them, -j 2 -7%). Without them jobs start
 * cold, as they would anyway. */
static void keep_ready(struct batch *b)
{
	size_t at_once = b->n_jobs < b->max_running ? b->n_jobs : b->max_running;
	if (b->zygote || strstr(b->cli->argv[0], "{}") || at_once >= b->cpus)
		return;
	size_t left = b->interrupted ? 0 : b->n_jobs - b->next_start;
	unsigned n = left < b->max_running ? (unsigned)left : b->max_running;
	if (n > SBX_POOL_READY_MAX)
		n = SBX_POOL_READY_MAX;
	struct sbx_error err = SBX_ERROR_INIT;
	if (sbx_pool_keep_ready(b->pool, b->cli->argv[0], n, &err) < 0) {
		if (b->cli->verbose)
			sbx_cli_message("sbx: debug: --each: no ready workers: %s", err.message);
		sbx_error_free(&err);
	}
}

static void job_finish_if_done(struct job *j)
{
	if (j->state != JOB_RUNNING || !j->exited || !sbx_output_done(&j->out) || !sbx_output_done(&j->err))
		return;
	j->state = JOB_DONE;
	j->time_ms = now_ms() - j->start_ms;
	sbx_worker_free(j->w);
	j->w = NULL;
	j->b->running--;
	advance(j->b);
}

static void on_eof(void *arg)
{
	job_finish_if_done(arg);
}

static void say(struct job *j, const char *prefix, const char *message)
{
	sbx_output_add(&j->err, prefix, strlen(prefix));
	sbx_output_add(&j->err, message, strlen(message));
	sbx_output_add(&j->err, "\n", 1);
}

static void on_exit_cb(struct sbx_worker *w, const struct sbx_exit *e, void *userdata)
{
	(void)w;
	struct job *j = userdata;
	j->exited = true;
	j->status = e->status;
	j->kind = e->kind;
	j->code = e->code;
	j->signal = e->signal;
	if (e->kind == SBX_EXIT_VIOLATION)
		j->violation = strdup(e->syscall);
	/* The message goes with the job's own stderr, so it reads beside what the job wrote. */
	if (e->message[0] && (!j->b->cli->quiet || e->kind != SBX_EXIT_SIGNALED))
		say(j, "sbx: ", e->message);
	job_finish_if_done(j);
}

/* A job that could not be started ends at once with the status a single run would have. */
static void job_not_started(struct job *j, int status, const char *message)
{
	j->exited = true;
	j->status = status;
	j->kind = SBX_EXIT_SETUP_FAILED;
	say(j, "sbx: error: ", message);
	job_finish_if_done(j);
}

static void job_start(struct batch *b, struct job *j)
{
	static const struct sbx_callbacks callbacks = { .size = sizeof(callbacks), .exit = on_exit_cb };
	_cleanup_close_ int out_w = -1, err_w = -1;
	j->state = JOB_RUNNING;
	j->start_ms = now_ms();
	b->running++;
	int r = sbx_output_open(&j->out, b->base, &out_w, on_eof, j);
	if (r == 0)
		r = sbx_output_open(&j->err, b->base, &err_w, on_eof, j);
	char **argv = r == 0 ? job_argv(b, j) : NULL;
	if (!argv) {
		sbx_output_free(&j->out);
		sbx_output_free(&j->err);
		job_not_started(j, 125, strerror(r < 0 ? -r : ENOMEM));
		return;
	}
	/* stdin: nothing (LIST may be our stdin, and jobs must not race for one input). */
	struct sbx_error err = SBX_ERROR_INIT;
	int stdio[3] = { b->devnull, out_w, err_w };
	r = sbx_pool_spawn(b->pool, argv[0], argv, stdio, &callbacks, j, &j->w, &err);
	free_argv(argv);
	keep_ready(b);
	if (r < 0) {
		/* Our write ends close below: the pipes reach EOF and the job ends with the error. */
		job_not_started(j, err.status ? err.status : 125, err.message);
		sbx_error_free(&err);
	}
}

/* ---- order ---- */

static const char *kind_text(const struct job *j)
{
	return j->state == JOB_SKIPPED ? "not-started" : sbx_cli_kind_name(j->kind);
}

static void json_job(struct batch *b, const struct job *j)
{
	FILE *f = b->json;
	if (!f)
		return;
	fprintf(f, "{\"event\":\"job\",\"index\":%zu,\"line\":", j->line_no);
	sbx_json_str(f, j->line);
	fprintf(f, ",\"kind\":\"%s\",\"status\":%d,\"code\":%d,\"signal\":%d,\"violation\":", kind_text(j),
		j->status, j->code, j->signal);
	if (j->violation)
		sbx_json_str(f, j->violation);
	else
		fputs("null", f);
	fprintf(f, ",\"time_ms\":%.3f}\n", j->time_ms);
	fflush(f);
}

/* Every job at the head of LIST that has ended, written out in LIST order. */
static void write_ready(struct batch *b)
{
	while (b->next_write < b->n_jobs) {
		struct job *j = &b->jobs[b->next_write];
		if (j->state != JOB_DONE && j->state != JOB_SKIPPED)
			return;
		if ((sbx_output_flush(&j->out, STDOUT_FILENO) < 0 || sbx_output_flush(&j->err, STDERR_FILENO) < 0) &&
		    !b->write_failed) {
			b->write_failed = true;
			sbx_cli_message("sbx: error: --each: writing the output of line %zu: %s", j->line_no,
				strerror(errno));
		}
		if (j->out.error || j->err.error)
			sbx_cli_message("sbx: error: --each: line %zu: output lost: %s", j->line_no,
				strerror(j->out.error ? j->out.error : j->err.error));
		json_job(b, j);
		if (j->state == JOB_DONE && j->status != 0 && b->status == 0)
			b->status = j->status;
		free(j->line);
		j->line = NULL;
		free(j->violation);
		j->violation = NULL;
		b->next_write++;
	}
}

/* Start what may start, write what is ready, and end the loop when nothing runs any more. */
static void advance(struct batch *b)
{
	/* A job that cannot start ends at once and calls back here: the loop below, already
	 * running, picks up what it would have done (no recursion as deep as LIST). */
	if (b->advancing)
		return;
	b->advancing = true;
	while (!b->interrupted && b->running < b->max_running && b->next_start < b->n_jobs)
		job_start(b, &b->jobs[b->next_start++]);
	if (b->interrupted) {
		for (; b->next_start < b->n_jobs; b->next_start++)
			b->jobs[b->next_start].state = JOB_SKIPPED;
		keep_ready(b); /* none any more */
	}
	write_ready(b);
	b->advancing = false;
	if (b->running == 0 && b->next_write == b->n_jobs)
		event_base_loopbreak(b->base);
}

/* ---- signals ---- */

/* The first stopping signal reaches every running job (its init passes it to the program) and
 * starts no more; a second one kills them. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct batch *b = arg;
	bool again = b->interrupted != 0;
	if (!b->interrupted)
		b->interrupted = (int)sig;
	for (size_t i = b->next_write; i < b->next_start; i++)
		if (b->jobs[i].w && !b->jobs[i].exited)
			(void)sbx_worker_signal(b->jobs[i].w, again ? SIGKILL : (int)sig);
	advance(b);
}

static int watch_signals(struct batch *b)
{
	static const int stop[3] = { SIGINT, SIGTERM, SIGHUP };
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < 3; i++) {
		b->sigev[i] = evsignal_new(b->base, stop[i], on_signal, b);
		if (!b->sigev[i] || event_add(b->sigev[i], NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n_jobs; i++) {
		struct job *j = &b->jobs[i];
		sbx_worker_free(j->w);
		sbx_output_free(&j->out);
		sbx_output_free(&j->err);
		free(j->line);
		free(j->violation);
	}
	free(b->jobs);
	for (size_t i = 0; i < 3; i++)
		if (b->sigev[i])
			event_free(b->sigev[i]);
	sbx_pool_free(b->pool);
	sbx_close(&b->devnull);
	if (b->base)
		event_base_free(b->base);
}

/* LIST, the loop and the pool; each failure says what failed. */
static int batch_prepare(struct batch *b)
{
	struct sbx_error err = SBX_ERROR_INIT;
	int r = read_list(b);
	if (r < 0)
		return r;
	if ((b->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		sbx_cli_message("sbx: error: /dev/null: %s", strerror(errno));
		return -errno;
	}
	if (!(b->base = event_base_new()) || watch_signals(b) < 0) {
		sbx_cli_message("sbx: error: cannot create the event loop");
		return -ENOMEM;
	}
	if ((r = sbx_pool_new(b->base, b->cfg, &b->pool, &err)) < 0) {
		sbx_cli_message("sbx: error: %s", err.message);
		sbx_error_free(&err);
		return r;
	}
	/* A zygote when every job runs the same program: each job then starts from its root,
	 * built once, in namespaces of its own (docs/sandbox.md, "Zygote"). */
	if (!strstr(b->cli->argv[0], "{}") && !b->cli->no_zygote) {
		b->zygote = sbx_pool_use_zygote(b->pool, b->cli->argv[0], &err) == 0;
		if (!b->zygote && b->cli->verbose)
			sbx_cli_message("sbx: debug: --each: no zygote: %s", err.message);
		sbx_error_free(&err);
	}
	keep_ready(b); /* before the first jobs, which then take them */
	if (b->cli->verbose)
		sbx_cli_message("sbx: debug: --each: %zu jobs, %u at once, %s, %s", b->n_jobs, b->max_running,
			sbx_pool_shares_netns(b->pool) ? "one shared empty network namespace"
						       : "a network namespace per job",
			b->zygote ? "jobs start on a zygote" : "each job a cold launch");
	return 0;
}

int sbx_batch_run(const struct sbx_cli *cli, const struct sbx_config *cfg, FILE *json)
{
	struct batch b = { .cli = cli, .cfg = cfg, .json = json, .devnull = -1 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	b.cpus = cpus > 0 ? (unsigned)cpus : 1;
	b.max_running = cli->jobs ? cli->jobs : b.cpus;
	int status = 125;
	if (batch_prepare(&b) == 0) {
		advance(&b);
		if (b.running && event_base_dispatch(b.base) < 0)
			sbx_cli_message("sbx: error: event loop failed");
		else
			status = b.interrupted ? 128 + b.interrupted : b.write_failed && !b.status ? 125 : b.status;
	}
	batch_free(&b);
	return status;
}
