/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker/policy/policy.h"
#include "common/escape.h"
#include "common/spec.h"
#include "common/util.h"
#include "config.h"
#include "sandbox/landlock.h"
#include "sbx.h"

struct cli_opt;
typedef int (*cli_set_fn)(struct sbx_cli *cli, const struct cli_opt *o, char *arg);

/* One option: how its value is parsed and what --help says of it. */
struct cli_opt {
	const char *name;    /* the long option without "--"; NULL: a heading in --help */
	char short_name;     /* 0: none */
	const char *metavar; /* its value in --help; NULL: none (a resource: its spec) */
	cli_set_fn set;
	size_t field;        /* opt_true, opt_string: offsetof(struct sbx_cli, ...) */
	enum sbx_resource_kind kind; /* opt_resource */
	const char *help;    /* "\n" continues under the first line */
};

const char *sbx_cli_kind_name(int32_t kind)
{
	static const char *const names[] = { "exited", "signaled", "violation", "timeout", "setup-failed",
					     "exec-failed", "killed", "memory" };
	return (uint32_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

void sbx_cli_message(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t need = sbx_escape_controls(NULL, 0, text);
	char *line = malloc(need + 2);
	if (line) {
		sbx_escape_controls(line, need + 1, text);
		line[need] = '\n';
		fwrite(line, 1, need + 1, stderr); /* one write: lines of parallel jobs stay whole */
	}
	free(line);
	free(text);
}

static int bad(const struct cli_opt *o, const char *value, const char *why)
{
	sbx_cli_message("sbx: error: --%s '%s': %s (see sbx --help)", o->name, value, why);
	return -EINVAL;
}

static int opt_true(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	(void)arg;
	*(bool *)((char *)cli + o->field) = true;
	return 0;
}

static int opt_string(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	*(const char **)((char *)cli + o->field) = arg;
	return 0;
}

static int opt_verbose(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	(void)o, (void)arg;
	cli->verbose++;
	return 0;
}

static int opt_policy(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	if (cli->policy)
		return bad(o, arg, "given twice");
	cli->policy = arg;
	return 0;
}

static int opt_param(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	if (!strchr(arg, '=') || arg[0] == '=')
		return bad(o, arg, "expected NAME=VALUE");
	if (cli->n_params >= SBX_CLI_MAX_PARAMS)
		return bad(o, arg, "too many parameters");
	cli->params[cli->n_params++] = arg;
	return 0;
}

/* A path given relative ("--ro .", "--rw out"): the one it names from the working directory,
 * symbolic links resolved (the sandbox shows it at that place). It must exist, as any --ro or
 * --rw path must. */
static const char *absolute_path(struct sbx_cli *cli, const struct cli_opt *o, const char *arg)
{
	char *abs = realpath(arg, NULL);
	if (!abs) {
		char why[256];
		snprintf(why, sizeof(why), "%s (a relative path is taken from the working directory)", strerror(errno));
		bad(o, arg, why);
		return NULL;
	}
	size_t n = strlen(abs) + 1;
	char *at = cli->abs_paths + cli->abs_len;
	if (n > sizeof(cli->abs_paths) - cli->abs_len) {
		free(abs);
		bad(o, arg, "too many relative paths; give absolute ones");
		return NULL;
	}
	memcpy(at, abs, n);
	cli->abs_len += n;
	free(abs);
	return at;
}

static int opt_path(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	const char *path = arg[0] == '/' ? arg : absolute_path(cli, o, arg);
	if (!path)
		return -EINVAL;
	if (cli->n_ro + cli->n_rw >= SBX_CLI_MAX_PATHS)
		return bad(o, arg, "too many paths");
	if (strcmp(o->name, "ro") == 0)
		cli->ro[cli->n_ro++] = path;
	else
		cli->rw[cli->n_rw++] = path;
	return 0;
}

static int opt_time(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	struct sbx_spec_error e;
	if (sbx_spec_duration_ms(arg, &cli->time_limit_ms, &e) < 0)
		return bad(o, arg, e.text);
	return 0;
}

static int opt_kill_after(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	struct sbx_spec_error e;
	if (sbx_spec_duration_ms(arg, &cli->kill_after_ms, &e) < 0)
		return bad(o, arg, e.text);
	return 0;
}

static int opt_memory(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	/* Below 1 MiB not even the dynamic loader fits. */
	if (sbx_parse_size(arg, &cli->memory) < 0 || cli->memory < (1 << 20))
		return bad(o, arg, "expected a size of at least 1M (K/M/G suffixes)");
	return 0;
}

static int opt_pids(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	if (sbx_parse_u64(arg, &cli->pids) < 0 || cli->pids == 0 || cli->pids > 4194304)
		return bad(o, arg, "expected a number from 1 to 4194304");
	return 0;
}

static int opt_json(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	uint64_t v;
	if (sbx_parse_u64(arg, &v) < 0 || v > INT32_MAX)
		return bad(o, arg, "expected a file descriptor number");
	cli->json_fd = (int)v;
	return 0;
}

static int opt_jobs(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	uint64_t v;
	if (sbx_parse_u64(arg, &v) < 0 || v == 0 || v > 1024)
		return bad(o, arg, "expected a number from 1 to 1024");
	cli->jobs = (unsigned)v;
	return 0;
}

static int opt_user(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	char buf[64];
	uint64_t u, g;
	if (sbx_strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		return bad(o, arg, "expected UID[:GID], not 0");
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (sbx_parse_u64(buf, &u) < 0 || u == 0 || u >= UINT32_MAX)
		return bad(o, arg, "expected UID[:GID], not 0");
	g = u;
	if (colon && (sbx_parse_u64(colon + 1, &g) < 0 || g == 0 || g >= UINT32_MAX))
		return bad(o, arg, "expected UID[:GID], not 0");
	cli->uid = (uid_t)u;
	cli->gid = (gid_t)g;
	cli->user_set = true;
	return 0;
}

/* One field of --id-range: an id of 1 to 2^32-2, or a count of 1 to 2^32-1. */
static int id_range_field(const char *text, bool count, uint64_t *ret)
{
	return sbx_parse_u64(text, ret) == 0 && *ret > 0 && *ret < (count ? UINT32_MAX + 1ull : UINT32_MAX) ? 0 : -1;
}

/* UID:GID:COUNT, each field judged on its own, so the message names the one that is wrong. */
static int opt_id_range(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	static const char *const what[3] = { "UID", "GID", "COUNT" };
	char buf[96], why[160];
	uint64_t v[3];
	if (sbx_strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		return bad(o, arg, "expected UID:GID:COUNT (too long)");
	char *field = buf;
	for (int i = 0; i < 3; i++) {
		char *end = strchr(field, ':');
		if ((i < 2) != (end != NULL))
			return bad(o, arg, "expected UID:GID:COUNT, three numbers separated by ':'");
		if (end)
			*end = '\0';
		if (id_range_field(field, i == 2, &v[i]) < 0) {
			snprintf(why, sizeof(why), "%s '%s' is not %s", what[i], field,
				 i == 2 ? "a count from 1 to 4294967295" : "an id from 1 to 4294967294 (0 is root's)");
			return bad(o, arg, why);
		}
		field = end ? end + 1 : field;
	}
	for (int i = 0; i < 2; i++)
		if (v[i] + v[2] > UINT32_MAX) {
			snprintf(why, sizeof(why), "%s %llu + COUNT %llu runs past the last id, 4294967294", what[i],
				 (unsigned long long)v[i], (unsigned long long)v[2]);
			return bad(o, arg, why);
		}
	cli->range_set = true;
	cli->range_uid = (uid_t)v[0];
	cli->range_gid = (gid_t)v[1];
	cli->range_count = (uint32_t)v[2];
	return 0;
}

static int opt_resource(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	struct sbx_spec_error e;
	if (cli->n_res >= SBX_CLI_MAX_PATHS)
		return bad(o, arg, "too many resources");
	if (sbx_spec_resource(o->kind, arg, &cli->res[cli->n_res], &e) < 0)
		return bad(o, arg, e.text);
	cli->n_res++;
	return 0;
}

static int opt_capture_filter(struct sbx_cli *cli, const struct cli_opt *o, char *arg)
{
	if (cli->n_res == 0 || cli->res[cli->n_res - 1].kind != SBX_RES_CAPTURE)
		return bad(o, arg, "must follow a --capture");
	cli->res[cli->n_res - 1].filter = arg;
	return 0;
}

#define FIELD(f) .field = offsetof(struct sbx_cli, f)

static const struct cli_opt options[] = {
	{ .help = "Options:" },
	{ "policy", 0, "FILE|NAME", opt_policy, .help = "policy file, or a shipped policy name (default: built-in)" },
	{ "param", 0, "NAME=VALUE", opt_param, .help = "set a policy parameter ${NAME}" },
	{ "ro", 0, "PATH", opt_path, .help = "make host PATH visible read-only at the same place" },
	{ "rw", 0, "PATH", opt_path, .help = "make host PATH visible read-write at the same place" },
	{ "time-limit", 0, "DURATION", opt_time,
	  .help = "kill the sandbox after DURATION (exit status 124):\nseconds (1.5) or with a unit (500ms, 10s, 2m, 1h)" },
	{ "kill-after", 0, "DURATION", opt_kill_after,
	  .help = "after forwarding SIGINT, SIGTERM or SIGHUP, kill the sandbox\nif it still runs DURATION later (default 10s)" },
	{ "memory-limit", 0, "SIZE", opt_memory, .help = "address-space limit and memory cgroup (K/M/G suffixes)" },
	{ "pids-limit", 0, "N", opt_pids, .help = "process limit (rlimit and pids cgroup)" },
	{ "user", 0, "UID[:GID]", opt_user, .help = "host uid/gid of the worker when sbx runs as root (default 65534)" },
	{ "subid", 0, "NAME|self", opt_string, FIELD(subid),
	  .help = "a host uid/gid per worker from NAME's (or your own) range in\n/etc/subuid and /etc/subgid" },
	{ "id-range", 0, "UID:GID:N", opt_id_range,
	  .help = "host uid/gid from this range (root; unprivileged via newuidmap)" },
	{ "learn", 0, "OUT.policy", opt_string, FIELD(learn),
	  .help = "allow and record every system call, write a policy to OUT" },
	{ "force", 0, NULL, opt_true, FIELD(force),
	  .help = "with --learn: replace OUT if it is a regular file" },
	{ "json-status-fd", 0, "FD", opt_json, .help = "write JSON lines (start, violations, exit) to FD" },
	{ "record-namespaces", 0, NULL, opt_true, FIELD(record_ns),
	  .help = "add the sandbox's namespaces (type, inode) to the JSON\nstatus as a namespaces event (docs/ids.md)" },
	{ "syslog", 0, NULL, opt_true, FIELD(syslog),
	  .help = "record the sandbox's namespaces in the system log" },
	{ "each", 0, "LIST", opt_string, FIELD(each),
	  .help = "run PROGRAM once per line of LIST ('-': stdin), each in its\nown sandbox; {} in ARGS is the line (README: Many jobs)" },
	{ "jobs", 'j', "N", opt_jobs, .help = "with --each: N jobs at once (default: the number of CPUs)" },
	{ "no-zygote", 0, NULL, opt_true, FIELD(no_zygote),
	  .help = "with --each: start every job as a single run would, not\nfrom the batch's zygote (docs/sandbox.md)" },
	{ "fallback", 0, NULL, opt_true, FIELD(fallback),
	  .help = "where a layer cannot be applied here (sbx doctor), run with\nthe others and name what is missing" },
	{ "no-seccomp", 0, NULL, opt_true, FIELD(no_seccomp), .help = "DIAGNOSIS ONLY: run without the seccomp layer" },
	{ "verbose", 'v', NULL, opt_verbose, .help = "log each setup step to stderr" },
	{ "quiet", 'q', NULL, opt_true, FIELD(quiet), .help = "print only errors" },
	{ "help", 'h', NULL, opt_true, FIELD(help), .help = "show this help" },
	{ "version", 'V', NULL, opt_true, FIELD(version), .help = "show the version" },
	{ .help = "Resources (opened by sbx, handed over as fds 3, 4, ...; SBX_FD_NAME=N in the environment):" },
	{ "file", 0, NULL, opt_resource, .kind = SBX_RES_FILE,
	  .help = "a file; MODE of r, w, c (create), t (truncate); default r" },
	{ "dir", 0, NULL, opt_resource, .kind = SBX_RES_DIR,
	  .help = "a directory (O_PATH); the worker may ask to open\npaths below it matching PATTERN with at most MODE" },
	{ "capture", 0, NULL, opt_resource, .kind = SBX_RES_CAPTURE, .help = "an AF_PACKET socket on IFACE ('any': all)" },
	{ "capture-filter", 0, "EXPR", opt_capture_filter,
	  .help = "pcap filter for the last --capture, locked on the socket" },
	{ "connect", 0, NULL, opt_resource, .kind = SBX_RES_CONNECT,
	  .help = "a connected socket: tcp:HOST:PORT, udp:HOST:PORT, unix:PATH" },
	{ "listen", 0, NULL, opt_resource, .kind = SBX_RES_LISTEN, .help = "a listening socket" },
	{ "fd", 0, NULL, opt_resource, .kind = SBX_RES_FD, .help = "an fd sbx inherited (NAME: FD_N by default)" },
	{ "requests", 0, NULL, opt_true, FIELD(requests),
	  .help = "a request channel to the broker (SBX_FD_BROKER) even\nwithout --dir or --capture" },
};

static bool takes_value(const struct cli_opt *o)
{
	return o->metavar || o->set == opt_resource;
}

/* "-v, --verbose", "--file NAME=PATH[:MODE]" */
static int left_column(const struct cli_opt *o, char *buf, size_t len)
{
	char sh[8] = "";
	if (o->short_name)
		snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
	const char *mv = o->metavar ? o->metavar : o->set == opt_resource ? sbx_spec_resource_usage(o->kind) : NULL;
	return snprintf(buf, len, "%s--%s%s%s", sh, o->name, mv ? " " : "", mv ? mv : "");
}

/* The help column of the section after heading h: past its longest option, within reason. */
static int section_column(const struct cli_opt *h)
{
	char buf[96];
	int w = 0;
	for (const struct cli_opt *o = h + 1; o < options + SBX_ARRAY_SIZE(options) && o->name; o++) {
		int n = left_column(o, buf, sizeof(buf));
		if (n > w && n <= 27)
			w = n;
	}
	return 4 + w;
}

void sbx_cli_usage(FILE *out)
{
	fputs("Usage: sbx [OPTIONS] [--] PROGRAM [ARG...]\n"
	      "       sbx --each LIST [-j N] [OPTIONS] [--] PROGRAM [ARG...]\n"
	      "       sbx policy check FILE...\n"
	      "       sbx policy explain [--bpf] FILE\n"
	      "       sbx doctor [--json]\n"
	      "       sbx ps [--json] [--tree]\n"
	      "       sbx help\n"
	      "\n"
	      "Run PROGRAM as a zero-capability worker in fresh namespaces, under a seccomp policy.\n"
	      "A program named like a subcommand (doctor, help, policy, ps) runs as sbx -- NAME.\n",
	      out);
	int col = 0;
	for (const struct cli_opt *o = options; o < options + SBX_ARRAY_SIZE(options); o++) {
		if (!o->name) {
			fprintf(out, "\n%s\n", o->help);
			col = section_column(o);
			continue;
		}
		char left[96];
		int n = left_column(o, left, sizeof(left)) + 2;
		fprintf(out, "  %s%*s", left, n + 2 > col ? 2 : col - n, "");
		for (const char *h = o->help; *h; h++) {
			fputc(*h, out);
			if (*h == '\n')
				fprintf(out, "%*s", col, "");
		}
		fputc('\n', out);
	}
	fputs("\nExit status: the program's own; 128+N if it died of signal N; 159 if the seccomp layer\n"
	      "stopped it; 124 on the time limit; 125 if sbx failed; 126 not executable; 127 not found.\n",
	      out);
}

/* getopt_long's view of the table: long-only options answer 256 + their index. */
static void getopt_tables(struct option *longopts, char *shortopts)
{
	char *s = shortopts;
	*s++ = '+'; /* stop at the first non-option, so the program's own options stay its own */
	*s++ = ':'; /* report a missing value as ':' */
	for (size_t i = 0; i < SBX_ARRAY_SIZE(options); i++) {
		const struct cli_opt *o = &options[i];
		if (!o->name)
			continue;
		int val = o->short_name ? o->short_name : 256 + (int)i;
		*longopts++ = (struct option){ o->name, takes_value(o) ? required_argument : no_argument, NULL, val };
		if (o->short_name)
			*s++ = o->short_name;
		if (o->short_name && takes_value(o))
			*s++ = ':';
	}
	*longopts = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

static const struct cli_opt *find_opt(int c)
{
	if (c >= 256 && (size_t)(c - 256) < SBX_ARRAY_SIZE(options))
		return &options[c - 256];
	for (size_t i = 0; i < SBX_ARRAY_SIZE(options); i++)
		if (options[i].name && options[i].short_name == c)
			return &options[i];
	return NULL;
}

/* "--polcy": the closest option's name, if it is a typo of one. */
static int unknown_option(const char *arg)
{
	const char *names[SBX_ARRAY_SIZE(options) + 1];
	size_t n = 0;
	for (size_t i = 0; i < SBX_ARRAY_SIZE(options); i++)
		if (options[i].name)
			names[n++] = options[i].name;
	names[n] = NULL;
	char word[64];
	const char *w = arg + strspn(arg, "-");
	sbx_strlcpy(word, w, sizeof(word));
	word[strcspn(word, "=")] = '\0';
	const char *sug = sbx_suggest(word, names);
	if (sug)
		sbx_cli_message("sbx: error: unknown option '%s' (did you mean '--%s'?)", arg, sug);
	else
		sbx_cli_message("sbx: error: unknown option '%s' (see sbx --help)", arg);
	return -EINVAL;
}

int sbx_cli_parse(int argc, char **argv, struct sbx_cli *cli)
{
	struct option longopts[SBX_ARRAY_SIZE(options) + 1];
	char shortopts[2 * SBX_ARRAY_SIZE(options) + 3];
	getopt_tables(longopts, shortopts);
	memset(cli, 0, sizeof(*cli));
	cli->json_fd = -1;
	opterr = 0;
	optind = 0; /* glibc: a full restart, forgetting where the last parse stood in its argv */
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == ':') {
			sbx_cli_message("sbx: error: option '%s': needs a value (see sbx --help)", argv[optind - 1]);
			return -EINVAL;
		}
		const struct cli_opt *o = find_opt(c);
		if (!o && optopt) {
			sbx_cli_message("sbx: error: unknown option '-%c' (see sbx --help)", optopt);
			return -EINVAL;
		}
		if (!o)
			return unknown_option(argv[optind - 1]);
		if (o->set(cli, o, optarg) < 0)
			return -EINVAL;
		if (cli->help || cli->version)
			return 0;
	}
	if (optind >= argc) {
		fprintf(stderr, "sbx: error: missing PROGRAM (see sbx --help)\n");
		return -EINVAL;
	}
	if ((cli->jobs || cli->no_zygote) && !cli->each) {
		fprintf(stderr, "sbx: error: %s needs --each\n", cli->jobs ? "-j/--jobs" : "--no-zygote");
		return -EINVAL;
	}
	if (cli->each && cli->learn) {
		fprintf(stderr, "sbx: error: --learn records one run; it cannot be used with --each\n");
		return -EINVAL;
	}
	if (cli->learn && cli->no_seccomp) {
		fprintf(stderr, "sbx: error: --learn needs the seccomp layer; drop --no-seccomp\n");
		return -EINVAL;
	}
	if (cli->force && !cli->learn) {
		fprintf(stderr, "sbx: error: --force only applies to --learn\n");
		return -EINVAL;
	}
	cli->argv = argv + optind;
	return 0;
}

void sbx_cli_version(FILE *out)
{
	const struct scmp_version *sv = seccomp_version();
	int ll = sbx_landlock_abi();
	fprintf(out, "sbx %s\n", sbx_version());
	if (sv)
		fprintf(out, "libseccomp %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	fprintf(out, "landlock: built for ABI %d, ", SBX_LANDLOCK_ABI_BUILT);
	if (ll > 0)
		fprintf(out, "the kernel offers ABI %d\n", ll);
	else
		fputs("the kernel offers none\n", out);
	fprintf(out, "build: buildtype=%s static=%s sanitizers=%s\n", SBX_BUILDTYPE,
		SBX_STATIC_LIBS[0] ? SBX_STATIC_LIBS : "none", SBX_SANITIZERS);
}

/* Text for roff: a backslash is \e, a dash \- (an option, not a hyphen), and a line may not
 * start with a control character. */
static void roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

void sbx_cli_man_options(FILE *out)
{
	for (const struct cli_opt *o = options; o < options + SBX_ARRAY_SIZE(options); o++) {
		if (!o->name) {
			/* "Options:" is the section itself; later headings open a subsection. */
			if (o != options) {
				fputs(".SS \"", out);
				size_t n = strcspn(o->help, " (:");
				fprintf(out, "%.*s\"\n.PP\n", (int)n, o->help);
				roff_text(out, o->help);
				fputc('\n', out);
			}
			continue;
		}
		fputs(".TP\n", out);
		if (o->short_name)
			fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB", out);
		roff_text(out, "--");
		roff_text(out, o->name);
		fputs("\\fR", out);
		const char *mv = o->metavar ? o->metavar : o->set == opt_resource ? sbx_spec_resource_usage(o->kind) : NULL;
		if (mv) {
			fputs(" \\fI", out);
			roff_text(out, mv);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff_text(out, o->help);
		fputc('\n', out);
	}
}
